"""Counselling cases: creation, alerts, sessions, status, closure and real deletion.

Every read and write goes through here and leaves an audit entry. Audit
details name fields and ids only, never what a student or counsellor wrote:
the audit log is kept for ever, the notes are not.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from sqlalchemy import case as sql_case, delete, func, select

from surveyapp import audit
from surveyapp.access import COUNSELLOR
from surveyapp.extensions import db
from surveyapp.models import OrgUnit, day_start, today, utcnow

from . import notices
from .models import (CONSENT_BASES, REFERRALS, SESSION_FORMS, STATUSES, TOPICS, URGENCIES, Alert, Case,
                     CaseSession)

OBJECT = "mental_health_case"


class CaseError(ValueError):
    """A value a form sent is not acceptable (the view shows it again)."""


# -- who may read -----------------------------------------------------------------------

def counsellor_school_ids(user) -> set[int]:
    """Schools where the user is the counsellor. Held at the school itself: a role higher
    up the tree (ward, department) does not open a school's counselling records."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return {a.org_id for a in user.roles if a.role == COUNSELLOR and a.org and a.org.kind == "school"}


def can_read(user, case: Case | None) -> bool:
    return case is not None and case.school_id in counsellor_school_ids(user)


def log(action: str, case: Case, **detail: Any) -> None:
    """An anonymous student's own action is logged with its date only (no time of day)."""
    dated = bool(case.anonymous) and detail.get("user_id", -1) is None
    audit.record(f"mental_health.{action}", object_type=OBJECT, object_id=case.id, org_id=case.school_id,
                 dated=dated, **detail)


# -- creation -----------------------------------------------------------------------------

def _choice(value: str | None, allowed: Iterable[str], default: str | None = None) -> str:
    if value in allowed:
        return value
    if default is not None and not value:
        return default
    raise CaseError(value)


def _clean(text: str | None, limit: int) -> str | None:
    text = (text or "").strip()
    return text[:limit] or None


def create_request(school: OrgUnit, *, source: str, anonymous: bool, name: str | None = None,
                   klass: str | None = None, contact: str | None = None, topic: str | None = None,
                   urgency: str | None = None, message: str | None = None) -> Case:
    """A self-referral (or an anonymous screening's "contact me"); urgent ones raise an alert."""
    case = Case(school_id=school.id, source=source, anonymous=anonymous,
                topic=_choice(topic, TOPICS, "other"), urgency=_choice(urgency, URGENCIES, "normal"),
                message=_clean(message, 4000), created_at=day_start() if anonymous else utcnow())
    if not anonymous:
        case.student_name, case.student_class = _clean(name, 200), _clean(klass, 40)
        case.contact = _clean(contact, 200)
        if not (case.student_name and case.contact):
            raise CaseError("identity")
    elif not case.message:
        raise CaseError("message")
    db.session.add(case)
    db.session.flush()
    log("case.create", case, source=source, urgency=case.urgency, user_id=None)
    if case.urgency == "urgent":
        raise_alert(case, "urgent_request")
    return case


def start_confidential(campaign, school: OrgUnit, *, consent_basis: str, name: str, klass: str,
                       contact: str) -> Case:
    """The identified part of a confidential screening, recorded before any answer."""
    case = Case(school_id=school.id, source="confidential_screening", anonymous=False, topic="feelings",
                consent_basis=_choice(consent_basis, CONSENT_BASES), consent_on=today(),
                student_name=_clean(name, 200), student_class=_clean(klass, 40), contact=_clean(contact, 200),
                campaign_id=campaign.id, awaiting_answers=True)
    if not (case.student_name and case.student_class):
        raise CaseError("identity")
    db.session.add(case)
    db.session.flush()
    log("case.create", case, source=case.source, consent_basis=case.consent_basis, user_id=None)
    return case


def link_response(case: Case, response, result) -> None:
    """Attach a confidential screening's answers; a risk answer raises the alert at once."""
    case.response_id = response.id
    case.awaiting_answers = False
    case.needs_review = bool(getattr(result, "needs_review", False))
    log("case.answers", case, response=response.id, user_id=None)
    if getattr(result, "risk", False):
        case.urgency = "urgent"
        raise_alert(case, "screening_risk")


