"""Notification pages: the outbox and its dead letters (admins, within their scope), the mail
sink when no SMTP is configured (top-level admins: it holds every message), contacts for
escalations, and each user's own preference (immediate or daily digest)."""
from __future__ import annotations

import email
import email.policy
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import or_, select

from .. import audit, mail
from ..access import ADMIN, require_role, roots, scope_condition, units_in_scope
from ..extensions import db
from ..models import OrgUnit, RoleAssignment, User, utcnow
from ..notify import escalation
from ..notify.kinds import registered_kinds
from ..notify.models import Escalation, Notification, Preference
from ..notify.worker import outbox_health

bp = Blueprint("notify", __name__)
PAGE = 200


@bp.record_once
def _template_helpers(state) -> None:
    state.app.jinja_env.globals.update(notify_told=escalation.told, notify_state=escalation.state)


def _is_top_admin(user) -> bool:
    return any(unit.parent_id is None for unit in roots(user, (ADMIN,)))


def _visible(query):
    """Rows about units in the admin's subtree; rows about no unit for top-level admins only."""
    condition = Notification.org_id.in_(select(OrgUnit.id).where(scope_condition(current_user, OrgUnit.path, ADMIN)))
    if _is_top_admin(current_user):
        condition = or_(condition, Notification.org_id.is_(None))
    return query.where(condition)


@bp.route("/admin/notifications")
@require_role(ADMIN)
def outbox():
    dead = db.session.execute(_visible(select(Notification).where(Notification.status == "dead"))
                              .order_by(Notification.id.desc()).limit(PAGE)).scalars().all()
    recent = db.session.execute(_visible(select(Notification)).order_by(Notification.id.desc()).limit(50)).scalars().all()
    open_matters = db.session.execute(
        select(Escalation).join(OrgUnit, Escalation.org_id == OrgUnit.id)
        .where(Escalation.acknowledged_at.is_(None), scope_condition(current_user, OrgUnit.path, ADMIN))
        .order_by(Escalation.raised_at).limit(PAGE)).scalars().all()
    return render_template("notify/outbox.html", dead=dead, recent=recent, health=outbox_health(),
                           open_matters=open_matters,
                           kinds=registered_kinds(), plain=FlaskForm(), sink=_sink_in_use(),
                           top=_is_top_admin(current_user))


@bp.route("/admin/notifications/<int:note_id>/retry", methods=["POST"])
@require_role(ADMIN)
def retry(note_id: int):
    note = db.session.execute(_visible(select(Notification).where(Notification.id == note_id))).scalar_one_or_none()
    if note is None or not FlaskForm().validate_on_submit():
        abort(404)
    if note.status == "dead":
        note.status, note.attempts, note.next_attempt_at, note.lease_until = "pending", 0, utcnow(), None
        audit.record("notify.retry", object_type="notification", object_id=note.id, org_id=note.org_id)
        db.session.commit()
        flash(_("The notification will be sent again."), "info")
    return redirect(url_for(".outbox"))


def _sink_in_use() -> bool:
    return mail.MailSettings.from_config(current_app.config).uses_sink


def _sink_folder() -> Path:
    return Path(current_app.config["MAIL_FOLDER"])


@bp.route("/admin/notifications/mail")
@require_role(ADMIN)
def sink():
    if not _is_top_admin(current_user):
        abort(403)
    rows = []
    for path in mail.sink_messages(_sink_folder())[:PAGE]:
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        rows.append({"name": path.name, "to": str(parsed["To"] or ""), "subject": str(parsed["Subject"] or ""),
                     "date": str(parsed["Date"] or "")})
    return render_template("notify/sink.html", rows=rows, sink=_sink_in_use())


@bp.route("/admin/notifications/mail/<name>")
@require_role(ADMIN)
def sink_message(name: str):
    if not _is_top_admin(current_user):
        abort(403)
    path = _sink_folder() / name
    if not name.endswith(".eml") or "/" in name or name.startswith(".") or not path.is_file():
        abort(404)
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return render_template("notify/sink_message.html", message=parsed, body=parsed.get_content())


@bp.route("/admin/notifications/contacts", methods=["GET", "POST"])
@require_role(ADMIN)
def contacts():
    """E-mail addresses for accounts and each unit's safeguarding address (escalations)."""
    units = [u for u in units_in_scope(current_user, ADMIN) if u.kind != "school"]
    users = _users_in_scope()
    if request.method == "POST":
        if not FlaskForm().validate_on_submit():
            abort(400)
        _save_contacts(units, users)
        db.session.commit()
        flash(_("Saved."), "info")
        return redirect(url_for(".contacts"))
    return render_template("notify/contacts.html", units=units, users=users, plain=FlaskForm())


def _users_in_scope() -> list[User]:
    """Accounts whose every role lies in the admin's subtree: a school admin must not redirect
    the mail of someone who also answers for units above or beside the school."""
    query = (select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
             .join(OrgUnit, RoleAssignment.org_id == OrgUnit.id)
             .where(scope_condition(current_user, OrgUnit.path, ADMIN)).order_by(User.username).distinct())
    prefixes = [unit.path for unit in roots(current_user, (ADMIN,))]
    return [user for user in db.session.execute(query).scalars()
            if all(any(a.org.path.startswith(p) for p in prefixes) for a in user.roles)]


def _clean_address(value: str | None) -> str | None:
    value = (value or "").strip()[:200]
    if value and ("@" not in value or any(ch.isspace() for ch in value)):
        raise ValueError(value)
    return value or None


def _save_contacts(units: list[OrgUnit], users: list[User]) -> None:
    try:
        for unit in units:
            field = f"unit-{unit.id}"
            if field in request.form:
                address = _clean_address(request.form[field])
                contact = {k: v for k, v in unit.contact.items() if k != "safeguarding_email"}
                unit.contact = contact | ({"safeguarding_email": address} if address else {})
        for user in users:
            field = f"user-{user.id}"
            if field in request.form:
                user.email = _clean_address(request.form[field])
    except ValueError:
        db.session.rollback()
        abort(400)
    audit.record("notify.contacts", object_type="notification_contacts")


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    preference = db.session.get(Preference, current_user.id)
    if request.method == "POST":
        if not FlaskForm().validate_on_submit() or request.form.get("mode") not in ("immediate", "digest"):
            abort(400)
        if preference is None:
            preference = Preference(user_id=current_user.id)
            db.session.add(preference)
        preference.digest, preference.updated_at = request.form["mode"] == "digest", utcnow()
        db.session.commit()
        flash(_("Saved."), "info")
        return redirect(url_for(".preferences"))
    kinds = sorted(registered_kinds().values(), key=lambda k: (not k.urgent, k.id))
    return render_template("notify/preferences.html", digest=bool(preference and preference.digest),
                           kinds=[k for k in kinds if k.id != "notify.digest"], plain=FlaskForm())
