"""The notification outbox against a real SMTP server on loopback (aiosmtpd).

Time is injected (``now``), never slept: back-off and escalation are checked by moving the clock."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select, update

from conftest import login, make_app, post
from smtp_helpers import body_and_subject
from surveyapp import notify
from surveyapp.extensions import db
from surveyapp.hookspecs import hookimpl
from surveyapp.models import utcnow
from surveyapp.notify import Notification, UnsafeParameter
from surveyapp.notify.sweeps import send_digests
from surveyapp.notify.worker import claim_batch, run_once

from plugins.mental_health import cases

STUDENT, MESSAGE = "Trần Văn Khoa", "Em bị bạn đánh ở nhà xe mỗi ngày, em sợ lắm"


@pytest.fixture
def app(mail_app):
    return mail_app


@pytest.fixture
def staff(world):
    users = world.users
    users["counsellor"].email, users["counsellor"].full_name = "lan@thcs-a.example.vn", "Nguyễn Thị Lan"
    users["school_admin"].email = "hieutruong@thcs-a.example.vn"
    users["dept_admin"].email = "so@example.vn"
    db.session.commit()
    return users


def urgent_request(world):
    case = cases.create_request(world.school_a, source="self_referral", anonymous=False, name=STUDENT, klass="6A",
                                contact="0912 345 678", urgency="urgent", message=MESSAGE)
    db.session.commit()
    return case


def rows(**filters) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.execute(select(Notification).filter_by(**filters).order_by(Notification.id)).scalars())


def test_an_alert_committed_with_its_event_arrives_on_the_next_poll(world, staff, smtp):
    case = urgent_request(world)
    [row] = rows()
    assert row.status == "pending" and row.user_id == staff["counsellor"].id and row.urgent
    assert run_once() == {"sent": 1}          # one poll of the worker, no waiting for anything else
    [message] = smtp.inbox.messages
    assert message["To"].addresses[0].addr_spec == "lan@thcs-a.example.vn"
    assert message["To"].addresses[0].display_name == "Nguyễn Thị Lan"
    assert message["Message-ID"] == row.message_id
    assert message["Subject"] == "Việc khẩn tại THCS A"     # Vietnamese by default
    text = body_and_subject(message)
    assert f"http://surveyapp.test/login?next=/mental-health/case/{case.id}" in text
    for secret in (STUDENT, "Khoa", MESSAGE, "đánh", "0912"):
        assert secret not in text
    assert rows()[0].status == "sent" and rows()[0].sent_at is not None


def test_a_rolled_back_event_leaves_no_notification(world, staff):
    cases.create_request(world.school_a, source="self_referral", anonymous=True, urgency="urgent", message=MESSAGE)
    assert len(rows()) == 1            # written in the event's own transaction...
    db.session.rollback()
    assert rows() == []                # ...and gone with it


def test_english_users_get_english_wording(world, staff, smtp):
    staff["counsellor"].locale = "en"
    db.session.commit()
    urgent_request(world)
    run_once()
    assert smtp.inbox.messages[0]["Subject"] == "Urgent matter at THCS A"


def test_with_the_smtp_server_stopped_messages_wait_then_all_arrive_once_each(world, staff, smtp):
    for n in range(5):
        notify.enqueue("export.done", [staff["school_admin"]], params={"link": f"/exports/{n + 1}"})
    db.session.commit()
    expected = {row.message_id for row in rows()}
    smtp.stop()
    now = utcnow()
    assert run_once(now) == {"pending": 5}
    assert all(r.status == "pending" and r.attempts == 1 and r.next_attempt_at == now + dt.timedelta(seconds=30)
               and "127.0.0.1" in r.last_error for r in rows())
    assert run_once(now + dt.timedelta(seconds=10)) == {}     # back-off: not yet due again
    smtp.start()
    assert run_once(now + dt.timedelta(seconds=31)) == {"sent": 5}
    assert run_once(now + dt.timedelta(hours=1)) == {}
    assert sorted(smtp.inbox.ids()) == sorted(expected)        # none lost, none twice


def test_back_off_doubles_and_exhausted_retries_become_dead_letters(app, world, staff, smtp, client):
    app.config["NOTIFY_MAX_ATTEMPTS"] = 3
    notify.enqueue("export.done", [staff["school_admin"]], org=world.school_a, params={"link": "/exports/9"})
    db.session.commit()
    smtp.stop()
    now = utcnow()
    run_once(now)
    assert rows()[0].next_attempt_at == now + dt.timedelta(seconds=30)
    run_once(now + dt.timedelta(seconds=30))
    assert rows()[0].next_attempt_at == now + dt.timedelta(seconds=90)   # 30 s, then 60 s
    run_once(now + dt.timedelta(seconds=90))
    [dead] = rows()
    assert dead.status == "dead" and dead.attempts == 3

    stranger = app.test_client()
    login(stranger, "school_b_admin")
    assert f"/admin/notifications/{dead.id}/retry" not in stranger.get("/admin/notifications").get_data(as_text=True)
    assert post(stranger, f"/admin/notifications/{dead.id}/retry").status_code == 404
    login(client, "ward_admin")
    page = client.get("/admin/notifications").get_data(as_text=True)
    assert 'id="dead-letters"' in page and f"/admin/notifications/{dead.id}/retry" in page
    post(client, f"/admin/notifications/{dead.id}/retry")
    assert rows()[0].status == "pending"
    smtp.start()
    run_once(now + dt.timedelta(seconds=91))
    assert [m["Message-ID"] for m in smtp.inbox.messages] == [dead.message_id]


def test_an_account_without_an_address_is_a_dead_letter_at_once(world, staff):
    staff["school_admin"].email = None
    notify.enqueue("export.done", [staff["school_admin"]], params={"link": "/exports/1"})
    db.session.commit()
    run_once()
    [row] = rows()
    assert row.status == "dead" and row.attempts == 1 and "address" in row.last_error


def test_two_workers_never_claim_the_same_notification(app, world, staff):
    for n in range(40):
        notify.enqueue("export.done", [staff["school_admin"]], params={"link": f"/exports/{n}"})
    db.session.commit()
    now, claimed, start = utcnow(), [], threading.Barrier(2)

    def worker():
        with app.app_context():
            start.wait()
            claimed.append(claim_batch(now, 100))
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = claimed
    assert not set(first) & set(second)
    assert sorted(first + second) == [r.id for r in rows()]
    assert all(r.status == "sending" and r.attempts == 1 for r in rows())


def test_the_content_rule_refuses_what_could_carry_a_students_words(world, staff):
    for params in ({"name": STUDENT}, {"message": MESSAGE}, {"school": "THCS A"}, {"school": True},
                   {"link": "/mental-health/case/1?who=Khoa"}, {"link": "https://evil.example/x"},
                   {"link": "/mental-health/" + "trần-văn-khoa"}, {"due": "tomorrow"}, {"count": "3 em"}):
        with pytest.raises(UnsafeParameter):
            notify.enqueue("export.done", [staff["school_admin"]], params=params)
    with pytest.raises(ValueError, match="unknown notification kind"):
        notify.enqueue("free.text", [staff["school_admin"]])


def test_a_row_edited_in_the_table_to_carry_text_is_not_sent(world, staff, smtp):
    notify.enqueue("export.done", [staff["school_admin"]], params={"link": "/exports/1"})
    db.session.commit()
    db.session.execute(update(Notification).values(params={"link": "/exports/1", "name": STUDENT}))
    db.session.commit()
    run_once()
    assert smtp.inbox.messages == [] and rows()[0].status == "dead"


def test_a_daily_digest_collects_non_urgent_notifications_but_never_urgent_ones(app, world, staff, smtp, client):
    login(client, "counsellor")
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert "lan@thcs-a.example.vn" in page and "không thể tắt" in page
    post(client, "/notifications/preferences", {"mode": "digest"})
    notify.enqueue("export.done", [staff["counsellor"]], params={"link": "/exports/4"})
    urgent_request(world)
    now = dt.datetime.combine(utcnow().date(), dt.time(23, 0))  # 06:00 in Vietnam: before the daily run
    assert run_once(now) == {"sent": 1}                      # the urgent one, at once
    assert smtp.inbox.messages[0]["Subject"] == "Việc khẩn tại THCS A"
    assert [r.status for r in rows(kind="export.done")] == ["held"]
    assert send_digests(now) == 1 and send_digests(now) == 0  # one digest a day, however many workers
    db.session.commit()
    run_once(now)
    digest = smtp.inbox.messages[1]
    assert digest["Subject"] == "Thư tổng hợp hằng ngày: 1 thông báo"
    assert "Tệp xuất dữ liệu của bạn đã sẵn sàng" in digest.get_content()
    assert [r.status for r in rows(kind="export.done")] == ["digested"]


class RecordingChannel(notify.Channel):
    """A webhook-like channel: fails once, then records what it was given."""

    id = "test_hook"

    def __init__(self):
        self.sent, self.failures = [], 1

    def accepts(self, recipient, kind):
        return recipient.user_id is not None

    def send(self, recipient, message):
        if self.failures:
            self.failures -= 1
            raise notify.ChannelError("gateway busy")
        self.sent.append((recipient.user_id, message))
        return "ok"


def test_a_plugin_channel_gets_the_same_outbox_retries_and_wording(tmp_path, postgres_url, smtp):
    channel = RecordingChannel()

    class ChannelPlugin:
        @hookimpl
        def register_notification_channels(self):
            return [channel]

    app = make_app(tmp_path, postgres_url, extra_plugins=[ChannelPlugin()], **smtp.config())
    with app.test_request_context():
        from conftest import World
        world = World()
        world.users["counsellor"].email = "lan@thcs-a.example.vn"
        urgent_request(world)
        assert sorted(r.channel for r in rows()) == ["email", "test_hook"]
        now = utcnow()
        assert run_once(now) == {"sent": 1, "pending": 1}
        assert run_once(now + dt.timedelta(seconds=30)) == {"sent": 1}
        [(user_id, message)] = channel.sent
        assert user_id == world.users["counsellor"].id and message.subject == "Việc khẩn tại THCS A"
        assert STUDENT not in message.body and MESSAGE not in message.body
        db.session.remove()


def test_without_smtp_the_mail_sink_keeps_messages_for_top_admins(tmp_path, postgres_url):
    app = make_app(tmp_path, postgres_url)
    with app.test_request_context():
        from conftest import World
        world = World()
        world.users["counsellor"].email = "lan@thcs-a.example.vn"
        urgent_request(world)
        run_once()
        db.session.remove()
    admin, ward = app.test_client(), app.test_client()
    login(admin, "dept_admin")
    page = admin.get("/admin/notifications/mail").get_data(as_text=True)
    assert "Việc khẩn tại THCS A" in page and "lan@thcs-a.example.vn" in page
    name = page.split("/admin/notifications/mail/", 1)[1].split('"', 1)[0]
    message = admin.get(f"/admin/notifications/mail/{name}").get_data(as_text=True)
    assert "/login?next=/mental-health/case/" in message and STUDENT not in message
    assert admin.get("/admin/notifications/mail/..%2Fdev-secret-key").status_code == 404
    login(ward, "ward_admin")
    assert ward.get("/admin/notifications/mail").status_code == 403   # the sink holds every school's mail


def test_a_long_vietnamese_subject_keeps_its_spaces(tmp_path, smtp):
    from surveyapp.mail import MailSettings, build_message, send
    settings = MailSettings.from_config({"MAIL_FOLDER": str(tmp_path / "mail"), **smtp.config()})
    subject = "Thư khẩn trong hộp thư góp ý của Trường Trung học cơ sở Hồng Bàng, phường Hồng Bàng"
    send(settings, build_message(settings, to_address="a@example.vn", subject=subject, body="Nội dung"))
    assert smtp.inbox.messages[0]["Subject"] == subject
