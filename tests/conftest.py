"""Fixtures: an app on a fresh database per test (SQLite file, or PostgreSQL when configured).

With SURVEYAPP_TEST_POSTGRES=1 and SURVEYAPP_DATABASE_URL set, every xdist
worker gets its own PostgreSQL database and every test starts from empty tables.
"""
from __future__ import annotations

import pytest

# The conformance kit (surveyapp/testing, a pytest plugin shipped with the core) holds the app,
# the demo tree and the browser-like helpers; this suite uses them as a third party would.
from surveyapp.testing.app import IsolatedClient, make_app, use_postgres  # noqa: F401
from surveyapp.testing.app import postgres_url_for as _postgres_url  # noqa: F401
from surveyapp.testing.client import csrf_token, login, post  # noqa: F401
from surveyapp.testing.world import PASSWORD, World  # noqa: F401

USE_POSTGRES = use_postgres()


@pytest.fixture(autouse=True)
def _rate_limit_clock_stands_still(monkeypatch):
    """Attempt limits count in fixed slices of the clock, and a new slice starts the count
    again: a burst of attempts in a test must not straddle a slice's end by chance."""
    from surveyapp import ratelimit
    minute = ratelimit._minute()
    monkeypatch.setattr(ratelimit, "_minute", lambda: minute)


@pytest.fixture(scope="session")
def postgres_url(surveyapp_postgres_url):
    return surveyapp_postgres_url


@pytest.fixture
def app(surveyapp_app):
    return surveyapp_app


@pytest.fixture
def mail_app(surveyapp_make_app, smtp):
    """The app with its mail going to the loopback SMTP server ``smtp``."""
    return surveyapp_make_app(**smtp.config())


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


@pytest.fixture
def world(ctx):
    return World()


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
