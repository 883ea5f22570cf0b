"""The real `surveyapp notify-worker` process against a real SMTP server: killed with SIGKILL in the
middle of a batch and restarted, it loses nothing (at-least-once, with the same Message-ID)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import World, make_app
from smtp_helpers import SmtpServer
from surveyapp import notify
from surveyapp.extensions import db
from surveyapp.notify import Notification

SURVEYAPP = str(Path(sys.executable).with_name("surveyapp"))


@pytest.fixture
def slow_smtp():
    server = SmtpServer(delay=0.25).start()  # each message takes a moment: the kill lands mid-batch
    yield server
    server.stop()


def worker_env(app, smtp, tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYAPP_")}
    env.update({"SURVEYAPP_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SURVEYAPP_ENV": "testing",
                "SURVEYAPP_SECRET_KEY": "test-secret", "SURVEYAPP_SMTP_HOST": "127.0.0.1",
                "SURVEYAPP_SMTP_PORT": str(smtp.port), "SURVEYAPP_SMTP_TLS": "none",
                "SURVEYAPP_MAIL_FROM": "khaosat@so-gddt.example.vn", "SURVEYAPP_MAIL_FOLDER": str(tmp_path / "mail"),
                "SURVEYAPP_NOTIFY_LEASE_SECONDS": "2", "SURVEYAPP_NOTIFY_POLL_SECONDS": "0.2"})
    return env


def start_worker(env) -> subprocess.Popen:
    return subprocess.Popen([SURVEYAPP, "notify-worker"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("gave up waiting")
        time.sleep(0.05)


def statuses() -> dict[str, int]:
    db.session.expire_all()
    return dict(db.session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all())


def test_a_worker_killed_mid_batch_and_restarted_loses_nothing(tmp_path, postgres_url, slow_smtp):
    app = make_app(tmp_path, postgres_url, **slow_smtp.config())
    with app.test_request_context():
        world = World()
        admin = world.users["school_admin"]
        admin.email = "hieutruong@thcs-a.example.vn"
        for n in range(20):
            notify.enqueue("export.done", [admin], params={"link": f"/exports/{n + 1}"})
        db.session.commit()
        expected = set(db.session.execute(select(Notification.message_id)).scalars())
        env = worker_env(app, slow_smtp, tmp_path)

        worker = start_worker(env)
        wait_for(lambda: len(slow_smtp.inbox.messages) >= 3)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        before = statuses()
        assert before.get("sent", 0) < 20 and before.get("sending", 0) > 0, before   # really mid-batch

        worker = start_worker(env)
        try:
            wait_for(lambda: statuses() == {"sent": 20})
        finally:
            worker.terminate()
            worker.wait(timeout=10)
        received = slow_smtp.inbox.ids()
        assert set(received) == expected                   # nothing lost
        assert len(received) - len(set(received)) <= 1     # at most the one in flight was sent twice...
        db.session.remove()                                # ...and it carried the same Message-ID


def test_the_worker_process_delivers_an_alert_on_its_next_poll(tmp_path, postgres_url):
    smtp = SmtpServer().start()
    app = make_app(tmp_path, postgres_url, **smtp.config())
    worker = start_worker(worker_env(app, smtp, tmp_path))
    try:
        with app.test_request_context():
            world = World()
            world.users["counsellor"].email = "lan@thcs-a.example.vn"
            notify.raise_urgent("notify.escalation", world.school_a, "test:1", "/")
            db.session.commit()
            wait_for(lambda: smtp.inbox.messages, seconds=30)   # polls every 0.2 s
            assert smtp.inbox.messages[0]["To"].addresses[0].addr_spec == "lan@thcs-a.example.vn"
            db.session.remove()
    finally:
        worker.terminate()
        worker.wait(timeout=10)
        smtp.stop()