def raise_alert(case: Case, reason: str) -> Alert:
    alert = Alert(case=case, school_id=case.school_id, reason=reason,
                  raised_at=day_start() if case.anonymous else utcnow().replace(microsecond=0))
    db.session.add(alert)
    db.session.flush()
    log("alert.raise", case, alert=alert.id, reason=reason, user_id=None)
    notices.alert_raised(alert)  # the counsellors' mail, in this transaction
    return alert


# -- counsellor actions -------------------------------------------------------------------

def read_case(case: Case, user) -> Case:
    log("case.read", case, user_id=user.id)
    return case


def handle_alert(alert: Alert, user, action: str) -> None:
    action = _clean(action, 4000)
    if not action:
        raise CaseError("action")
    if alert.handled_at is not None:
        raise CaseError("handled")
    alert.handled_at, alert.handled_by_id, alert.handled_action = utcnow().replace(microsecond=0), user.id, action
    log("alert.handle", alert.case, alert=alert.id, user_id=user.id)
    notices.alert_handled(alert, user)  # stops the escalation


def set_status(case: Case, status: str, user) -> None:
    status = _choice(status, STATUSES)
    if status == "closed":
        raise CaseError("use close_case")
    previous, case.status, case.closed_on = case.status, status, None
    log("case.status", case, previous=previous, status=status, user_id=user.id)


def add_session(case: Case, user, *, held_on: dt.date, form: str, notes: str | None, actions: str | None,
                next_follow_up: dt.date | None, referral: str | None) -> CaseSession:
    entry = CaseSession(case=case, held_on=held_on, form=_choice(form, SESSION_FORMS),
                        notes=_clean(notes, 20000), actions=_clean(actions, 4000), next_follow_up=next_follow_up,
                        referral=_choice(referral, REFERRALS, "none"), counsellor_id=user.id)
    db.session.add(entry)
    if case.status == "new":
        case.status = "in_progress"
    db.session.flush()
    log("session.add", case, session=entry.id, referral=entry.referral, user_id=user.id)
    return entry


def close_case(case: Case, user, note: str | None) -> None:
    if any(a.handled_at is None for a in case.alerts):
        raise CaseError("open alert")
    case.status, case.closed_on, case.closure_note = "closed", today(), _clean(note, 4000)
    log("case.close", case, user_id=user.id)


# -- queues and counts --------------------------------------------------------------------

def open_alerts(school_ids: set[int]) -> list[Alert]:
    if not school_ids:
        return []
    return list(db.session.execute(select(Alert).where(Alert.school_id.in_(school_ids), Alert.handled_at.is_(None))
                                   .order_by(Alert.raised_at, Alert.id)).scalars())


def urgent_count(school_ids: set[int]) -> int:
    if not school_ids:
        return 0
    return db.session.execute(select(func.count(Alert.id)).where(
        Alert.school_id.in_(school_ids), Alert.handled_at.is_(None))).scalar_one()


def queue(school_ids: set[int], status: str | None = None) -> list[Case]:
    if not school_ids:
        return []
    query = select(Case).where(Case.school_id.in_(school_ids))
    if status in STATUSES:
        query = query.where(Case.status == status)
    else:
        query = query.where(Case.status != "closed")
    urgency_rank = sql_case((Case.urgency == "urgent", 0), (Case.urgency == "soon", 1), else_=2)
    return list(db.session.execute(query.order_by(urgency_rank, Case.created_at.desc(), Case.id.desc())).scalars())


# -- retention ----------------------------------------------------------------------------

def purge(retention_days: int, on: dt.date | None = None) -> list[int]:
    """Delete cases closed more than ``retention_days`` ago, with their sessions and alerts."""
    cutoff = (on or today()) - dt.timedelta(days=retention_days)
    ids = list(db.session.execute(select(Case.id).where(Case.status == "closed", Case.closed_on <= cutoff)
                                  .order_by(Case.id)).scalars())
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        db.session.execute(delete(CaseSession).where(CaseSession.case_id.in_(chunk)))
        db.session.execute(delete(Alert).where(Alert.case_id.in_(chunk)))
        db.session.execute(delete(Case).where(Case.id.in_(chunk)))
    if ids:
        audit.record("mental_health.purge", object_type=OBJECT, cases=len(ids), closed_before=cutoff.isoformat())
    return ids
