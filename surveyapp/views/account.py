"""The account holder's own pages: change the password, reset it by an e-mailed link,
set a first password from a one-time setup link, enrol two-factor sign-in."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import _
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from markupsafe import Markup

from .. import accounts, audit, ratelimit, sessions, signin
from ..access import public
from ..extensions import db
from ..mail import MailError
from ..models import User

bp = Blueprint("account", __name__, url_prefix="/account")
FORGOT_ATTEMPTS, FORGOT_WINDOW = 10, 15 * 60


class NewPasswordForm(FlaskForm):
    password = PasswordField(validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(validators=[DataRequired(), EqualTo("password")])

    def labelled(self):
        self.password.label.text = _("New password (at least 10 characters, not a common one)")
        self.confirm.label.text = _("New password again")
        self.confirm.validators[1].message = _("The two passwords differ.")
        return self


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(validators=[DataRequired(), Length(max=200)])


class ForgotForm(FlaskForm):
    username = StringField(validators=[DataRequired(), Length(max=80)])


def _policy_ok(form: NewPasswordForm, username: str) -> bool:
    from ..passwords import problem
    refused = problem(form.password.data, username)
    if refused:
        form.password.errors.append(refused)
    return refused is None


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = ChangePasswordForm().labelled()
    form.current.label.text = _("Current password")
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not user.check_password(form.current.data):
            form.current.errors.append(_("Wrong password."))
        elif _policy_ok(form, user.username):
            accounts.set_password(user, form.password.data)
            sessions.sign_in(user)  # every other session ends; this one continues
            db.session.commit()
            flash(_("Your password was changed. Other devices were signed out."), "info")
            return redirect(url_for("main.home"))
    return render_template("account/form.html", form=form, title=_("Change your password"),
                           fields=(form.current, form.password, form.confirm), button=_("Change password"))


@bp.route("/forgot", methods=["GET", "POST"])
@public
def forgot():
    form = ForgotForm()
    form.username.label.text = _("Username")
    if form.validate_on_submit():
        if not ratelimit.hit(f"forgot:{request.remote_addr or '-'}", FORGOT_ATTEMPTS, FORGOT_WINDOW):
            return render_template("account/form.html", form=form, title=_("Forgot your password?"),
                                   fields=(form.username,), button=_("Send a link")), 429
        _send_reset(form.username.data.strip().lower())
        # The same answer whether or not the account exists or has an e-mail address.
        flash(_("If the account has an e-mail address, a link to set a new password was sent to it. "
                "It works once, for one hour."), "info")
        return redirect(url_for("auth.login"))
    return render_template("account/form.html", form=form, title=_("Forgot your password?"),
                           fields=(form.username,), button=_("Send a link"),
                           intro=_("Accounts without an e-mail address ask their administrator for a setup link."))


def _send_reset(username: str) -> None:
    user = db.session.execute(select(User).filter_by(username=username)).scalar_one_or_none()
    if user is None or not user.active or not user.email:
        return
    token = accounts.issue_link(user, "reset")
    db.session.commit()
    link = url_for("account.link", token=token, _external=True)
    body = _("A new password was asked for the account %(user)s.\n\nOpen this link within one hour to set it "
             "(it works once):\n%(link)s\n\nIf you did not ask for it, ignore this message.", user=user.username,
             link=link)
    try:
        accounts.send_account_mail(user, _("Set a new password"), body)
    except MailError:
        current_app.logger.exception("reset mail for account %s not sent", user.id)


@bp.route("/link/<token>", methods=["GET", "POST"])
@public
def link(token: str):
    row = accounts.link_account(token)
    if row is None:
        return render_template("account/message.html", title=_("This link is no longer valid"),
                               text=_("It was used already or has expired. Ask for a new one.")), 404
    user = db.session.get(User, row.user_id)
    form = NewPasswordForm().labelled()
    if form.validate_on_submit() and _policy_ok(form, user.username):
        accounts.use_link(row, form.password.data)
        logout_user()  # whoever was signed in on this browser; the link's account starts afresh
        db.session.commit()
        flash(_("Your password is set. Sign in with it."), "info")
        return redirect(url_for("auth.login"))
    return render_template("account/form.html", form=form, title=_("Set a password for %(user)s", user=user.username),
                           fields=(form.password, form.confirm), button=_("Set password"))


class EnrolForm(FlaskForm):
    code = StringField(validators=[DataRequired(), Length(max=12)])


@bp.route("/two-factor", methods=["GET", "POST"])
@login_required
def two_factor():
    user = current_user._get_current_object()
    if user.totp_secret:
        return render_template("account/two_factor.html", enrolled=True)
    secret = session.get("totp_pending") or signin.new_secret()
    session["totp_pending"] = secret
    form = EnrolForm()
    form.code.label.text = _("The 6-digit code your app shows now")
    if form.validate_on_submit():
        if signin.code_matches(secret, form.code.data):
            codes = signin.enrol(user, secret)
            session.pop("totp_pending", None)
            sessions.end_all(user)  # sessions opened with the password alone end
            sessions.sign_in(user)
            audit.record("user.two_factor", user, user_id=user.id)
            db.session.commit()
            return render_template("account/recovery_codes.html", codes=codes)
        form.code.errors.append(_("That code is not valid. Check the time on your phone and try again."))
    uri = signin.provisioning_uri(user, secret)
    return render_template("account/two_factor.html", enrolled=False, form=form, secret=secret,
                           qr=Markup(signin.qr_svg(uri)), required=signin.required(user))


# Pages a signed-in account that must enrol a second factor may still open.
ENROL_ALLOWED = {"account.two_factor", "auth.logout", "auth.set_language", "static"}


@bp.before_app_request
def _require_second_factor():
    if request.endpoint in ENROL_ALLOWED or not current_user.is_authenticated or current_user.totp_secret:
        return None
    if signin.required(current_user):
        return redirect(url_for("account.two_factor"))
    return None
