"""Journey 4 (issue 4): a school admin fills the safe-school self-assessment with an
evidence file, closes the tab half-way, finds the draft again, submits; the reviewing
unit returns it with a comment; the school sees the comment beside the criterion."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from surveyapp import get_registry
from surveyapp.extensions import db
from surveyapp.models import OrgUnit

from .a11y import assert_accessible
from .conftest import navigate, shot
from .test_staff_journeys import DESKTOP, sign_in

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
COMMENT = "Cần bổ sung biên bản diễn tập phòng cháy năm nay."


def safe_school_campaign(server) -> tuple[int, int]:
    from surveyapp.campaigns import create_campaign, set_status

    def create():
        with server.app.test_request_context():
            school = db.session.execute(select(OrgUnit).filter_by(code="P01-THCS")).scalar_one()
            department = db.session.execute(select(OrgUnit).filter_by(code="SGD")).scalar_one()
            campaign = create_campaign(name="Tự đánh giá trường học an toàn 2026",
                                       definition=get_registry().questionnaires["safe_school.tt18_2023"],
                                       owner=department, scope=[school], user_id=None)
            set_status(campaign, "open")
            db.session.commit()
            return campaign.id, school.id
    return server.query(create)


def fill_group(page, number: int) -> None:
    """Mark every criterion of one group as met and write something in its text boxes."""
    group = page.locator("form[id^=group-]").nth(number)
    for name in dict.fromkeys(group.locator("input[type=radio]").evaluate_all("els => els.map(e => e.name)")):
        group.locator(f'input[name="{name}"][value="1"]').check()
    for box in group.locator("textarea[name^=tc], textarea:not([name*='__'])").all():
        if not box.input_value():
            box.fill("Đã thực hiện đầy đủ.")


def save_group(page, number: int) -> None:
    navigate(page, page.locator("form[id^=group-]").nth(number).locator("button[type=submit]").last)


def test_self_assessment_with_evidence_draft_submit_and_return(live_server, context_factory, tmp_path):
    campaign_id, school_id = safe_school_campaign(live_server)
    school = context_factory(viewport=DESKTOP)
    page = school.new_page()
    sign_in(page, live_server, "school_admin")
    page.goto(f"{live_server.url}/safe_school/")
    navigate(page, page.locator(f'form[action$="/campaign/{campaign_id}/school/{school_id}/start"] button'))
    assessment_url = page.url
    assert "/safe_school/a/" in assessment_url
    assert_accessible(page, "the self-assessment")
    groups = page.locator("form[id^=group-]").count()
    assert groups >= 2

    fill_group(page, 0)
    evidence = tmp_path / "bien-ban-dien-tap.pdf"
    evidence.write_bytes(PDF)
    page.locator("form[id^=group-]").nth(0).locator("input[type=file]").first.set_input_files(str(evidence))
    save_group(page, 0)
    assert "bien-ban-dien-tap.pdf" in page.locator("form[id^=group-]").nth(0).inner_text()
    fill_group(page, 1)
    save_group(page, 1)
    shot(page, "journey4-01-draft")
    page.close()  # the tab is closed half-way

    page = school.new_page()
    page.goto(assessment_url)
    first, second = page.locator("form[id^=group-]").nth(0), page.locator("form[id^=group-]").nth(1)
    assert first.locator("input[type=radio][value='1']:checked").count() >= 1, "the draft was lost"
    assert second.locator("input[type=radio][value='1']:checked").count() >= 1, "the second group was lost"
    assert "bien-ban-dien-tap.pdf" in first.inner_text(), "the evidence file was lost"
    for number in range(2, groups):
        fill_group(page, number)
        save_group(page, number)
    navigate(page, page.get_by_role("button", name="Submit the self-assessment"))
    shot(page, "journey4-02-submitted")

    reviewer = context_factory(viewport=DESKTOP).new_page()
    sign_in(reviewer, live_server, "ward_admin")
    reviewer.goto(assessment_url + "/review")
    assert_accessible(reviewer, "the review page")
    reviewer.locator("textarea[name^=rc__]").first.fill(COMMENT)
    reviewer.locator("input[name=decision][value=return]").check()
    reviewer.locator("#comment").fill("Vui lòng bổ sung minh chứng.")
    shot(reviewer, "journey4-03-review")
    navigate(reviewer, reviewer.get_by_role("button", name="Record the decision"))

    page.goto(assessment_url)
    assert COMMENT in page.locator(".ss-review").first.inner_text()
    assert "Vui lòng bổ sung minh chứng." in page.locator("main").inner_text()
    shot(page, "journey4-04-returned-with-comment")
