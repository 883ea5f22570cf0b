"""The anonymous suggestion box "Điều em muốn nói": one per school, always open.

A message stores the school, the text, the date received (never the time),
the safeguarding flags and a hash of the receipt code the writer was shown
once. Nothing else: no account, address, user agent or device id.
"""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from surveyapp.access import ADMIN, COUNSELLOR, roots
from surveyapp.campaigns import CODE_ALPHABET
from surveyapp.extensions import db
from surveyapp.models import OrgUnit, today

from . import notices, safeguarding
from .models import MESSAGE_STATUSES, BoxMessage
from .workdays import add_working_days, reply_state

RECEIPT_LENGTH = 10
MIN_LENGTH, MAX_LENGTH = 5, 2000


def school_by_code(code: str) -> OrgUnit | None:
    return db.session.execute(select(OrgUnit).filter_by(code=(code or "").strip(), kind="school",
                                                        active=True)).scalar_one_or_none()


def _receipt_hash(school_id: int, receipt: str) -> str:
    clean = "".join(ch for ch in (receipt or "").upper() if ch.isalnum())
    return hashlib.sha256(f"{school_id}:{clean}".encode()).hexdigest()


def post_message(school: OrgUnit, body: str, commit: bool = True) -> tuple[BoxMessage, str]:
    """Store a message; return it with its receipt code (shown to the writer once, only hashed here)."""
    received = today()
    receipt = "".join(secrets.choice(CODE_ALPHABET) for _ in range(RECEIPT_LENGTH))
    flags = safeguarding.check(body)
    message = BoxMessage(school_id=school.id, body=body.strip(), received_on=received,
                         due_on=add_working_days(received), receipt_hash=_receipt_hash(school.id, receipt),
                         urgent=bool(flags), flags=flags, status="new")
    db.session.add(message)
    notices.message_posted(message)  # urgent ones: the counsellors' mail, in this transaction
    if commit:
        db.session.commit()
    return message, receipt


def by_receipt(school: OrgUnit, receipt: str) -> BoxMessage | None:
    return db.session.execute(select(BoxMessage).filter_by(
        school_id=school.id, receipt_hash=_receipt_hash(school.id, receipt))).scalar_one_or_none()


def team_role(user, school: OrgUnit) -> str | None:
    """The school's dialogue team: its own admins (every message) and counsellors (urgent ones)."""
    if any(unit.id == school.id for unit in roots(user, (ADMIN,))):
        return ADMIN
    if any(unit.id == school.id for unit in roots(user, (COUNSELLOR,))):
        return COUNSELLOR
    return None


def team_schools(user) -> list[OrgUnit]:
    seen = {unit.id: unit for unit in roots(user, (ADMIN, COUNSELLOR)) if unit.kind == "school"}
    return sorted(seen.values(), key=lambda u: u.name)


def can_read(user, message: BoxMessage) -> bool:
    role = team_role(user, message.school)
    return role == ADMIN or (role == COUNSELLOR and message.urgent)


def inbox(user, school: OrgUnit) -> list[BoxMessage]:
    role = team_role(user, school)
    if role is None:
        return []
    query = select(BoxMessage).filter_by(school_id=school.id)
    if role == COUNSELLOR:
        query = query.filter_by(urgent=True)
    query = query.order_by(BoxMessage.urgent.desc(), BoxMessage.received_on.desc(), BoxMessage.id.desc())
    return list(db.session.execute(query).scalars())


def answer(message: BoxMessage, reply: str, status: str) -> None:
    if status not in MESSAGE_STATUSES:
        raise ValueError(status)
    notices.message_seen(message, None)  # an answer acknowledges an urgent message too
    message.reply = (reply or "").strip() or None
    message.status = status
    if message.reply and message.replied_on is None:
        message.replied_on = today()


def state(message: BoxMessage) -> str:
    return reply_state(message.due_on, message.replied_on)
