"""safe_school through the test client: self-assessment, evidence, submit, review, recognition, export."""
from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from conftest import PASSWORD, csrf_token, login, post
import campaign_helpers
from surveyapp import get_registry
from surveyapp.accounts import create_user
from surveyapp.campaigns import create_campaign
from surveyapp.export import ExportOptions, build_workbook
from surveyapp.extensions import db
from surveyapp.models import Attachment, AuditEntry
from surveyapp.orgs import add_unit

from plugins.safe_school.models import Assessment
from plugins.safe_school.sets import applies, reviewer_of

PDF = b"%PDF-1.4\n% evidence\n%%EOF\n"
MET, NOT_MET, NA = 1, 0, 2


def open_campaign(world, qid="safe_school.tt18_2023", name="TT18 2025-2026"):
    return campaign_helpers.open_campaign(world, qid, name=name)


@pytest.fixture
def campaign(world):
    return open_campaign(world)


def definition(qid="safe_school.tt18_2023"):
    return get_registry().questionnaires[qid]


def group_data(client, section, values: dict, plans: dict | None = None, **extra) -> dict:
    """A browser posting one whole group: every item's radio, comment and plan fields."""
    data = {"csrf_token": csrf_token(client)}
    for item in section.items:
        if item.id in values:
            data[item.id] = str(values[item.id])
        if item.type == "criterion":
            data[f"c__{item.id}"] = ""
            plan = (plans or {}).get(item.id, {})
            data[f"pa__{item.id}"] = plan.get("action", "")
            data[f"po__{item.id}"] = plan.get("owner", "")
            data[f"pd__{item.id}"] = plan.get("due", "")
    data.update(extra)
    return data


