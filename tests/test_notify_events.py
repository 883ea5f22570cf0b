"""Each event that notifies, end to end: the event happens through the module's own code path,
the worker delivers to a real SMTP server on loopback, and the mail is checked against the
test's own data (no student's name, message or answer ever leaves)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from conftest import PASSWORD, login, post
from mental_health_helpers import PHQ9_RISK, code_for, identify, open_campaign
from smtp_helpers import body_and_subject
from respondent_helpers import answer_all
from surveyapp import notify
from surveyapp.accounts import create_user
from surveyapp.extensions import db
from surveyapp.models import utcnow
from surveyapp.notify import Notification
from surveyapp.notify.escalation import due_after, sweep
from surveyapp.notify.sweeps import low_participation
from surveyapp.notify.worker import deliver_due, run_once
from surveyapp.workdays import add_working_hours

from plugins.mental_health.models import Alert

STUDENT, KLASS, PHONE = "Phạm Thị Duyên", "6A", "0977 654 321"


@pytest.fixture
def app(mail_app):
    return mail_app


@pytest.fixture
def staff(world):
    """Two active counsellors and a deactivated one at school A, one at B; a ward safeguarding
    officer and a configured ward address; every account has an address."""
    users = world.users
    users["counsellor2"] = create_user("counsellor2", PASSWORD, "counsellor", world.school_a, "Võ Văn Hai")
    users["former"] = create_user("former", PASSWORD, "counsellor", world.school_a)
    users["former"].active = False
    users["counsellor_b"] = create_user("counsellor_b", PASSWORD, "counsellor", world.school_b)
    users["ward_safe"] = create_user("ward_safe", PASSWORD, "safeguarding", world.ward, "Đỗ Thị Ba")
    world.ward.contact = {"safeguarding_email": "baove@phuong1.example.vn"}
    for name, user in users.items():
        user.email = f"{name}@example.vn"
    db.session.commit()
    return users


def mails_to(smtp, *names) -> set[str]:
    return {str(m["To"].addresses[0].addr_spec) for m in smtp.inbox.messages} & {f"{n}@example.vn" for n in names}


def recipients(smtp) -> list[str]:
    return sorted(m["To"].addresses[0].addr_spec for m in smtp.inbox.messages)


def assert_nothing_sensitive(smtp, *secrets):
    for message in smtp.inbox.messages:
        text = body_and_subject(message)
        for secret in secrets:
            assert secret not in text, f"{secret!r} in a mail to {message['To']}"


def screening_alert(client, world) -> Alert:
    """A student answers the self-harm item in a confidential screening (the real pages)."""
    campaign = open_campaign(world, "mental_health.phq9", confidential=True)
    code = code_for(campaign, world.class_a6)
    identify(client, code, name=STUDENT, klass=KLASS, contact=PHONE)
    answer_all(client, code, PHQ9_RISK)
    db.session.expire_all()
    return db.session.execute(select(Alert)).scalar_one()


def test_a_risk_answer_tells_every_active_counsellor_of_the_school_at_once(client, world, staff, smtp):
    alert = screening_alert(client, world)
    assert run_once() == {"sent": 2}
    assert recipients(smtp) == ["counsellor2@example.vn", "counsellor@example.vn"]  # not the former, not B's
    assert all(m["Subject"] == "Việc khẩn tại THCS A" for m in smtp.inbox.messages)
    assert f"/login?next=/mental-health/case/{alert.case_id}" in smtp.inbox.messages[0].get_content()
    assert_nothing_sensitive(smtp, STUDENT, "Duyên", PHONE, "0977", "PHQ", "q9")


def test_an_urgent_request_for_help_alerts_the_counsellors(client, world, staff, smtp):
    words = "Bố em say rượu đánh em hằng đêm"
    page = client.get("/mental-health/ask/A")
    assert page.status_code == 200
    post(client, "/mental-health/ask/A", {"name": STUDENT, "klass": KLASS, "contact": PHONE, "topic": "safety",
                                          "urgency": "urgent", "message": words})
    db.session.expire_all()
    assert db.session.execute(select(Alert)).scalar_one().reason == "urgent_request"
    run_once()
    assert recipients(smtp) == ["counsellor2@example.vn", "counsellor@example.vn"]
    assert_nothing_sensitive(smtp, STUDENT, words, "say rượu", PHONE)


def test_a_box_message_tripping_the_safeguarding_check_alerts_the_counsellors(client, world, staff, smtp):
    words = "Em muốn tự tử vì bị bắt nạt ở lớp 7A"
    post(client, "/school_dialogue/box/A", {"body": words})
    db.session.expire_all()
    calm = "Căng tin nên bán thêm sữa chua"
    post(client, "/school_dialogue/box/A", {"body": calm})
    run_once()
    assert recipients(smtp) == ["counsellor2@example.vn", "counsellor@example.vn"]   # only the urgent one
    assert smtp.inbox.messages[0]["Subject"] == "Thư khẩn trong hộp thư góp ý của THCS A"
    assert_nothing_sensitive(smtp, words, "tự tử", "bắt nạt", calm)


def test_escalation_fires_after_the_working_hours_and_climbs_until_the_top(app, client, world, staff, smtp):
    alert = screening_alert(client, world)
    key = f"mental_health_alert:{alert.id}"
    escalation = notify.state(key)
    assert escalation.next_at == add_working_hours(escalation.raised_at, 4)   # the default: 4 working hours
    assert run_once() == {"sent": 2}
    smtp.inbox.messages.clear()

    assert sweep(escalation.next_at - dt.timedelta(seconds=1)) == 0
    first_due = escalation.next_at
    assert sweep(first_due) == 1
    deliver_due(first_due)
    # The ward: its safeguarding officer and its configured address, not the ward admin.
    assert recipients(smtp) == ["baove@phuong1.example.vn", "ward_safe@example.vn"]
    assert smtp.inbox.messages[0]["Subject"] == "Việc khẩn chưa được xử lý: THCS A"
    assert "/mental-health/case" not in smtp.inbox.messages[0].get_content()  # they cannot open the record

    db.session.expire_all()
    escalation = notify.state(key)
    assert escalation.level == 1 and escalation.next_at == due_after(first_due)
    smtp.inbox.messages.clear()
    sweep(escalation.next_at)
    deliver_due(escalation.next_at)
    assert recipients(smtp) == ["dept_admin@example.vn"]   # no contact set there: the department's admins
    db.session.expire_all()
    assert notify.state(key).next_at is None                # the top: nothing further
    assert_nothing_sensitive(smtp, STUDENT, PHONE)

    ward = app.test_client()
    login(ward, "ward_admin")
    matters = ward.get("/admin/notifications").get_data(as_text=True)
    assert 'id="open-matters"' in matters and "Cảnh báo khẩn gửi giáo viên tham vấn của trường" in matters
    assert STUDENT not in matters
    counsellor = app.test_client()
    login(counsellor, "counsellor")
    page = counsellor.get(f"/mental-health/case/{alert.case_id}").get_data(as_text=True)
    for who in ("Võ Văn Hai", "Đỗ Thị Ba", "baove@phuong1.example.vn", "dept_admin", "chuyển cấp"):
        assert who in page, who
    assert "Những người đã được báo (5)" in page   # two counsellors, the ward's two, the department


def test_escalation_stops_once_a_counsellor_acknowledges(app, client, world, staff, smtp):
    alert = screening_alert(client, world)
    counsellor = app.test_client()
    login(counsellor, "counsellor")
    post(counsellor, f"/mental-health/alert/{alert.id}/handle", {"action": "Đã gặp em và gọi phụ huynh."})
    db.session.expire_all()
    escalation = notify.state(f"mental_health_alert:{alert.id}")
    assert escalation.acknowledged_at is not None and escalation.acknowledged_by_id == staff["counsellor"].id
    later = utcnow() + dt.timedelta(days=30)
    assert sweep(later) == 0
    run_once(later)
    assert "ward_safe@example.vn" not in recipients(smtp) and "dept_admin@example.vn" not in recipients(smtp)
    assert db.session.execute(select(Notification).filter_by(kind="notify.escalation")).first() is None


def test_a_counsellor_marking_an_urgent_box_message_seen_stops_its_escalation(app, client, world, staff, smtp):
    post(client, "/school_dialogue/box/A", {"body": "Bạn ấy dọa sẽ đánh em sau giờ học, em tự làm hại mình"})
    from plugins.school_dialogue.models import BoxMessage
    message = db.session.execute(select(BoxMessage)).scalar_one()
    counsellor = app.test_client()
    login(counsellor, "counsellor")
    post(counsellor, f"/school_dialogue/messages/{message.id}", {})
    db.session.expire_all()
    assert notify.state(f"school_dialogue_message:{message.id}").acknowledged_at is not None
    page = counsellor.get(f"/school_dialogue/messages/{message.id}").get_data(as_text=True)
    assert "Những người đã được báo (2)" in page and "Võ Văn Hai" in page   # who was told, on the message
    assert sweep(utcnow() + dt.timedelta(days=30)) == 0


def test_box_replies_due_soon_and_overdue_remind_the_dialogue_lead_once_a_day(world, staff, smtp):
    from plugins.school_dialogue import box
    from plugins.school_dialogue.notices import reply_reminders
    today = dt.date(2026, 3, 9)  # a Monday
    due_soon, _ = box.post_message(world.school_a, "Sân trường cần thêm cây xanh", commit=False)
    overdue, _ = box.post_message(world.school_a, "Nhà vệ sinh tầng 2 bị hỏng", commit=False)
    later, _ = box.post_message(world.school_a, "Thư viện nên mở cả buổi trưa", commit=False)
    answered, _ = box.post_message(world.school_a, "Cảm ơn thầy cô", commit=False)
    due_soon.due_on, overdue.due_on, later.due_on = dt.date(2026, 3, 11), dt.date(2026, 3, 6), dt.date(2026, 3, 20)
    answered.due_on, answered.replied_on, answered.status = dt.date(2026, 3, 2), dt.date(2026, 3, 2), "answered"
    db.session.commit()
    now = utcnow()
    reply_reminders(now, today)
    reply_reminders(now, today)             # a second worker, or a restart, the same day
    db.session.commit()
    deliver_due()
    subjects = sorted(m["Subject"] for m in smtp.inbox.messages)
    assert subjects == ["Thư góp ý quá hạn trả lời tại THCS A", "Thư góp ý sắp đến hạn trả lời tại THCS A"]
    assert recipients(smtp) == ["school_admin@example.vn", "school_admin@example.vn"]
    assert "1 thư góp ý" in smtp.inbox.messages[0].get_content()
    assert_nothing_sensitive(smtp, "cây xanh", "vệ sinh", "Thư viện")
    smtp.inbox.messages.clear()
    reply_reminders(now, today + dt.timedelta(days=1))
    db.session.commit()
    deliver_due()
    assert len(smtp.inbox.messages) == 2    # the next day: reminded again until answered


def test_safe_school_decisions_tell_the_school_and_submission_tells_the_reviewer(client, world, staff, smtp):
    from test_safe_school import _submitted, open_campaign as open_safe_school
    campaign = open_safe_school(world)
    assessment_id = _submitted(client, world, campaign)
    deliver_due()
    assert recipients(smtp) == ["ward_admin@example.vn"]
    assert smtp.inbox.messages[0]["Subject"] == "Bản tự đánh giá trường học an toàn cần thẩm định: THCS A"
    smtp.inbox.messages.clear()
    login(client, "ward_admin")
    comment = "Tiêu chí 2.3: bổ sung biên bản diễn tập PCCC"
    post(client, f"/safe_school/a/{assessment_id}/review", {"decision": "return", "comment": comment})
    deliver_due()
    assert recipients(smtp) == ["school_admin@example.vn"]
    assert smtp.inbox.messages[0]["Subject"] == \
        "Bản tự đánh giá trường học an toàn được trả lại để chỉnh sửa: THCS A"
    assert_nothing_sensitive(smtp, comment, "PCCC")


def test_a_finished_export_tells_the_person_who_asked(world, staff, smtp):
    from surveyapp.export import ExportOptions
    from surveyapp.jobs import queue_export, run_job
    campaign = open_campaign(world, "mental_health.phq9")
    job = queue_export(campaign, world.dept, staff["viewer"].id, ExportOptions())
    assert run_job(job.id).status == "done"
    deliver_due()
    assert recipients(smtp) == ["viewer@example.vn"]
    assert f"/login?next=/exports/{job.id}" in smtp.inbox.messages[0].get_content()


def test_low_participation_before_closing_is_one_daily_message_per_school(world, staff, smtp):
    first = open_campaign(world, "mental_health.phq9", name="Đợt 1")
    second = open_campaign(world, "mental_health.phq8", name="Đợt 2")
    now = utcnow()
    today = notify.local_now(now).date()
    for campaign in (first, second):
        campaign.closes_on = today + dt.timedelta(days=2)
    db.session.commit()
    assert low_participation(now) == 2          # schools A and B, nobody answered
    assert low_participation(now) == 2
    db.session.commit()
    deliver_due()
    assert recipients(smtp) == ["school_admin@example.vn", "school_b_admin@example.vn"]  # one each, not per class
    assert "2 đợt khảo sát" in smtp.inbox.messages[0].get_content()
    first.closes_on = second.closes_on = today + dt.timedelta(days=10)
    db.session.commit()
    assert low_participation(now) == 0          # not yet close to closing


def test_the_workers_daily_run_calls_the_modules_sweeps_once_a_day(app, world, staff, smtp):
    from plugins.school_dialogue import box
    from surveyapp.notify.sweeps import run_sweeps
    message, _ = box.post_message(world.school_a, "Sân bóng bị ngập nước khi mưa", commit=False)
    message.due_on = dt.date.today() - dt.timedelta(days=1)
    db.session.commit()
    now = dt.datetime.combine(dt.date.today(), dt.time(2, 0))   # 09:00 in Vietnam, after the daily hour
    run_sweeps(now)
    run_sweeps(now + dt.timedelta(minutes=5))                    # later polls the same day do not repeat it
    deliver_due()
    assert [m["Subject"] for m in smtp.inbox.messages] == ["Thư góp ý quá hạn trả lời tại THCS A"]
    assert_nothing_sensitive(smtp, "Sân bóng", "ngập")


def test_a_school_without_an_active_counsellor_tells_its_admins_at_once(client, world, staff, smtp):
    for name in ("counsellor", "counsellor2"):
        staff[name].active = False
    db.session.commit()
    screening_alert(client, world)
    run_once()
    assert recipients(smtp) == ["school_admin@example.vn"]
