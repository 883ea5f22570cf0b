"""Sign in, sign out and the language switch."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from .. import audit, ratelimit, sessions, signin
from ..access import public
from ..extensions import db
from ..models import User

bp = Blueprint("auth", __name__)
LOGIN_WINDOW = 15 * 60
# Failed sign-ins per client address and window: stops one password tried on many accounts.
LOGIN_ATTEMPTS_PER_ADDRESS = 100


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in")


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    form.username.label.text = _("Username")
    form.password.label.text = _("Password")
    form.remember.label.text = _("Keep me signed in")
    if form.validate_on_submit():
        username, address = form.username.data.strip().lower(), request.remote_addr or "-"
        refused = _refused(username, address)
        if refused:
            flash(refused, "error")
            return render_template("auth/login.html", form=form), 429
        user = db.session.execute(select(User).filter_by(username=username)).scalar_one_or_none()
        if signin.check_credentials(user, form.password.data):
            signin.succeeded(username, address)
            if user.totp_secret:  # the password was right: the second factor decides
                session["pending_login"] = {"id": sessions.session_id(user), "remember": bool(form.remember.data)}
                return redirect(url_for(".second_factor", next=request.args.get("next")))
            return _complete(user, form.remember.data)
        signin.failed(username, address)
        ratelimit.hit(_failures_key(), LOGIN_ATTEMPTS_PER_ADDRESS, LOGIN_WINDOW)
        flash(_("Wrong username or password."), "error")
    return render_template("auth/login.html", form=form)


def _refused(username: str, address: str) -> str | None:
    wait = signin.wait_seconds(username, address)
    if wait:
        return _("Too many failed sign-ins for this account from this device. Try again in %(n)s seconds.", n=wait)
    if ratelimit.exceeded(_failures_key(), LOGIN_ATTEMPTS_PER_ADDRESS, LOGIN_WINDOW):
        return _("Too many failed sign-ins from this network. Please wait 15 minutes and try again.")
    return None


def _complete(user: User, remember: bool):
    sessions.sign_in(user, remember=remember)
    audit.record("login", user, user_id=user.id)
    db.session.commit()
    if signin.required(user) and not user.totp_secret:
        return redirect(url_for("account.two_factor"))
    return redirect(_safe_next(request.args.get("next")))


class CodeForm(FlaskForm):
    code = StringField(validators=[DataRequired(), Length(max=40)])


@bp.route("/login/code", methods=["GET", "POST"])
@public
def second_factor():
    pending = session.get("pending_login") or {}
    user = sessions.load(pending.get("id", ""))
    if user is None:
        return redirect(url_for(".login"))
    form = CodeForm()
    form.code.label.text = _("Code from your authenticator app (or a recovery code)")
    if form.validate_on_submit():
        address = request.remote_addr or "-"
        refused = _refused(user.username, address)
        if refused:
            flash(refused, "error")
            return render_template("auth/code.html", form=form), 429
        if signin.second_factor_ok(user, form.code.data):
            session.pop("pending_login", None)
            signin.succeeded(user.username, address)
            return _complete(user, pending.get("remember", False))
        signin.failed(user.username, address)
        flash(_("That code is not valid."), "error")
    return render_template("auth/code.html", form=form)


def _failures_key() -> str:
    return f"login-failures:{request.remote_addr or '-'}"


@bp.route("/logout", methods=["POST"])
@public  # signing out needs no rights (the CSRF token still guards it)
def logout():
    sessions.sign_out(current_user)
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>")
@public
def set_language(code: str):
    if code in ("vi", "en"):
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")))