def save(client, assessment_id, section, values, plans=None, **extra):
    response = client.post(f"/safe_school/a/{assessment_id}/group/{section.id}",
                           data=group_data(client, section, values, plans, **extra),
                           content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


def all_met(qid="safe_school.tt18_2023", **overrides) -> dict:
    values = {i: (0 if info.item.type == "yes_no" else MET) for i, info in definition(qid).items.items()
              if info.slot}
    values.update(overrides)
    return values


def fill_all(client, assessment_id, values, plans=None, qid="safe_school.tt18_2023"):
    for section in definition(qid).sections:
        save(client, assessment_id, section, values, plans)


def start(client, campaign, school) -> int:
    response = post(client, f"/safe_school/campaign/{campaign.id}/school/{school.id}/start")
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return int(re.search(r"/a/(\d+)$", response.headers["Location"]).group(1))


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def assessment(assessment_id) -> Assessment:
    db.session.expire_all()
    return db.session.get(Assessment, assessment_id)


def english(client):
    client.get("/lang/en?next=/")


PLAN = {"action": "Thay ổ cắm hỏng", "owner": "Thầy Hùng", "due": "2026-03-31"}


# -- which set, who reviews ----------------------------------------------------------------

def test_set_by_school_level_and_reviewer_by_configuration(world):
    both = add_unit(code="AB", name="Trường liên cấp", kind="school", parent=world.ward,
                    levels=["mam_non", "tieu_hoc"])
    preschool = add_unit(code="MN", name="MN Hoa Sen", kind="school", parent=world.ward, levels=["mam_non"])
    tt18, tt45 = open_campaign(world), open_campaign(world, "safe_school.tt45_2021", "TT45")
    assert tt18.level_list == ["tieu_hoc", "thcs", "thpt", "gdtx"] and tt45.level_list == ["mam_non"]
    assert applies(tt18, world.school_a) and not applies(tt45, world.school_a)
    assert applies(tt45, preschool) and not applies(tt18, preschool)
    assert applies(tt18, both) and applies(tt45, both)
    assert reviewer_of(world.school_a) == world.ward          # default: the unit above
    world.school_a.reviewer = world.dept                      # configured: the Sở reviews it
    assert reviewer_of(world.school_a) == world.dept


def test_multi_level_school_sees_both_sets(client, world):
    both = add_unit(code="AB", name="Trường liên cấp", kind="school", parent=world.ward,
                    levels=["mam_non", "tieu_hoc"])
    create_user("both_admin", PASSWORD, "admin", both)
    db.session.commit()
    open_campaign(world)
    open_campaign(world, "safe_school.tt45_2021", "TT45 2025-2026")
    login(client, "both_admin")
    html = page(client, "/safe_school/")
    assert "TT18 2025-2026" in html and "TT45 2025-2026" in html
    login(client, "school_admin")
    html = page(client, "/safe_school/")
    assert "TT18 2025-2026" in html and "TT45 2025-2026" not in html


# -- the full cycle -------------------------------------------------------------------------

def test_full_cycle_draft_evidence_submit_return_fix_resubmit_recognise(client, world, campaign):
    tt18 = definition()
    first, second = tt18.sections[0], tt18.sections[1]
    optional = next(i for i in first.items if i.type == "criterion" and not i.mandatory)
    login(client, "school_admin")
    assessment_id = start(client, campaign, world.school_a)

    # a draft: one group saved, a not-met criterion with its plan, evidence uploaded
    values = all_met(**{optional.id: NOT_MET})
    save(client, assessment_id, first, values, {optional.id: PLAN},
         **{f"file__{first.items[0].id}": (io.BytesIO(PDF), "bien-ban-kiem-tra.pdf"),
            f"link__{first.items[1].id}": "https://example.org/anh-cong-truong"})
    found = assessment(assessment_id)
    assert found.status == "draft" and found.response.status == 0
    files = db.session.execute(select(Attachment).filter_by(response_id=found.response_id)).scalars().all()
    assert {(f.item_id, f.kind) for f in files} == {(first.items[0].id, "file"), (first.items[1].id, "link")}
    html = page(client, f"/safe_school/a/{assessment_id}")
    assert "bien-ban-kiem-tra.pdf" in html and "https://example.org/anh-cong-truong" in html
    assert f"{len(first.items)} / {len(first.items)}" in html     # the first group is complete
    assert f"0 / {len([i for i in second.items if i.required])}" in html
    download = client.get(f"/safe_school/a/{assessment_id}/evidence/{[f for f in files if f.kind == 'file'][0].id}")
    assert download.status_code == 200 and download.data == PDF

    # submitting an incomplete assessment is refused and says what is missing
    post(client, f"/safe_school/a/{assessment_id}/submit")
    assert assessment(assessment_id).status == "draft"

    fill_all(client, assessment_id, values, {optional.id: PLAN})
    response = post(client, f"/safe_school/a/{assessment_id}/submit")
    assert response.status_code == 303
    found = assessment(assessment_id)
    assert (found.status, found.result, found.response.status) == ("submitted", "dat", 1)
    assert found.response.total == pytest.approx(98.0)

    # locked: a late save changes nothing
    save(client, assessment_id, first, all_met(**{optional.id: MET}))
    assert getattr(assessment(assessment_id).response, f"v{tt18.items[optional.id].slot}") == NOT_MET

    # the ward reviews: returns with a comment on one criterion
    login(client, "ward_admin")
    assert f"/safe_school/a/{assessment_id}/review" in page(client, "/safe_school/review")
    response = post(client, f"/safe_school/a/{assessment_id}/review",
                    {"decision": "return", "comment": "Bổ sung minh chứng",
                     f"rc__{optional.id}": "Cần biên bản khắc phục ổ cắm"})
    assert response.status_code == 303
    assert assessment(assessment_id).status == "returned"

    # the school sees the comment beside the criterion, fixes and resubmits
    login(client, "school_admin")
    html = page(client, f"/safe_school/a/{assessment_id}")
    item_block = html[html.index(f'id="item-{optional.id}"'):]
    assert "Cần biên bản khắc phục ổ cắm" in item_block[:3000]
    save(client, assessment_id, first, all_met())
    post(client, f"/safe_school/a/{assessment_id}/submit")
    found = assessment(assessment_id)
    assert found.status == "submitted" and found.response.total == pytest.approx(100.0)

    login(client, "ward_admin")
    post(client, f"/safe_school/a/{assessment_id}/review", {"decision": "recognise"})
    found = assessment(assessment_id)
    assert found.status == "recognised"
    assert [e.action for e in found.events] == ["start", "submit", "return", "resubmit", "recognise"]
    assert db.session.execute(select(AuditEntry).filter_by(action="safe_school.recognise")).scalar_one()

    # the school sees who did what
    login(client, "school_admin")
    english(client)
    html = page(client, f"/safe_school/a/{assessment_id}")
    assert "recognised" in html and "ward_admin" in html and "Bổ sung minh chứng" in html


def test_staff_saving_different_groups_do_not_overwrite_each_other(client, app, world, campaign):
    create_user("school_staff", PASSWORD, "admin", world.school_a)
    db.session.commit()
    tt18 = definition()
    first, second = tt18.sections[0], tt18.sections[1]
    login(client, "school_admin")
    assessment_id = start(client, campaign, world.school_a)
    other = app.test_client()
    login(other, "school_staff")
    save(client, assessment_id, first, all_met())
    save(other, assessment_id, second, all_met())           # posts only the second group
    save(client, assessment_id, first, all_met(**{first.items[2].id: NOT_MET}))
    response = assessment(assessment_id).response
    slot = lambda item: getattr(response, f"v{tt18.items[item.id].slot}")  # noqa: E731
    assert all(slot(item) == MET for item in second.items if item.type == "criterion")
    assert slot(first.items[2]) == NOT_MET


def test_autosave_request_answers_json(client, world, campaign):
    section = definition().sections[0]
    login(client, "school_admin")
    assessment_id = start(client, campaign, world.school_a)
    response = client.post(f"/safe_school/a/{assessment_id}/group/{section.id}",
                           data=group_data(client, section, {section.items[0].id: NOT_MET}),
                           headers={"X-Autosave": "1"})
    assert response.status_code == 200 and response.get_json() == {"saved": True, "errors": []}
    assert getattr(assessment(assessment_id).response, "v1") == NOT_MET
    html = page(client, f"/safe_school/a/{assessment_id}")
    assert "improvement plan" in html.lower() or "kế hoạch" in html.lower()
    assert "<script>" not in html and 'style="' not in html


def test_not_applicable_only_where_allowed(client, world, campaign):
    section = definition().sections[0]
    plain = next(i for i in section.items if i.type == "criterion" and not i.allow_na)
    login(client, "school_admin")
    english(client)
    assessment_id = start(client, campaign, world.school_a)
    response = save(client, assessment_id, section, {plain.id: NA})
    assert "not applicable" in page(client, response.headers["Location"])
    assert assessment(assessment_id).response.v1 is None


# -- evidence uploads ----------------------------------------------------------------------

def test_spoofed_executable_pdf_is_refused_with_a_clear_message(client, app, world, campaign, tmp_path):
    section = definition().sections[0]
    login(client, "school_admin")
    english(client)
    assessment_id = start(client, campaign, world.school_a)
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200
    response = save(client, assessment_id, section, {},
                    **{f"file__{section.items[0].id}": (io.BytesIO(exe), "bien-ban.pdf")})
    html = page(client, response.headers["Location"])
    assert "bien-ban.pdf" in html and "Windows program" in html and "was refused" in html
    assert db.session.execute(select(Attachment)).first() is None
    uploads = tmp_path / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_path_traversal_filename_is_stored_safely(client, world, campaign, tmp_path):
    section = definition().sections[0]
    login(client, "school_admin")
    assessment_id = start(client, campaign, world.school_a)
    save(client, assessment_id, section, {},
         **{f"file__{section.items[0].id}": (io.BytesIO(PDF), "../../../../../tmp/evil.pdf")})
    row = db.session.execute(select(Attachment)).scalar_one()
    assert row.filename == "evil.pdf" and re.fullmatch(r"[0-9a-f]{32}\.pdf", row.stored_name)
    assert [p.name for p in (tmp_path / "uploads").iterdir()] == [row.stored_name]
    assert not (tmp_path / "evil.pdf").exists()


def test_oversize_file_is_refused(client, app, world, campaign):
    app.config["UPLOAD_MAX_BYTES"] = 1024
    section = definition().sections[0]
    login(client, "school_admin")
    english(client)
    assessment_id = start(client, campaign, world.school_a)
    response = save(client, assessment_id, section, {section.items[0].id: MET},
                    **{f"file__{section.items[0].id}": (io.BytesIO(PDF + b"0" * 4096), "scan.pdf")})
    html = page(client, response.headers["Location"])
    assert "scan.pdf" in html and "larger than the limit" in html
    assert db.session.execute(select(Attachment)).first() is None
    assert assessment(assessment_id).response.v1 == MET           # the typed answers are kept


# -- scope ---------------------------------------------------------------------------------

def test_school_admin_cannot_see_or_change_another_schools_assessment(client, world, campaign):
    section = definition().sections[0]
    login(client, "school_admin")
    assessment_id = start(client, campaign, world.school_a)
    save(client, assessment_id, section, {section.items[0].id: MET})
    login(client, "school_b_admin")
    base = f"/safe_school/a/{assessment_id}"
    assert client.get(base).status_code == 404
    assert client.get(base + "/report").status_code == 404
    assert client.post(base + f"/group/{section.id}",
                       data=group_data(client, section, {section.items[0].id: NOT_MET})).status_code == 404
    assert post(client, base + "/submit").status_code == 404
    assert post(client, base + "/review", {"decision": "recognise"}).status_code == 404
    assert post(client, f"/safe_school/campaign/{campaign.id}/school/{world.school_a.id}/start").status_code == 404
    assert assessment(assessment_id).response.v1 == MET
    # a reviewer of another ward cannot review it either
    create_user("ward2_admin", PASSWORD, "admin", world.ward2)
    db.session.commit()
    login(client, "ward2_admin")
    assert client.get(base + "/review").status_code == 404


# -- TT 45 ---------------------------------------------------------------------------------

def test_tt45_exclusion_makes_the_result_khong_dat(client, world):
    preschool = add_unit(code="MN", name="MN Hoa Sen", kind="school", parent=world.ward, levels=["mam_non"],
                         facility_type="truong_mam_non")
    create_user("mn_admin", PASSWORD, "admin", preschool)
    db.session.commit()
    campaign = open_campaign(world, "safe_school.tt45_2021", "TT45")
    login(client, "mn_admin")
    assessment_id = start(client, campaign, preschool)
    fill_all(client, assessment_id, all_met("safe_school.tt45_2021", ex_food_poisoning=1),
             qid="safe_school.tt45_2021")
    post(client, f"/safe_school/a/{assessment_id}/submit")
    found = assessment(assessment_id)
    assert found.status == "submitted" and found.result == "khong_dat"
    assert found.response.scores["exclusions_hit"]["score"] == 1
    assert found.response.total == 50                                 # every criterion met, still không đạt


def test_tt45_uses_the_facility_type(client, world):
    group = add_unit(code="NT", name="Nhóm trẻ Sơn Ca", kind="school", parent=world.ward, levels=["mam_non"],
                     facility_type="nhom_tre_doc_lap")
    create_user("nt_admin", PASSWORD, "admin", group)
    db.session.commit()
    campaign = open_campaign(world, "safe_school.tt45_2021", "TT45")
    login(client, "nt_admin")
    assessment_id = start(client, campaign, group)
    fill_all(client, assessment_id, all_met("safe_school.tt45_2021"), qid="safe_school.tt45_2021")
    post(client, f"/safe_school/a/{assessment_id}/submit")
    assert assessment(assessment_id).result == "dat"


# -- report, overview, year over year, export --------------------------------------------

def _submitted(client, world, campaign, unmet=()):
    login(client, "school_admin")
    assessment_id = start(client, campaign, world.school_a)
    values = all_met(**{i: NOT_MET for i in unmet})
    fill_all(client, assessment_id, values, {i: PLAN for i in unmet})
    post(client, f"/safe_school/a/{assessment_id}/submit")
    return assessment_id


def test_printable_report_in_vietnamese(client, world, campaign):
    assessment_id = _submitted(client, world, campaign)
    english(client)
    html = page(client, f"/safe_school/a/{assessment_id}/report")
    for text in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "HIỆU TRƯỞNG",
                 "BÁO CÁO TỰ ĐÁNH GIÁ".lower(), "THCS A", "Đạt"):
        assert text in html or text in html.lower()
    assert "@media print" in page(client, "/safe_school/static/safe_school.css")


