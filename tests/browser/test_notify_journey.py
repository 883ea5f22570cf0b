"""Issue 16's journey: a student answers the self-harm item of a confidential screening; the
counsellor's mailbox (a real SMTP server on loopback) receives the alert; the counsellor signs in
from the mail's link and records what was done; the escalation then never fires."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from smtp_helpers import SmtpServer, body_and_subject
from surveyapp import notify
from surveyapp.extensions import db
from surveyapp.models import utcnow
from surveyapp.notify import Notification
from surveyapp.notify.escalation import sweep
from surveyapp.notify.worker import start_thread

from .a11y import assert_accessible
from .conftest import DEMO_PASSWORD, navigate, shot
from .test_counselling_journey import STUDENT, confidential_phq_a
from .test_staff_journeys import DESKTOP

pytestmark = pytest.mark.browser
COUNSELLOR_MAIL = "counsellor@demo.truonghoc.example"


@pytest.fixture
def mailbox(live_server):
    """Point the live server's mail at a real SMTP server and run the worker thread (as `surveyapp serve`)."""
    smtp = SmtpServer().start()
    config = live_server.app.config
    saved = {key: config.get(key) for key in ("SMTP_HOST", "SMTP_PORT", "SMTP_TLS", "BASE_URL")}
    config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port), SMTP_TLS="none", BASE_URL=live_server.url)
    thread, stop = start_thread(live_server.app, interval=0.2)
    yield smtp
    stop.set()
    thread.join(timeout=10)
    config.update(saved)
    smtp.stop()


def alert_mail(smtp, case_id: int, page):
    """The alert mail about this case (the demo's own open alerts are mailed too)."""
    for _ in range(300):
        for message in smtp.inbox.to(COUNSELLOR_MAIL):
            if re.search(rf"/mental-health/case/{case_id}\s", message.get_content()):
                return message
        page.wait_for_timeout(100)
    raise AssertionError(f"no alert mail about case {case_id}: {[m.get_content() for m in smtp.inbox.messages]}")


def answer_with_risk(student, server, code: str) -> None:
    student.goto(f"{server.url}/s/{code}")
    student.locator("input[name=basis]").first.check()
    student.locator("input[name=agree]").check()
    navigate(student, student.locator("main form button[type=submit]"))
    student.locator("#name").fill(STUDENT)
    navigate(student, student.locator("main form button[type=submit]"))
    navigate(student, student.locator("main form button[type=submit]"))
    for _ in range(5):
        for name in dict.fromkeys(student.locator("main input[type=radio]").evaluate_all(
                "els => els.map(e => e.name)")):
            student.locator(f'main input[name="{name}"][value="{"1" if name == "q9" else "0"}"]').check()
        if student.locator("button[value=submit]").count():
            navigate(student, student.locator("button[value=submit]"))
            break
        navigate(student, student.locator("button[value=next]"))
    assert student.url.endswith("/s/done") and student.locator("#help-first").count() == 1


def test_the_alert_mail_brings_the_counsellor_in_and_acknowledging_stops_the_escalation(
        live_server, context_factory, mailbox):
    if "mental_health.phq_a" not in live_server.app.extensions["surveyapp"].questionnaires:
        pytest.skip("mental_health.phq_a is not registered")
    code = confidential_phq_a(live_server)
    student = context_factory().new_page()
    answer_with_risk(student, live_server, code)

    def student_case() -> int:
        from plugins.mental_health.models import Case
        return db.session.execute(select(Case.id).filter_by(student_name=STUDENT).order_by(Case.id.desc())).scalars().first()

    case_id = live_server.query(student_case)
    message = alert_mail(mailbox, case_id, student)
    text = body_and_subject(message)
    assert STUDENT not in text and "Bình" not in text and "PHQ" not in text   # nothing about the student
    link = re.search(r"http://\S+", message.get_content()).group(0)
    assert link.startswith(f"{live_server.url}/login?next=/mental-health/case/")

    counsellor = context_factory(viewport=DESKTOP).new_page()
    counsellor.goto(link)
    assert_accessible(counsellor, "the sign-in page reached from the alert mail")
    counsellor.locator("#username").fill("counsellor")
    counsellor.locator("#password").fill(DEMO_PASSWORD)
    navigate(counsellor, counsellor.locator("main form button[type=submit]"))
    case_path = link.split("next=", 1)[1]
    assert case_path == f"/mental-health/case/{case_id}"
    assert counsellor.url == f"{live_server.url}{case_path}", "signing in did not lead to the alert"
    told = counsellor.locator("details.told")
    told.locator("summary").click()
    assert "Tư vấn viên THCS Hồng Bàng" in told.inner_text()
    shot(counsellor, "journey16-01-case-from-mail")
    form = counsellor.locator("form[action*='/handle']").last
    form.locator("textarea").fill("Đã gặp em ngay trong giờ ra chơi và gọi điện cho mẹ em.")
    navigate(counsellor, form.locator("button[type=submit]"))
    shot(counsellor, "journey16-02-acknowledged")

    def escalation_after_a_month():
        from plugins.mental_health.models import Alert
        alert = db.session.execute(select(Alert).filter_by(case_id=case_id)).scalars().first()
        key = f"mental_health_alert:{alert.id}"
        state = notify.state(key)
        sweep(utcnow() + dt.timedelta(days=30))   # a month later (other, unanswered demo alerts do escalate)
        escalations = db.session.execute(select(Notification).filter_by(subject_key=key, kind="notify.escalation")).all()
        return alert.handled_at is not None, state.acknowledged_at is not None, state.next_at, len(escalations)

    assert live_server.query(escalation_after_a_month) == (True, True, None, 0)
