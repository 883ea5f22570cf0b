"""Staff in a desktop browser: the department admin's workbook download."""
from __future__ import annotations

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from surveyapp.extensions import db
from surveyapp.models import Campaign, Response

from .a11y import assert_accessible
from .conftest import DEMO_PASSWORD, navigate, shot

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 900}


def sign_in(page, server, username: str) -> None:
    page.goto(f"{server.url}/login?lang=en")
    assert_accessible(page, "the sign-in page")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{server.url}/")


def test_department_admin_downloads_the_campaign_workbook(live_server, context_factory, tmp_path):
    def campaign_facts():
        campaign = db.session.execute(select(Campaign).filter_by(module="school_dialogue")).scalar_one()
        count = db.session.execute(select(func.count()).select_from(Response)
                                   .where(Response.campaign_id == campaign.id)).scalar_one()
        return campaign.id, campaign.name, count
    campaign_id, name, responses = live_server.query(campaign_facts)
    page = context_factory(viewport=DESKTOP, accept_downloads=True).new_page()
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/campaigns/{campaign_id}")
    shot(page, "journey5-01-campaign")
    navigate(page, page.get_by_role("link", name="Excel export"))
    assert_accessible(page, "the export page")
    page.get_by_label("Include the anonymised raw data sheet").check()
    navigate(page, page.get_by_role("button", name="Build the workbook"))
    # a city-wide raw sheet of a student survey is refused, with the reason on the form
    assert page.get_by_role("alert").filter(has_text="given only to a school").count() == 1
    navigate(page, page.get_by_role("button", name="Build the workbook"))
    download_link = page.get_by_role("link", name="Download")
    download_link.wait_for(timeout=60_000)  # the status page refreshes itself until the job is done
    shot(page, "journey5-02-ready")
    with page.expect_download() as info:
        download_link.click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.suffix == ".xlsx"
    book = load_workbook(path)
    assert len(book.sheetnames) >= 4
    cover = book.worksheets[0]
    assert name in [cell.value for row in cover.iter_rows() for cell in row], "campaign name not on the cover"
    assert not [sheet for sheet in book.worksheets if sheet.title.startswith("Raw data")], book.sheetnames
    assert responses > 0
