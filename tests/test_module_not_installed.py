"""A campaign whose module was disabled or uninstalled, seen by staff.

The attack: answer a campaign with its module installed, then start the app without that
plugin (SURVEYAPP_DISABLED_PLUGINS, as an operator would) and walk every staff page and
export of the campaign. Nothing may fail, every page says "module not installed", the core's
figures are those of before (read from the questionnaire stored with the campaign) and the
disclosure rules still apply; the module's own sections and sheets are absent, with a note.
"""
from __future__ import annotations

import random

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from campaign_helpers import open_campaign
from conftest import IsolatedClient, login, post
from surveyapp import create_app, get_registry
from surveyapp.campaigns import definition_of
from surveyapp.demo import random_answers
from surveyapp.extensions import db
from surveyapp.models import RESPONSE_SUBMITTED, ExportJob, Response, today
from surveyapp.questionnaire.schema import TEXT_TYPES
from surveyapp.scoring import score
from surveyapp.storage import response_values, result_values

NOT_INSTALLED_VI = "chưa được cài đặt"
KEPT_CONFIG = ("ENV", "TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "UPLOAD_FOLDER", "EXPORT_FOLDER",
               "MAIL_FOLDER", "SERVER_NAME", "PASSWORD_HASH_METHOD", "TWO_FACTOR_REQUIRED")


def without(app, plugin: str):
    """The same site and database, started with ``plugin`` disabled."""
    config = {key: app.config[key] for key in KEPT_CONFIG}
    other = create_app({**config, "DISABLED_PLUGINS": [plugin], "EXPORT_IN_THREAD": False})
    other.test_client_class = IsolatedClient
    return other


MODULES = [("school_dialogue", "school_dialogue.dialogue"), ("mental_health", "mental_health.phq9")]


@pytest.fixture(params=MODULES, ids=[module for module, _ in MODULES])
def dialogue(request, world):
    """A campaign with answers: 12 in 6A and 3 in 7A of school A, 8 in school B."""
    module, qid = request.param
    campaign = open_campaign(world, qid, name=module)
    add_responses(campaign, world.school_a, world.class_a6, 12, seed=1, text="Sân trường cần thêm cây")
    add_responses(campaign, world.school_a, world.class_a7, 3, seed=2)
    add_responses(campaign, world.school_b, world.class_b6, 8, seed=3)
    return campaign


def add_responses(campaign, school, class_group, n, seed, text=None):
    """``n`` scored responses of random answers (every free-text item holding ``text``)."""
    rng = random.Random(seed)
    definition = definition_of(campaign)
    rows = []
    for _ in range(n):
        answers = random_answers(definition, rng)
        answers.update({i: text for i, info in definition.items.items() if text and info.item.type in TEXT_TYPES})
        result = score(definition, answers, methods=get_registry().scoring_methods)
        rows.append({"campaign_id": campaign.id, "qversion_id": campaign.qversion_id, "school_id": school.id,
                     "class_group_id": class_group.id, "grade": class_group.grade, "status": RESPONSE_SUBMITTED,
                     "submitted_on": today(), **response_values(definition, answers), **result_values(result)})
    db.session.execute(insert(Response), rows)
    db.session.commit()


def figures(client, campaign) -> dict[str, str]:
    """The core's downloadable figures: every summary table as CSV."""
    return {table: client.get(f"/reports/campaign/{campaign.id}/csv?table={table}").get_data(as_text=True)
            for table in ("schools", "units", "levels")}


def workbook(client, app, campaign, org_id: int) -> dict[str, list]:
    """Queue an export as a user would and build it; every sheet's cells by sheet name."""
    from surveyapp.jobs import run_job
    app.config["EXPORT_IN_THREAD"] = False
    assert post(client, f"/exports/campaign/{campaign.id}", {"org": str(org_id)}).status_code == 302
    with app.app_context():
        job_id = db.session.execute(select(ExportJob.id).order_by(ExportJob.id.desc())).scalars().first()
        job = run_job(job_id)
        assert job.status == "done", job.message
        book = load_workbook(job.path)
    return {sheet.title: [[cell.value for cell in row] for row in sheet.iter_rows()] for sheet in book.worksheets}


