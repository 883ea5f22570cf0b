"""Sessions that end: a cookie copied before logout, a password change, a deactivation
or a role removal is refused afterwards; remember-me tokens are random per sign-in,
rotated on use and last 30 days at most; accounts that open case records time out."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from conftest import PASSWORD, csrf_token, login, post
from surveyapp import sessions
from surveyapp.extensions import db
from surveyapp.models import RememberToken, RoleAssignment, User, utcnow

HOST = "surveyapp.test"
NEW_PASSWORD = "a-brand-new-phrase-42"


def _cookie(client, name: str) -> str | None:
    cookie = client.get_cookie(name, domain=HOST)
    return cookie.value if cookie else None


def _replay(app, cookies: dict[str, str]):
    """A fresh browser holding only the copied cookies."""
    thief = app.test_client()
    for name, value in cookies.items():
        if value:
            thief.set_cookie(name, value, domain=HOST)
    return thief


def _signed_in(client) -> bool:
    answer = client.get("/account/password")
    return answer.status_code == 200


def _login_remembered(client, username: str, password: str = PASSWORD):
    answer = client.post("/login", data={"csrf_token": csrf_token(client), "username": username,
                                         "password": password, "remember": "y"})
    assert answer.status_code == 302
    return _cookie(client, sessions.COOKIE)


def _copy(client) -> dict[str, str]:
    return {"session": _cookie(client, "session"), sessions.COOKIE: _cookie(client, sessions.COOKIE)}


def test_a_cookie_copied_before_logout_is_refused_after(app, world, client):
    _login_remembered(client, "viewer")
    stolen = _copy(client)
    assert _signed_in(_replay(app, stolen)), "the copy works while the owner is signed in"
    post(client, "/logout")
    assert not _signed_in(_replay(app, stolen))
    assert not _signed_in(_replay(app, {sessions.COOKIE: stolen[sessions.COOKIE]}))


def test_a_cookie_copied_before_a_password_change_is_refused_after(app, world, client):
    _login_remembered(client, "viewer")
    stolen = _copy(client)
    answer = post(client, "/account/password", {"current": PASSWORD, "password": NEW_PASSWORD,
                                                "confirm": NEW_PASSWORD})
    assert answer.status_code == 302
    assert _signed_in(client), "the device that changed the password stays signed in"
    assert not _signed_in(_replay(app, stolen))
    assert not _signed_in(_replay(app, {sessions.COOKIE: stolen[sessions.COOKIE]}))
    login(app.test_client(), "viewer", NEW_PASSWORD)


def test_a_cookie_copied_before_deactivation_is_refused_after_even_if_reactivated(app, world, client):
    teacher_login = app.test_client()
    _login_remembered(teacher_login, "school_admin")
    stolen = _copy(teacher_login)
    login(client, "ward_admin")
    target = world.users["school_admin"].id
    assert post(client, f"/admin/users/{target}", {"action": "deactivate"}).status_code == 302
    assert not _signed_in(_replay(app, stolen))
    assert post(client, f"/admin/users/{target}", {"action": "activate"}).status_code == 302
    assert not _signed_in(_replay(app, stolen)), "reactivation does not revive old sessions"


def test_removing_a_role_ends_the_sessions_of_that_account(app, world, client):
    holder = app.test_client()
    login(holder, "school_admin")
    stolen = _copy(holder)
    extra = RoleAssignment(role="viewer", org=world.school_a, user=world.users["school_admin"])
    db.session.add(extra)
    db.session.commit()
    login(client, "ward_admin")
    answer = post(client, f"/admin/users/{world.users['school_admin'].id}",
                  {"action": "remove", "assignment": str(extra.id)})
    assert answer.status_code == 302
    assert not _signed_in(_replay(app, stolen))


def test_two_sign_ins_give_different_remember_tokens_stored_only_hashed(app, world):
    first = _login_remembered(app.test_client(), "viewer")
    second = _login_remembered(app.test_client(), "viewer")
    assert first and second and first != second
    stored = db.session.execute(select(RememberToken.token_hash)).scalars().all()
    assert len(stored) == 2 and first not in stored and second not in stored


def test_a_remember_token_is_rotated_on_use_and_the_old_one_refused(app, world):
    token = _login_remembered(app.test_client(), "viewer")
    browser = _replay(app, {sessions.COOKIE: token})
    assert _signed_in(browser)
    rotated = _cookie(browser, sessions.COOKIE)
    assert rotated and rotated != token
    assert not _signed_in(_replay(app, {sessions.COOKIE: token})), "a replayed old token is refused"
    assert _signed_in(_replay(app, {sessions.COOKIE: rotated}))


def test_remember_tokens_last_thirty_days_at_most(app, world):
    client = app.test_client()
    _login_remembered(client, "viewer")
    row = db.session.execute(select(RememberToken)).scalar_one()
    assert row.expires_at <= utcnow() + dt.timedelta(days=30, minutes=1)
    row.expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    token = _cookie(client, sessions.COOKIE)
    assert not _signed_in(_replay(app, {sessions.COOKIE: token}))


def test_case_record_roles_get_no_remember_token_and_time_out_when_idle(app, world):
    client = app.test_client()
    assert _login_remembered(client, "counsellor") is None
    assert _signed_in(client)
    with client.session_transaction() as state:
        state["seen"] = state["seen"] - app.config["IDLE_MINUTES"] * 60 - 5
    assert not _signed_in(client)
    viewer = app.test_client()
    login(viewer, "viewer")
    viewer.get("/")
    with viewer.session_transaction() as state:
        state["seen"] = state["seen"] - app.config["IDLE_MINUTES"] * 60 - 5
    assert _signed_in(viewer), "other roles keep their session"


def test_the_session_version_is_checked_without_an_extra_query(app, world):
    """The loader reads the version from the row it loads anyway: one SELECT of the account."""
    from sqlalchemy import event
    client = app.test_client()
    login(client, "viewer")
    statements = []

    def count(conn, cursor, statement, *args):
        if "FROM user_account" in statement:
            statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            client.get("/account/password")
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1, statements


# --- password policy, change, reset and setup links -----------------------------------


@pytest.mark.parametrize("password", ["1234567890", "password123", "qwertyuiop", "aaaaaaaaaaaa", "short"])
def test_common_and_short_passwords_are_refused(app, world, client, password):
    login(client, "viewer")
    answer = post(client, "/account/password", {"current": PASSWORD, "password": password, "confirm": password})
    assert answer.status_code == 200 and "field-error" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, world.users["viewer"].id).check_password(PASSWORD)


def test_a_setup_link_works_once(app, world, client):
    login(client, "ward_admin")
    target = world.users["school_admin"]
    page = post(client, f"/admin/users/{target.id}", {"action": "setup_link"}).get_data(as_text=True)
    link = re.search(r'class="setup-link">([^<]+)<', page).group(1)
    path = link.split(HOST, 1)[1]
    fresh = app.test_client()
    assert fresh.get(path).status_code == 200
    answer = post(fresh, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert answer.status_code == 302
    login(app.test_client(), "school_admin", NEW_PASSWORD)
    assert fresh.get(path).status_code == 404
    assert post(fresh, path, {"password": "another-new-phrase", "confirm": "another-new-phrase"}).status_code == 404


def test_a_school_admin_cannot_issue_a_link_for_a_counsellor(app, world, client):
    login(client, "school_admin")
    answer = post(client, f"/admin/users/{world.users['counsellor'].id}", {"action": "setup_link"})
    assert answer.status_code == 403
