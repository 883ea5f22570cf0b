"""Sessions that can be ended.

A session holds ``"<user id>:<session version>"``; the user loader compares the version
with the account's, on the query that loads the user anyway. Raising the version
(``end_all``) ends every session and every remember-me cookie of the account.

Remember-me cookies are our own: a random token per sign-in, stored hashed, replaced
on every use, valid for at most ``REMEMBER_DAYS`` from the sign-in. Accounts that open
case records get none and are signed out after ``IDLE_MINUTES`` without a request.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from flask_babel import _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import delete, select

from .extensions import db
from .models import RememberToken, User, utcnow

COOKIE = "surveyapp_remember"
CASE_ROLES = ("counsellor", "auditor")


def session_id(user: User) -> str:
    return f"{user.id}:{user.session_version or 0}"


def load(user_id: str) -> User | None:
    """Flask-Login's user loader: the account, only while the session's version is current."""
    ident, _sep, version = str(user_id).partition(":")
    if not ident.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(ident))
    if user is None or not user.active or (user.session_version or 0) != int(version):
        return None
    return user


def end_all(user: User) -> None:
    """End every session and remember-me cookie of the account (in the caller's transaction)."""
    user.session_version = (user.session_version or 0) + 1
    db.session.execute(delete(RememberToken).where(RememberToken.user_id == user.id))


def sign_in(user: User, remember: bool = False) -> None:
    """Start a session; a fresh remember-me token when asked and allowed."""
    session.pop("seen", None)
    login_user(user, remember=False)  # Flask-Login's own remember cookie is never used
    if remember and not opens_case_records(user):
        _issue(user, utcnow() + dt.timedelta(days=current_app.config["REMEMBER_DAYS"]))


def sign_out(user: User | None) -> None:
    if user is not None and getattr(user, "is_authenticated", False):
        end_all(user)
        db.session.commit()
    logout_user()
    g.surveyapp_remember = ("", None)


def opens_case_records(user) -> bool:
    return any(a.role in CASE_ROLES for a in getattr(user, "roles", []))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue(user: User, expires_at: dt.datetime) -> None:
    token = secrets.token_urlsafe(32)
    db.session.add(RememberToken(user_id=user.id, token_hash=_hash(token), expires_at=expires_at))
    g.surveyapp_remember = (f"{token}", expires_at)


def _restore_from_cookie() -> None:
    """Sign in from a remember-me cookie, replacing its token (a replayed old one fails)."""
    token = request.cookies.get(COOKIE)
    if not token or current_user.is_authenticated:
        return
    row = db.session.execute(select(RememberToken).where(RememberToken.token_hash == _hash(token))
                             ).scalar_one_or_none()
    g.surveyapp_remember = ("", None)  # clear it unless replaced below
    if row is None:
        return
    user = db.session.get(User, row.user_id)
    db.session.delete(row)
    if row.expires_at > utcnow() and user is not None and user.active and not opens_case_records(user):
        login_user(user, remember=False, fresh=False)
        _issue(user, row.expires_at)
    db.session.commit()


def _idle_timeout():
    if not current_user.is_authenticated:
        return None
    now, seen = int(time.time()), session.get("seen")
    session["seen"] = now
    limit = current_app.config["IDLE_MINUTES"] * 60
    if seen and now - seen > limit and opens_case_records(current_user):
        logout_user()
        session.pop("seen", None)
        flash(_("You were signed out after a period without activity."), "info")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    return None


def _before_request():
    if request.endpoint == "static":
        return None
    _restore_from_cookie()
    return _idle_timeout()


def _set_cookie(response):
    pending = g.pop("surveyapp_remember", None)
    if pending is None:
        return response
    value, expires_at = pending
    config = current_app.config
    if value:
        response.set_cookie(COOKIE, value, expires=expires_at.replace(tzinfo=dt.timezone.utc), httponly=True,
                            secure=config["REMEMBER_COOKIE_SECURE"], samesite="Lax")
    else:
        response.delete_cookie(COOKIE)
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("REMEMBER_DAYS", 30)
    app.config.setdefault("IDLE_MINUTES", 15)
    app.before_request(_before_request)
    app.after_request(_set_cookie)