def staff_pages(campaign, world) -> list[str]:
    base = f"/campaigns/{campaign.id}"
    report = f"/reports/campaign/{campaign.id}"
    return ["/", "/campaigns/", base, f"{base}/codes", f"{base}/schools/{world.school_a.id}", "/reports/",
            report, f"{report}?org={world.ward.id}", f"{report}?org={world.school_a.id}", f"{report}?level=thcs",
            f"{report}/report.docx", f"/exports/campaign/{campaign.id}"]


def test_a_disabled_modules_campaign_stays_readable_to_staff_with_the_same_figures(app, client, world, dialogue):
    login(client, "dept_admin")
    before = figures(client, dialogue)
    book_before = workbook(client, app, dialogue, world.dept.id)

    gone = without(app, dialogue.module)
    staff = gone.test_client()
    login(staff, "dept_admin")
    for url in staff_pages(dialogue, world):
        page = staff.get(url)
        assert page.status_code == 200, (url, page.get_data(as_text=True)[-1500:])
    for url in ("/", "/campaigns/", f"/campaigns/{dialogue.id}", "/reports/", f"/reports/campaign/{dialogue.id}"):
        assert NOT_INSTALLED_VI in staff.get(url).get_data(as_text=True), url

    assert figures(staff, dialogue) == before
    book_after = workbook(staff, gone, dialogue, world.dept.id)
    cover = next(iter(book_after))  # names the module as not installed and the sheets left out
    indicators = "Chỉ tiêu thống kê"  # the core's sheet of rows that modules contribute: now none
    assert "Không có phân hệ nào cung cấp số liệu" in str(book_after[indicators])
    core = [name for name in book_after if name in book_before and name not in (cover, indicators)]
    assert core and set(book_before) - set(book_after), "the module's own sheets are gone, the core's stay"
    for name in core:
        assert book_after[name] == book_before[name], name
    about = " ".join(str(cell) for row in book_after[cover] for cell in row if cell)
    assert f"{dialogue.module} (phân hệ chưa được cài đặt)" in about
    assert f"{dialogue.module} (phân hệ chưa được cài đặt)" not in " ".join(
        str(cell) for row in book_before[cover] for cell in row if cell)


def test_the_privacy_layer_still_applies_without_the_module(app, client, world, dialogue):
    gone = without(app, dialogue.module)
    staff = gone.test_client()
    login(staff, "dept_admin")
    schools = figures(staff, dialogue)["schools"]
    assert "THCS A" in schools and "THCS B" in schools
    book = workbook(staff, gone, dialogue, world.dept.id)
    cells = [str(cell) for sheet in book.values() for row in sheet for cell in row if cell is not None]
    assert not any("Sân trường cần thêm cây" in cell for cell in cells)  # no free text department-wide
    class_7a = [row for row in book["Theo lớp"] if "7A" in row]
    assert class_7a and all(cell is None or "ẩn" in str(cell) for cell in class_7a[0][7:])  # 3 answers: hidden
    assert len(class_7a[0][7:]) > 3


def test_a_campaign_without_its_module_can_be_closed_but_not_opened_again(app, world, dialogue):
    gone = without(app, dialogue.module)
    staff = gone.test_client()
    login(staff, "dept_admin")
    status = f"/campaigns/{dialogue.id}/status"
    assert post(staff, status, {"status": "closed"}).status_code == 302
    page = staff.get(f"/campaigns/{dialogue.id}").get_data(as_text=True)
    assert 'name="status" value="open"' not in page  # no button that could only fail
    post(staff, status, {"status": "open"})
    with gone.app_context():
        from surveyapp.models import Campaign
        assert db.session.get(Campaign, dialogue.id).status == "closed"
    assert "không thể mở đợt khảo sát" in staff.get(f"/campaigns/{dialogue.id}").get_data(as_text=True)