def test_self_assessment_report_as_a_word_document(client, world, campaign, tmp_path):
    from docx import Document
    from office import pdf_text, to_pdf
    assessment_id = _submitted(client, world, campaign, unmet=["tc1_6"])
    response = client.get(f"/safe_school/a/{assessment_id}/report.docx")
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    document = Document(io.BytesIO(response.data))
    heading, *criteria, signature = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in heading[0][1] and "THCS A" in heading[0][0]
    rows = {row[0]: row for table in criteria for row in table[1:]}
    scored = [info.item for info in definition().items.values() if info.item.type == "criterion"]
    assert {item.code for item in scored} <= set(rows)
    unmet = next(item for item in scored if item.id == "tc1_6")
    assert "Kế hoạch khắc phục: Thay ổ cắm hỏng" in rows[unmet.code][1]
    assert "HIỆU TRƯỞNG" in signature[0][1]
    source = tmp_path / "tu-danh-gia.docx"
    source.write_bytes(response.data)
    assert "BÁO CÁO TỰ ĐÁNH GIÁ" in " ".join(pdf_text(to_pdf(source, tmp_path)).split())
    login(client, "school_b_admin")
    assert client.get(f"/safe_school/a/{assessment_id}/report.docx").status_code == 404


def test_overview_and_year_over_year(client, world, campaign):
    old_id = _submitted(client, world, campaign, unmet=["tc1_6"])
    login(client, "ward_admin")
    post(client, f"/safe_school/a/{old_id}/review", {"decision": "recognise"})
    later = open_campaign(world, name="TT18 next year")
    login(client, "school_admin")
    new_id = start(client, later, world.school_a)
    english(client)
    html = page(client, f"/safe_school/a/{new_id}")
    assert "Previous results" in html and "TT18 2025-2026" in html
    block = html[html.index('id="item-tc1_6"'):]
    assert "Previous result: Not met" in block[:2500]

    login(client, "dept_admin")
    english(client)
    html = page(client, f"/safe_school/overview/{campaign.id}")
    assert "<svg" in html and "recognised" in html and "not started" in html and "THCS B" in html
    assert "Criteria most often not met" in html and "1.6" in html
    filtered = page(client, f"/safe_school/overview/{campaign.id}?unit={world.ward2.id}&level=thcs")
    assert "THCS B" in filtered and "THCS A" not in filtered


