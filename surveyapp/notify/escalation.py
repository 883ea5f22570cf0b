"""Urgent matters: the school's staff are told at once; if nobody acknowledges within the
configured working hours, the safeguarding contact one level up the organisation tree
is told, then the next level, until someone acknowledges or the top is reached."""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from flask import current_app
from sqlalchemy import select, update

from ..access import ADMIN, COUNSELLOR, SAFEGUARDING
from ..extensions import db
from ..models import OrgUnit, User, day_start, utcnow
from ..workdays import add_working_hours, parse_hours
from .kinds import ESCALATION
from .models import Escalation, Notification
from .outbox import enqueue, holders



def due_after(start: dt.datetime) -> dt.datetime:
    config = current_app.config
    return add_working_hours(start, float(config.get("NOTIFY_ESCALATE_HOURS") or 4),
                             zone=config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Ho_Chi_Minh",
                             day=parse_hours(config.get("WORKING_HOURS")))


def raise_urgent(kind: str, school: OrgUnit, subject_key: str, link: str,
                 recipients: Iterable[User] | None = None, now: dt.datetime | None = None,
                 anonymous: bool = False) -> Escalation:
    """Tell ``recipients`` (default: the school's counsellors; its admins when it has none) now
    and start the escalation clock.

    ``subject_key`` names the matter for ``acknowledge`` and ``told`` (e.g. "<module>_alert:<id>").
    ``anonymous``: raised by an anonymous action; every time kept holds the date only, but for
    the deadline of the next level, which the safeguarding rule needs until someone acts."""
    now = now or utcnow()
    people = list(recipients) if recipients is not None else holders(school, COUNSELLOR)
    people = people or holders(school, ADMIN)  # nobody may wait four hours because a post is vacant
    enqueue(kind, people, org=school, params={"school": school.id, "link": link}, subject_key=subject_key,
            anonymous=anonymous)
    escalation = Escalation(subject_key=subject_key, kind=kind, org_id=school.id, link=link,
                            raised_at=day_start() if anonymous else now, level=0, next_at=due_after(now),
                            anonymous=anonymous)
    db.session.add(escalation)
    db.session.flush()
    return escalation


def acknowledge(subject_key: str, user: User | None, now: dt.datetime | None = None) -> bool:
    """Someone acted: no further level is told. True when this call stopped the clock."""
    now = now or utcnow()
    open_matter = (Escalation.subject_key == subject_key, Escalation.acknowledged_at.is_(None))
    result = db.session.execute(update(Escalation).where(*open_matter, Escalation.anonymous.is_(False))
                                .values(acknowledged_at=now, next_at=None,
                                        acknowledged_by_id=user.id if user else None))
    if not result.rowcount:  # an anonymous matter keeps the date only
        result = db.session.execute(update(Escalation).where(*open_matter)
                                    .values(acknowledged_at=day_start(), next_at=None,
                                            acknowledged_by_id=user.id if user else None))
    return result.rowcount == 1


def contacts(unit: OrgUnit) -> list[User | str]:
    """A unit's safeguarding contact: holders of the safeguarding role there and the address
    configured on the unit; its admins when it has neither."""
    people: list[User | str] = list(holders(unit, SAFEGUARDING))
    address = (unit.contact or {}).get("safeguarding_email")
    if address:
        people.append(address)
    return people or list(holders(unit, ADMIN))


def _ancestor(unit: OrgUnit, levels: int) -> OrgUnit | None:
    for _ in range(levels):
        unit = unit.parent if unit is not None else None
    return unit


def escalate(escalation: Escalation, now: dt.datetime) -> None:
    """Tell the next level up that has a contact; stop the clock at the top."""
    level = escalation.level
    while True:
        level += 1
        unit = _ancestor(escalation.org, level)
        if unit is None:
            escalation.level, escalation.next_at = level - 1, None
            return
        people = contacts(unit)
        if people:
            break
    # No link into the record: a contact above the school is not its counsellor and cannot read it.
    enqueue(ESCALATION.id, people, org=unit, params={"school": escalation.org_id},
            subject_key=escalation.subject_key, anonymous=escalation.anonymous)
    escalation.level = level
    escalation.next_at = due_after(now) if unit.parent_id else None


def sweep(now: dt.datetime | None = None) -> int:
    """Escalate every matter whose time ran out; each is claimed by one worker only."""
    now = now or utcnow()
    done = 0
    due = db.session.execute(select(Escalation.id, Escalation.next_at).where(
        Escalation.next_at <= now, Escalation.acknowledged_at.is_(None)).order_by(Escalation.id)).all()
    for escalation_id, next_at in due:
        # Moving next_at on is the claim: a second worker's UPDATE no longer matches.
        claimed = db.session.execute(update(Escalation).where(Escalation.id == escalation_id,
                                                              Escalation.next_at == next_at,
                                                              Escalation.acknowledged_at.is_(None))
                                     .values(next_at=None))
        if claimed.rowcount != 1:
            db.session.rollback()
            continue
        escalation = db.session.get(Escalation, escalation_id)
        escalate(escalation, now)
        db.session.commit()
        done += 1
    return done


def state(subject_key: str) -> Escalation | None:
    return db.session.execute(select(Escalation).filter_by(subject_key=subject_key)).scalar_one_or_none()


def told(subject_key: str) -> list[Notification]:
    """Who was told about the matter, when, and whether it went out (for the alert page)."""
    return list(db.session.execute(select(Notification).filter_by(subject_key=subject_key)
                                   .order_by(Notification.created_at, Notification.id)).scalars())
