"""Counsellor pages: the queue with urgent alerts, case records, sessions, closure, print, audit log.

A record is readable only by a counsellor of its school: anyone else gets 404,
whatever their role. Every read and write leaves an audit entry (``cases.log``).
"""
from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import _, lazy_gettext
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from surveyapp import audit
from surveyapp.access import AUDITOR, COUNSELLOR, require_role, units_in_scope
from surveyapp.extensions import db
from surveyapp.models import AuditEntry, User
from surveyapp.modules import NavItem

from .. import cases
from ..models import REFERRALS, SESSION_FORMS, STATUSES, Alert, Case
from . import bp


def nav_items(user) -> list[NavItem]:
    items = []
    schools = cases.counsellor_school_ids(user)
    if schools:
        urgent = cases.urgent_count(schools)
        label = (_("Counselling (%(n)s urgent)", n=urgent) if urgent else _("Counselling"))
        items.append(NavItem("mental_health.queue", label, order=50))
    if schools or any(a.role == AUDITOR for a in getattr(user, "roles", [])):
        items.append(NavItem("mental_health.audit_log", lazy_gettext("Counselling audit log"), order=51))
    return items


def _case_or_404(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if not cases.can_read(current_user, case):
        abort(404)
    return case


def _date(name: str, required: bool = False) -> dt.date | None:
    text = (request.form.get(name) or "").strip()
    if not text:
        if required:
            raise cases.CaseError(name)
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise cases.CaseError(name) from None


@bp.route("/queue")
@require_role(COUNSELLOR)
def queue():
    schools = cases.counsellor_school_ids(current_user)
    status = request.args.get("status")
    rows = cases.queue(schools, status)
    alerts = cases.open_alerts(schools)
    for school_id in sorted(schools):
        audit.record("mental_health.queue.view", object_type=cases.OBJECT, org_id=school_id,
                     cases=sum(1 for c in rows if c.school_id == school_id), status=status or "open")
    db.session.commit()
    return render_template("mental_health/queue.html", cases=rows, alerts=alerts, status=status,
                           statuses=STATUSES)


@bp.route("/case/<key:case_id>")
@login_required
def case_view(case_id: int):
    case = cases.read_case(_case_or_404(case_id), current_user)
    db.session.commit()
    return render_template("mental_health/case.html", case=case, statuses=STATUSES, forms=SESSION_FORMS,
                           referrals=REFERRALS, today=dt.date.today())


def _write(case: Case, action, message: str):
    """Run a record change; commit with its audit entry, or roll back and say what to fix."""
    try:
        action()
    except cases.CaseError:
        db.session.rollback()
        flash(message, "error")
    else:
        db.session.commit()
        flash(_("Saved."), "info")
    return redirect(url_for(".case_view", case_id=case.id))


@bp.route("/case/<key:case_id>/status", methods=["POST"])
@login_required
def case_status(case_id: int):
    case = _case_or_404(case_id)
    return _write(case, lambda: cases.set_status(case, request.form.get("status"), current_user),
                  _("Choose a status."))


@bp.route("/case/<key:case_id>/session", methods=["POST"])
@login_required
def case_session(case_id: int):
    case = _case_or_404(case_id)

    def add():
        cases.add_session(case, current_user, held_on=_date("held_on", required=True),
                          form=request.form.get("form"), notes=request.form.get("notes"),
                          actions=request.form.get("actions"), next_follow_up=_date("next_follow_up"),
                          referral=request.form.get("referral"))
    return _write(case, add, _("Please give the date and the form of the session."))


@bp.route("/case/<key:case_id>/close", methods=["POST"])
@login_required
def case_close(case_id: int):
    case = _case_or_404(case_id)
    return _write(case, lambda: cases.close_case(case, current_user, request.form.get("note")),
                  _("Record how every urgent alert was handled before closing the case."))


@bp.route("/alert/<key:alert_id>/handle", methods=["POST"])
@login_required
def alert_handle(alert_id: int):
    alert = db.session.get(Alert, alert_id)
    if alert is None:
        abort(404)
    case = _case_or_404(alert.case_id)
    return _write(case, lambda: cases.handle_alert(alert, current_user, request.form.get("action")),
                  _("Write what was done for the student."))


@bp.route("/case/<key:case_id>/print")
@login_required
def case_print(case_id: int):
    """The closed record, printable for the student's file (the export before deletion)."""
    case = _case_or_404(case_id)
    if case.status != "closed":
        abort(404)
    cases.log("case.export", case, user_id=current_user.id, form="print")
    db.session.commit()
    return render_template("mental_health/print.html", case=case, today=dt.date.today())


def _audit_scope_condition():
    """Counsellors see their schools' entries; auditors the entries of units in their scope."""
    schools = cases.counsellor_school_ids(current_user)
    org_ids = set(schools) | {u.id for u in units_in_scope(current_user, AUDITOR)}
    conditions = [AuditEntry.org_id.in_(org_ids)] if org_ids else []
    if any(a.role == AUDITOR and a.org.parent_id is None for a in current_user.roles):
        conditions.append(AuditEntry.org_id.is_(None))  # purges span schools: top-level auditors only
    return or_(*conditions) if conditions else AuditEntry.id < 0


@bp.route("/audit")
@require_role(COUNSELLOR, AUDITOR)
def audit_log():
    page = max(request.args.get("page", 1, type=int), 1)
    query = (select(AuditEntry, User.username).outerjoin(User, AuditEntry.user_id == User.id)
             .where(AuditEntry.action.startswith("mental_health."), _audit_scope_condition())
             .order_by(AuditEntry.id.desc()).limit(100).offset(100 * (page - 1)))
    entries = db.session.execute(query).all()
    return render_template("mental_health/audit.html", entries=entries, page=page)
