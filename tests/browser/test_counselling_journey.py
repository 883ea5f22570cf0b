"""Journey 3 (issue 5): a student endorsing the PHQ-A self-harm item in a confidential
screening sees the help page before anything else; the counsellor, signed in in
another browser, finds the urgent alert in the queue."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from surveyapp import get_registry
from surveyapp.extensions import db
from surveyapp.models import AccessCode, OrgUnit

from .a11y import assert_accessible
from .conftest import navigate, shot
from .test_staff_journeys import DESKTOP, sign_in

pytestmark = pytest.mark.browser
STUDENT = "Nguyễn Thị Bình"


def confidential_phq_a(server) -> str:
    """A confidential PHQ-A campaign at the demo counsellor's school; returns a class code."""
    from surveyapp.campaigns import create_campaign, set_status

    def create():
        with server.app.test_request_context():
            definition = get_registry().questionnaires["mental_health.phq_a"]
            school = db.session.execute(select(OrgUnit).filter_by(code="P01-THCS")).scalar_one()
            campaign = create_campaign(name="Sàng lọc PHQ-A (bảo mật)", definition=definition, owner=school,
                                       scope=[school], user_id=None, settings={"confidential": True})
            set_status(campaign, "open")
            db.session.commit()
            return db.session.execute(select(AccessCode.code).filter_by(campaign_id=campaign.id)
                                      .where(AccessCode.class_group_id.is_not(None))).scalars().first()
    return server.query(create)


def urgent_alerts(page) -> int:
    return int(page.locator("h2 .badge").first.inner_text())


def test_self_harm_answer_shows_help_first_and_alerts_the_counsellor(live_server, context_factory):
    if "mental_health.phq_a" not in live_server.app.extensions["surveyapp"].questionnaires:
        pytest.skip("mental_health.phq_a is not registered")
    code = confidential_phq_a(live_server)
    counsellor = context_factory(viewport=DESKTOP).new_page()
    sign_in(counsellor, live_server, "counsellor")
    counsellor.goto(f"{live_server.url}/mental-health/queue")
    before = urgent_alerts(counsellor)

    student = context_factory().new_page()
    student.goto(f"{live_server.url}/s/{code}")
    assert "/consent" in student.url, "a confidential screening must ask consent before anything"
    shot(student, "journey3-01-consent")
    student.locator("input[name=basis]").first.check()
    student.locator("input[name=agree]").check()
    navigate(student, student.locator("main form button[type=submit]"))
    student.locator("#name").fill(STUDENT)
    shot(student, "journey3-02-identify")
    navigate(student, student.locator("main form button[type=submit]"))
    navigate(student, student.locator("main form button[type=submit]"))  # the core's start page
    for _ in range(5):
        assert_accessible(student, student.url)
        for name in dict.fromkeys(student.locator("main input[type=radio]").evaluate_all(
                "els => els.map(e => e.name)")):
            value = "1" if name == "q9" else "0"
            student.locator(f'main input[name="{name}"][value="{value}"]').check()
        if student.locator("button[value=submit]").count():
            shot(student, "journey3-03-last-part")
            navigate(student, student.locator("button[value=submit]"))
            break
        navigate(student, student.locator("button[value=next]"))
    assert student.url.endswith("/s/done"), f"the page after sending is {student.url}, not the neutral address"
    assert student.locator("#help-first").count() == 1, "help must come first after a risk answer"
    assert "111" in student.locator("main").inner_text()
    assert_accessible(student, "the help page")
    shot(student, "journey3-04-help-first")

    counsellor.reload()
    assert urgent_alerts(counsellor) == before + 1
    assert STUDENT in counsellor.locator("main table").first.inner_text()
    shot(counsellor, "journey3-05-counsellor-queue")