def test_export_sheets_matrix_matches_what_was_entered(client, world, campaign, tmp_path):
    assessment_id = _submitted(client, world, campaign, unmet=["tc1_6", "tc2_1"])
    path = build_workbook(campaign, world.dept, tmp_path / "ss.xlsx", ExportOptions(locale="en"))
    book = load_workbook(path)
    from plugins.safe_school.exports import value_labels
    labels = value_labels()
    from flask_babel import gettext
    matrix = book[gettext("Safe school - matrix")]
    rows = list(matrix.iter_rows(values_only=True))
    header, by_school = rows[1], {row[0]: row for row in rows[2:]}   # under the note line
    assert set(by_school) == {"A", "B"}
    entered = assessment(assessment_id)
    tt18 = definition()
    for column, code in enumerate(header[2:], start=2):
        item_id = next(i for i, info in tt18.items.items() if info.item.code == code)
        stored = getattr(entered.response, f"v{tt18.items[item_id].slot}")
        assert by_school["A"][column] == labels[stored]
        assert by_school["B"][column] is None
    assert by_school["A"][header.index("1.6")] == labels[NOT_MET]
    assert len(matrix.conditional_formatting) >= 1
    schools, actions = book[gettext("Safe school - schools")], book[gettext("Safe school - actions")]
    from plugins.safe_school.assessment import status_label
    summary = {r[1]: r for r in schools.iter_rows(min_row=2, values_only=True)}
    assert summary["A"][4] == status_label("submitted") and summary["A"][6] == 48
    assert summary["A"][7] == {"dat": "Met", "khong_dat": "Not met"}[entered.result]
    assert summary["B"][4] == status_label("not_started") and summary["B"][7] is None
    action_rows = list(actions.iter_rows(min_row=2, values_only=True))
    assert sorted(r[2] for r in action_rows) == ["1.6", "2.1"] and all(r[4] == PLAN["action"] for r in action_rows)


