"""A new school admin's first week, in real Chromium: opens the setup link from the
letter, sets a password, enrols a TOTP app (codes computed here with pyotp), signs in
with the second step, changes the password, and resets it through a link e-mailed to a
real SMTP server on loopback (aiosmtpd)."""
from __future__ import annotations

import re
import time

import pyotp
import pytest

from conftest import USE_POSTGRES, _postgres_url, make_app
from surveyapp import authority
from surveyapp.accounts import provision_school_admins
from surveyapp.extensions import db
from surveyapp.orgs import add_unit

from .a11y import assert_accessible
from .conftest import LiveServer, navigate, shot

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 900}
FIRST, SECOND, THIRD = "hoa-sen-first-phrase", "hoa-sen-second-phrase", "hoa-sen-third-phrase"


@pytest.fixture
def mail_server(smtp):
    yield smtp.port, smtp.inbox


@pytest.fixture
def server(request, tmp_path, mail_server):
    port, _inbox = mail_server
    database = None
    if USE_POSTGRES:
        worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
        database = _postgres_url(f"{worker}_accounts")
    app = make_app(tmp_path, database, SERVER_NAME=None, TESTING=False, TWO_FACTOR_REQUIRED=True,
                   SMTP_HOST="127.0.0.1", SMTP_PORT=str(port), SMTP_TLS="none")
    live = LiveServer(app)
    yield live
    live.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _provision(server) -> str:
    """The department provisions the new school; returns the setup link of its letter."""
    with server.app.test_request_context(base_url=server.url):
        dept = add_unit(code="SGD", name="Sở GD&ĐT", kind="department", parent=None)
        ward = add_unit(code="P01", name="Phường Một", kind="unit", parent=dept)
        school = add_unit(code="MN-HS", name="Mầm non Hoa Sen", kind="school", parent=ward, levels=["mam_non"],
                          contact={"email": "hoasen@example.vn"})
        from flask import url_for
        [(_, user, token)] = provision_school_admins(authority.SYSTEM, [school])
        db.session.commit()
        link = url_for("account.link", token=token, _external=True)
        db.session.remove()
        return link


def _sign_in(page, server, password: str, secret: str | None, ahead: int = 0) -> None:
    """``ahead``: use the code of a later 30-second step (the server allows one step of clock
    drift): a code already used is refused, and the journey signs in twice within seconds."""
    page.goto(f"{server.url}/login?lang=en")
    page.get_by_label("Username").fill("admin.mn-hs")
    page.get_by_label("Password", exact=True).fill(password)
    navigate(page, page.locator("main form button[type=submit]"))
    if secret:
        assert "/login/code" in page.url
        totp = pyotp.TOTP(secret)
        page.get_by_label("Code from your authenticator app").fill(totp.at(time.time() + ahead * totp.interval))
        navigate(page, page.locator("main form button[type=submit]"))
    assert page.url.rstrip("/") == server.url, page.url


def _sign_out(page) -> None:
    navigate(page, page.get_by_role("button", name=re.compile("Sign out")))


def test_new_school_admin_setup_totp_change_and_reset(server, mail_server, context_factory):
    _port, inbox = mail_server
    link = _provision(server)
    page = context_factory(viewport=DESKTOP, locale="en-GB").new_page()

    page.goto(link + "?lang=en")
    assert_accessible(page, "the setup-link page")
    page.get_by_label("New password (at least").fill(FIRST)
    page.get_by_label("New password again").fill(FIRST)
    navigate(page, page.get_by_role("button", name="Set password"))
    assert "/login" in page.url
    page.goto(link)
    assert "no longer valid" in page.content() or "không còn" in page.content()

    _sign_in(page, server, FIRST, None)
    page.goto(f"{server.url}/account/two-factor")
    assert_accessible(page, "the two-factor enrolment page")
    assert page.locator(".qr svg").count() == 1
    secret = page.locator(".totp-secret").inner_text().strip()
    page.get_by_label("The 6-digit code").fill(pyotp.TOTP(secret).now())
    navigate(page, page.get_by_role("button", name="Turn on"))
    assert page.locator(".recovery-codes li").count() == 10
    shot(page, "accounts-01-recovery-codes")
    _sign_out(page)

    _sign_in(page, server, FIRST, secret)
    page.goto(f"{server.url}/account/password")
    page.get_by_label("Current password").fill(FIRST)
    page.get_by_label("New password (at least").fill(SECOND)
    page.get_by_label("New password again").fill(SECOND)
    navigate(page, page.get_by_role("button", name="Change password"))
    assert page.url.rstrip("/") == server.url
    _sign_out(page)

    page.goto(f"{server.url}/account/forgot?lang=en")
    page.get_by_label("Username").fill("admin.mn-hs")
    navigate(page, page.get_by_role("button", name="Send a link"))
    assert len(inbox.messages) == 1 and "hoasen@example.vn" in str(inbox.messages[0]["To"])
    mailed = re.search(r"http://127\.0\.0\.1:\d+/account/link/[A-Za-z0-9_-]+", inbox.messages[0].get_content()).group(0)
    page.goto(mailed)
    page.get_by_label("New password (at least").fill(THIRD)
    page.get_by_label("New password again").fill(THIRD)
    navigate(page, page.get_by_role("button", name="Set password"))
    _sign_in(page, server, THIRD, secret, ahead=1)
    shot(page, "accounts-02-signed-in-after-reset")
