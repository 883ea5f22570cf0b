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

from .. import audit, ratelimit, sessions
from ..access import public
from ..extensions import db
from ..models import User

bp = Blueprint("auth", __name__)
LOGIN_ATTEMPTS, LOGIN_WINDOW = 10, 15 * 60
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
        username = form.username.data.strip().lower()
        # Keyed on the account: a whole school behind one address is not locked out together.
        if not ratelimit.hit(f"login:{username}", LOGIN_ATTEMPTS, LOGIN_WINDOW):
            flash(_("Too many sign-in attempts for this account. Please wait 15 minutes and try again."), "error")
            return render_template("auth/login.html", form=form), 429
        if ratelimit.exceeded(_failures_key(), LOGIN_ATTEMPTS_PER_ADDRESS, LOGIN_WINDOW):
            flash(_("Too many failed sign-ins from this network. Please wait 15 minutes and try again."), "error")
            return render_template("auth/login.html", form=form), 429
        user = db.session.execute(select(User).filter_by(username=username)).scalar_one_or_none()
        if user and user.active and user.check_password(form.password.data):
            sessions.sign_in(user, remember=form.remember.data)
            ratelimit.reset(f"login:{username}")
            audit.record("login", user, user_id=user.id)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        ratelimit.hit(_failures_key(), LOGIN_ATTEMPTS_PER_ADDRESS, LOGIN_WINDOW)
        flash(_("Wrong username or password."), "error")
    return render_template("auth/login.html", form=form)


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