# -- demo and navigation -----------------------------------------------------------------

def test_navigation_item(client, world):
    login(client, "school_admin")
    assert 'href="/safe_school/"' in page(client, "/")


def test_demo_creates_assessments_in_every_state(run_cli, ctx):
    result = run_cli(["demo"])
    assert result.exit_code == 0, result.output
    statuses = {a.status for a in db.session.execute(select(Assessment)).scalars()}
    assert {"draft", "submitted", "returned", "recognised"} <= statuses


def test_refuse_needs_reasons_and_khong_dat_cannot_be_recognised(client, world, campaign):
    assessment_id = _submitted(client, world, campaign, unmet=["tc1_1"])        # a mandatory criterion
    assert assessment(assessment_id).result == "khong_dat"
    login(client, "ward_admin")
    post(client, f"/safe_school/a/{assessment_id}/review", {"decision": "recognise"})
    post(client, f"/safe_school/a/{assessment_id}/review", {"decision": "refuse", "comment": ""})
    assert assessment(assessment_id).status == "submitted"
    post(client, f"/safe_school/a/{assessment_id}/review", {"decision": "refuse", "comment": "Tiêu chí 1.1 chưa đạt"})
    found = assessment(assessment_id)
    assert found.status == "refused" and found.events[-1].comment == "Tiêu chí 1.1 chưa đạt"
    login(client, "school_admin")
    assert "Tiêu chí 1.1 chưa đạt" in page(client, f"/safe_school/a/{assessment_id}")


def test_overview_of_a_campaign_outside_my_units_is_404(client, world):
    definition_ = definition()
    campaign = create_campaign(name="Only A", definition=definition_, owner=world.school_a,
                               scope=[world.school_a], user_id=None)
    db.session.commit()
    login(client, "school_b_admin")
    assert client.get(f"/safe_school/overview/{campaign.id}").status_code == 404
    login(client, "viewer")
    assert client.get(f"/safe_school/overview/{campaign.id}").status_code == 200
