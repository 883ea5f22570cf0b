"""Two-factor sign-in: required for counsellors and department admins, enrolled with a QR
code and a key, codes computed here with pyotp; recovery codes work once."""
from __future__ import annotations

import re

import pyotp
import pytest

from conftest import PASSWORD, csrf_token, make_app, post


@pytest.fixture
def app(tmp_path, postgres_url):
    from surveyapp.extensions import db
    app = make_app(tmp_path, postgres_url, TWO_FACTOR_REQUIRED=True)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _password_step(client, username: str):
    return client.post("/login", data={"csrf_token": csrf_token(client), "username": username,
                                       "password": PASSWORD})


def _enrol(client) -> tuple[str, list[str]]:
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "<svg" in page, "a QR code to scan"
    secret = re.search(r'class="totp-secret">([A-Z2-7]+)<', page).group(1)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    done = client.post("/account/two-factor", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f-]+)</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


@pytest.mark.parametrize("username, required", [("counsellor", True), ("dept_admin", True),
                                                ("ward_admin", False), ("school_admin", False)])
def test_who_must_enrol_before_anything_else(app, world, client, username, required):
    answer = _password_step(client, username)
    assert answer.status_code == 302
    home = client.get("/")
    if required:
        assert home.status_code == 302 and "/account/two-factor" in home.headers["Location"]
        assert client.get("/admin/orgs").status_code == 302
    else:
        assert home.status_code == 200


def test_enrol_then_sign_in_with_a_code_or_a_recovery_code_once(app, world, client):
    _password_step(client, "counsellor")
    secret, codes = _enrol(client)
    assert client.get("/").status_code == 200
    post(client, "/logout")

    step = _password_step(client, "counsellor")
    assert "/login/code" in step.headers["Location"]
    assert client.get("/account/password").status_code == 302, "not signed in before the code"
    wrong = post(client, "/login/code", {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status_code == 200
    right = post(client, "/login/code", {"code": pyotp.TOTP(secret).now()})
    assert right.status_code == 302
    assert client.get("/account/password").status_code == 200
    post(client, "/logout")

    fresh = client.application.test_client()
    _password_step(fresh, "counsellor")
    assert post(fresh, "/login/code", {"code": codes[0]}).status_code == 302
    again = fresh.application.test_client()
    _password_step(again, "counsellor")
    assert post(again, "/login/code", {"code": codes[0]}).status_code == 200, "a recovery code works once"


def test_the_code_step_cannot_be_skipped(app, world, client):
    _password_step(client, "counsellor")
    _enrol(client)
    post(client, "/logout")
    _password_step(client, "counsellor")
    for url in ("/account/password", "/mental-health/queue", "/admin/users"):
        answer = client.get(url)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], url
    assert "(counsellor)" not in client.get("/").get_data(as_text=True), "the menu shows no signed-in user"


def test_a_code_works_once(app, world, client):
    _password_step(client, "counsellor")
    secret, _codes = _enrol(client)
    post(client, "/logout")
    code = pyotp.TOTP(secret).now()
    _password_step(client, "counsellor")
    assert post(client, "/login/code", {"code": code}).status_code == 302
    other = client.application.test_client()
    _password_step(other, "counsellor")
    assert post(other, "/login/code", {"code": code}).status_code == 200, "the same code replayed is refused"
