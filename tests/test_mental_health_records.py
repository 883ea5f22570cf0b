"""mental_health, staff side: records only for the school's counsellor, audit of every access,
aggregates without personal data, real deletion."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from conftest import login, post
from mental_health_helpers import PHQ8_MILD, add_response, extra_users, open_campaign
from surveyapp import audit, get_registry
from surveyapp.export import ExportOptions, build_workbook
from surveyapp.extensions import db
from surveyapp.models import AuditEntry, ClassGroup
from surveyapp.orgs import add_unit

from plugins.mental_health import cases
from plugins.mental_health.models import Alert, Case, CaseSession

NAME, CONTACT, MESSAGE = "Phạm Thu Trang", "Zalo 0988 765 432", "Em không ngủ được vì chuyện ở nhà"
NOTE = "Ghi chú mật: em kể về chuyện bố uống rượu (NOTE-7f3a)"
# A class name no random token can contain (a bare "7A" may appear inside a CSRF token).
KLASS = "Lớp 7A-riêng"


@pytest.fixture
def people(world):
    return extra_users(world)


@pytest.fixture
def record(people):
    """An urgent identified request at school A with one session (content that must stay put)."""
    case = cases.create_request(people.school_a, source="self_referral", anonymous=False, name=NAME, klass=KLASS,
                                contact=CONTACT, topic="family", urgency="urgent", message=MESSAGE)
    cases.add_session(case, people.users["counsellor"], held_on=dt.date.today(), form="in_person", notes=NOTE,
                      actions="Gặp lại thứ Sáu", next_follow_up=dt.date.today() + dt.timedelta(days=3),
                      referral="social_work")
    db.session.commit()
    return case


def _as(app, username):
    client = app.test_client()
    login(client, username)
    return client


@pytest.mark.parametrize("stranger", ["school_admin", "dept_admin", "counsellor_b", "auditor", "viewer"])
def test_only_the_schools_counsellor_gets_the_record(app, record, stranger):
    client = _as(app, stranger)
    alert_id = record.alerts[0].id
    for url in (f"/mental-health/case/{record.id}", f"/mental-health/case/{record.id}/print"):
        page = client.get(url)
        assert page.status_code == 404 and NAME not in page.get_data(as_text=True)
    for url, data in ((f"/mental-health/case/{record.id}/session", {"held_on": "2025-01-01", "form": "phone",
                                                                    "notes": "intruder"}),
                      (f"/mental-health/case/{record.id}/status", {"status": "closed"}),
                      (f"/mental-health/case/{record.id}/close", {"note": "x"}),
                      (f"/mental-health/alert/{alert_id}/handle", {"action": "x"})):
        assert post(client, url, data).status_code == 404
    db.session.expire_all()
    assert db.session.get(Case, record.id).status != "closed" and len(db.session.get(Case, record.id).sessions) == 1
    assert db.session.get(Alert, alert_id).handled_at is None
    queue = client.get("/mental-health/queue")
    if stranger == "counsellor_b":
        assert queue.status_code == 200 and NAME not in queue.get_data(as_text=True)
    else:
        assert queue.status_code == 403


def test_the_counsellor_reads_and_writes_and_every_access_is_audited(app, record, people):
    client = _as(app, "counsellor")
    before = db.session.execute(select(AuditEntry.action)).scalars().all()
    assert {"mental_health.case.create", "mental_health.alert.raise", "mental_health.session.add"} <= set(before)
    page = client.get(f"/mental-health/case/{record.id}").get_data(as_text=True)
    assert NAME in page and NOTE in page and CONTACT in page
    alert_id = record.alerts[0].id
    post(client, f"/mental-health/alert/{alert_id}/handle", {"action": "Đã gặp em"})
    post(client, f"/mental-health/case/{record.id}/status", {"status": "contacted"})
    post(client, f"/mental-health/case/{record.id}/session",
         {"held_on": "2025-03-02", "form": "online", "notes": "buổi 2", "actions": "", "referral": "hotline_111"})
    post(client, f"/mental-health/case/{record.id}/close", {"note": "Ổn định"})
    assert client.get(f"/mental-health/case/{record.id}/print").status_code == 200
    db.session.expire_all()
    entries = db.session.execute(select(AuditEntry).where(AuditEntry.action.startswith("mental_health."))
                                 .order_by(AuditEntry.id)).scalars().all()
    actions = [e.action for e in entries]
    for wanted in ("case.read", "alert.handle", "case.status", "session.add", "case.close", "case.export"):
        assert f"mental_health.{wanted}" in actions, wanted
    counsellor_id = people.users["counsellor"].id
    assert all(e.user_id == counsellor_id for e in entries if e.action.endswith((".read", ".handle", ".close")))
    assert all(e.object_id == str(record.id) and e.org_id == people.school_a.id
               for e in entries if e.object_type == "mental_health_case" and e.object_id)
    everything = " ".join(str(e.detail) for e in entries)
    assert NOTE not in everything and NAME not in everything and "Đã gặp em" not in everything
    assert audit.verify() == []
    log = client.get("/mental-health/audit").get_data(as_text=True)
    assert "case.read" in log and "counsellor" in log


def test_the_audit_log_page_is_scoped(app, record, people):
    _as(app, "counsellor").get(f"/mental-health/case/{record.id}")
    auditor = _as(app, "auditor").get("/mental-health/audit").get_data(as_text=True)
    assert "case.read" in auditor
    other = _as(app, "counsellor_b").get("/mental-health/audit").get_data(as_text=True)
    assert "case.read" not in other and "case.create" not in other
    assert _as(app, "school_admin").get("/mental-health/audit").status_code == 403


def test_admins_see_counts_never_content(app, record, people):
    for username in ("school_admin", "dept_admin"):
        page = _as(app, username).get("/mental-health/overview")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "1" in html
        for secret in (NAME, CONTACT, MESSAGE, NOTE, KLASS):
            assert secret not in html


def test_exports_hold_no_personal_data(app, record, people, tmp_path):
    campaign = open_campaign(people, "mental_health.phq8")
    for class_group in (people.class_a6, people.class_b6):
        for _ in range(6):
            add_response(campaign, class_group, PHQ8_MILD)
    confidential = open_campaign(people, "mental_health.phq9", confidential=True, name="Bảo mật")
    response = add_response(confidential, people.class_a6, {**{f"q{i}": "0" for i in range(1, 9)}, "q9": "2"})
    case = cases.start_confidential(confidential, people.school_a, consent_basis="child_and_parent", name=NAME,
                                    klass="6A", contact=CONTACT)
    cases.link_response(case, response, type("R", (), {"risk": True, "needs_review": False})())
    db.session.commit()
    texts = []
    for target in (campaign, confidential):
        for org in (people.dept, people.school_a):
            own = org is people.school_a  # raw rows and free text only in the school's own copy
            path = build_workbook(target, org, tmp_path / f"{target.id}-{org.code}.xlsx",
                                  ExportOptions(include_raw=own, own_school=own))
            book = load_workbook(path, read_only=True)
            for sheet in book.worksheets:
                for row in sheet.iter_rows(values_only=True):
                    texts.extend(str(v) for v in row if v is not None)
    joined = "\n".join(texts)
    from plugins.mental_health.sheets import sheets_for
    ours = [spec.name for spec in sheets_for(confidential, people.dept, ExportOptions())]
    assert len(ours) == 2 and set(ours) <= set(load_workbook(path).sheetnames)  # the plugin's sheets are in
    assert "THCS B" in texts and "6" in texts and "1" in texts  # figures are there: 6 students, 100 % mild
    for secret in (NAME, CONTACT, MESSAGE, NOTE, "Gặp lại thứ Sáu", "0988"):
        assert secret not in joined, secret


def test_purge_really_deletes_closed_records(app, record, people, run_cli, monkeypatch):
    counsellor = people.users["counsellor"]
    kept = cases.create_request(people.school_a, source="self_referral", anonymous=True, topic="study",
                                message="recent")
    for alert in record.alerts:
        cases.handle_alert(alert, counsellor, "Đã xử lý")
    cases.close_case(record, counsellor, "Kết thúc")
    record.closed_on = dt.date.today() - dt.timedelta(days=400)
    cases.close_case(kept, counsellor, "mới đóng")
    db.session.commit()
    record_id = record.id
    monkeypatch.setenv("SURVEYAPP_MH_RETENTION_DAYS", "365")
    result = run_cli(["mental-health", "purge"])
    assert result.exit_code == 0, result.output
    assert "deleted 1" in result.output
    db.session.expire_all()
    assert db.session.get(Case, record_id) is None and db.session.get(Case, kept.id) is not None
    assert db.session.execute(select(CaseSession)).first() is None
    assert db.session.execute(select(Alert).where(Alert.case_id == record_id)).first() is None
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            dumped = " ".join(str(v) for v in row)
            for secret in (NOTE, NAME, MESSAGE, CONTACT):
                assert secret not in dumped, (table.name, secret)
    assert "mental_health.purge" in db.session.execute(select(AuditEntry.action)).scalars().all()
    if db.engine.dialect.name == "sqlite":  # not even in freed pages of the file
        db.session.remove()
        database = Path(db.engine.url.database)
        raw = b"".join(p.read_bytes() for p in (database, Path(f"{database}-wal")) if p.exists())
        assert "NOTE-7f3a".encode() not in raw


def test_screening_report_suppresses_small_groups_and_draws_bars(app, people):
    campaign = open_campaign(people, "mental_health.phq8")
    school_c = add_unit(code="C", name="THCS C", kind="school", parent=people.ward2, levels=["thcs"])
    third = ClassGroup(school_id=people.school_a.id, grade=8, name="8A", size=30)
    class_c = ClassGroup(school_id=school_c.id, grade=9, name="9A", size=30)
    db.session.add_all([third, class_c])
    db.session.flush()
    for _ in range(6):
        add_response(campaign, people.class_a6, PHQ8_MILD)
        add_response(campaign, third, {f"q{i}": "0" for i in range(1, 9)})
        add_response(campaign, class_c, PHQ8_MILD)
    for _ in range(2):
        add_response(campaign, people.class_b6, PHQ8_MILD)
    db.session.commit()  # B (2) is under 5; C (6) is hidden too, or B = total - A - C
    sections = [s for group in get_registry().hook.report_sections(
        campaign=campaign, org=people.dept, user=people.users["dept_admin"], filters=None) for s in group]
    html = "".join(str(s.html) for s in sections)
    assert "<svg" in html and "<script" not in html and "style=" not in html
    assert "THCS A" in html and "50,0%" in html          # school A: 6 mild of 12
    for hidden in ("THCS B", "THCS C"):
        row = html.split(hidden, 1)[1].split("</tr>", 1)[0]
        assert "ẩn" in row and "%" not in row, row
    assert "ẩn: ít hơn 5 câu trả lời" in html.split("THCS B", 1)[1].split("</tr>", 1)[0]
    complementary = "ẩn để không thể suy ra một nhóm nhỏ"
    assert complementary in html.split("THCS C", 1)[1].split("</tr>", 1)[0]  # or B = total - A - C
    grade9 = html.split("<td>9</td>", 1)[1].split("</tr>", 1)[0]
    assert complementary in grade9  # grade 9 is exactly school C's class: the same group, hidden too
    grade8 = html.split("<td>8</td>", 1)[1].split("</tr>", 1)[0]
    assert "ẩn" not in grade8 and "%" in grade8
    page = _as(app, "dept_admin").get(f"/mental-health/campaign/{campaign.id}/report")
    assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)
    assert _as(app, "counsellor_b").get(f"/mental-health/campaign/{campaign.id}/report").status_code == 200
    assert "THCS A" not in _as(app, "counsellor_b").get(
        f"/mental-health/campaign/{campaign.id}/report").get_data(as_text=True)


def test_dass21_report_has_the_three_subscales(app, people):
    campaign = open_campaign(people, "mental_health.dass21")
    answers = {f"q{i}": "1" for i in range(1, 22)}      # each scale: 7 x 1 x 2 = 14
    for _ in range(5):
        add_response(campaign, people.class_a6, answers)
    db.session.commit()
    from plugins.mental_health import screening
    from surveyapp.campaigns import definition_of
    tables = screening.band_tables(campaign, definition_of(campaign), people.dept, "en")
    assert [t.scale_id for t in tables] == ["depression", "anxiety", "stress"]
    shares = {t.scale_id: {b: t.by_school[0].share(b) for b, _ in t.bands if t.by_school[0].share(b)} for t in tables}
    assert shares == {"depression": {"moderate": 1.0}, "anxiety": {"moderate": 1.0}, "stress": {"normal": 1.0}}


def test_navigation_badge_and_demo_content(app, people):
    from plugins.mental_health import demo
    demo.load(people.dept, [people.school_a], [], None)
    db.session.commit()
    assert db.session.execute(select(Case)).scalars().all().__len__() == 4
    assert cases.urgent_count({people.school_a.id}) == 1
    home = _as(app, "counsellor").get("/").get_data(as_text=True)
    assert "/mental-health/queue" in home and "(1 " in home
    assert "/mental-health/queue" not in _as(app, "school_admin").get("/").get_data(as_text=True)


def test_cli_switches_a_draft_campaign_to_confidential(app, people, run_cli):
    from surveyapp.campaigns import create_campaign
    campaign = create_campaign(name="Bảo mật", definition=get_registry().questionnaires["mental_health.phq_a"],
                               owner=people.dept, scope=[people.school_a], user_id=None)
    db.session.commit()
    result = run_cli(["mental-health", "confidential", str(campaign.id)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert campaign.settings == {"confidential": True}
    opened = open_campaign(people, "mental_health.phq9")
    assert run_cli(["mental-health", "confidential", str(opened.id)]).exit_code != 0  # not once it is open
