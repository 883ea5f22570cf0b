"""Fixtures: an app on a fresh database per test (SQLite file, or PostgreSQL when configured).

With SURVEYAPP_TEST_POSTGRES=1 and SURVEYAPP_DATABASE_URL set, every xdist
worker gets its own PostgreSQL database and every test starts from empty tables.
"""
from __future__ import annotations

import contextvars
import os
import re

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from flask.testing import FlaskClient

from surveyapp import create_app, get_registry
from surveyapp.accounts import create_user
from surveyapp.extensions import db
from surveyapp.models import ClassGroup
from surveyapp.orgs import add_unit
from surveyapp.storage import sync_questionnaires

PASSWORD = "correct-horse-battery"
USE_POSTGRES = os.environ.get("SURVEYAPP_TEST_POSTGRES") == "1"


@pytest.fixture(autouse=True)
def _rate_limit_clock_stands_still(monkeypatch):
    """Attempt limits count in fixed slices of the clock, and a new slice starts the count
    again: a burst of attempts in a test must not straddle a slice's end by chance."""
    from surveyapp import ratelimit
    minute = ratelimit._minute()
    monkeypatch.setattr(ratelimit, "_minute", lambda: minute)


def _postgres_url(worker: str) -> str:
    base = make_url(os.environ["SURVEYAPP_DATABASE_URL"])
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url(request):
    if not USE_POSTGRES:
        return None
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    return _postgres_url(worker)


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in production: the test's own app context
    (for database setup and checks) must not share ``g`` or the session with requests."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


def make_app(tmp_path, postgres_url=None, **overrides):
    url = postgres_url or f"sqlite:///{tmp_path / 'test.sqlite'}"
    config = {"ENV": "testing", "TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": url,
              "UPLOAD_FOLDER": str(tmp_path / "uploads"), "EXPORT_FOLDER": str(tmp_path / "exports"),
              "MAIL_FOLDER": str(tmp_path / "mail"),
              "SERVER_NAME": "surveyapp.test",
              "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast hashes in tests only
              # Tests sign in as counsellors and department admins with a password only;
              # tests/test_signin.py and the browser journey turn the requirement on.
              "TWO_FACTOR_REQUIRED": False}
    extra_plugins = overrides.pop("extra_plugins", ())
    config.update(overrides)
    app = create_app(config, extra_plugins=extra_plugins)
    app.test_client_class = IsolatedClient
    with app.app_context():
        if postgres_url:
            db.drop_all()
        db.create_all()
        sync_questionnaires(get_registry())
    return app


def _serve(app):
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(tmp_path, postgres_url):
    yield from _serve(make_app(tmp_path, postgres_url))


@pytest.fixture
def mail_app(tmp_path, postgres_url, smtp):
    """The app with its mail going to the loopback SMTP server ``smtp``."""
    yield from _serve(make_app(tmp_path, postgres_url, **smtp.config()))


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def run_cli(app):
    """Invoke the real ``surveyapp`` command group against the test app."""
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from surveyapp.cli import cli

    def invoke(args, **kwargs):
        return CliRunner().invoke(cli, args, obj=ScriptInfo(create_app=lambda: app), **kwargs)

    return invoke


class World:
    """A small organisation tree with one user per role, built inside the app context."""

    def __init__(self):
        self.dept = add_unit(code="SGD", name="Sở GD&ĐT", kind="department", parent=None)
        self.ward = add_unit(code="P01", name="Phường Một", kind="unit", parent=self.dept)
        self.ward2 = add_unit(code="P02", name="Phường Hai", kind="unit", parent=self.dept)
        self.school_a = add_unit(code="A", name="THCS A", kind="school", parent=self.ward, levels=["thcs"],
                                 contact={"phone": "0225 111 222", "counsellor": "Cô Lan"})
        self.school_b = add_unit(code="B", name="THCS B", kind="school", parent=self.ward2, levels=["thcs"])
        self.class_a6 = ClassGroup(school_id=self.school_a.id, grade=6, name="6A", size=30)
        self.class_a7 = ClassGroup(school_id=self.school_a.id, grade=7, name="7A", size=4)
        self.class_b6 = ClassGroup(school_id=self.school_b.id, grade=6, name="6A", size=25)
        db.session.add_all([self.class_a6, self.class_a7, self.class_b6])
        self.users = {
            "dept_admin": create_user("dept_admin", PASSWORD, "admin", self.dept),
            "ward_admin": create_user("ward_admin", PASSWORD, "admin", self.ward),
            "school_admin": create_user("school_admin", PASSWORD, "admin", self.school_a),
            "school_b_admin": create_user("school_b_admin", PASSWORD, "admin", self.school_b),
            "counsellor": create_user("counsellor", PASSWORD, "counsellor", self.school_a),
            "viewer": create_user("viewer", PASSWORD, "viewer", self.dept),
        }
        db.session.commit()


@pytest.fixture
def world(ctx):
    return World()


def csrf_token(client) -> str:
    page = client.get("/s").get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on /s"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    token = csrf_token(client)
    response = client.post("/login", data={"csrf_token": token, "username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def post(client, url: str, data: dict | None = None, **kwargs):
    """POST a form with a valid CSRF token, as a browser would."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client))
    return client.post(url, data=data, **kwargs)


@pytest.fixture
def smtp():
    """A real SMTP server on loopback; ``smtp.config()`` points an app at it, ``smtp.inbox`` holds the mail."""
    from smtp_helpers import SmtpServer
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def english(ctx):
    """Interface messages in English for assertions on their wording (Vietnamese is the default)."""
    from flask_babel import force_locale
    with force_locale("en"):
        yield
