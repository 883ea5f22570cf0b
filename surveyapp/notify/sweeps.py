"""Time-driven notifications, run by the worker: escalations on every poll; once a day (from
``NOTIFY_DAILY_HOUR`` local time) the digests, low participation and plugins' own checks.

Daily notifications carry a dedup key with the date, so several workers, or a restart,
never send the same day's message twice."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from ..access import ADMIN
from ..extensions import db
from ..models import Campaign, utcnow
from . import escalation
from .kinds import DIGEST, LOW_PARTICIPATION
from .models import Notification
from .outbox import _message_id, enqueue, holders


def local_now(now: dt.datetime) -> dt.datetime:
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Ho_Chi_Minh")
    return now.replace(tzinfo=dt.timezone.utc).astimezone(zone)


def run_sweeps(now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    escalation.sweep(now)
    local = local_now(now)
    state = current_app.extensions.setdefault("surveyapp_notify_daily", {})
    if local.hour >= int(current_app.config.get("NOTIFY_DAILY_HOUR", 7)) and state.get("done") != local.date():
        run_daily(now)
        state["done"] = local.date()


def run_daily(now: dt.datetime | None = None) -> None:
    """Each step commits its own work: a failure in one leaves the others' done."""
    from .. import get_registry
    from ..contract import implementations
    now = now or utcnow()
    for step in (low_participation, send_digests):
        try:
            step(now)
            db.session.commit()
        except Exception:  # noqa: BLE001 - e.g. another worker wrote today's row first
            db.session.rollback()
            current_app.logger.exception("daily notifications: %s failed", step.__name__)
    for who, sweep in implementations(get_registry().pm, "notification_sweep"):
        try:
            sweep(now=now)
            db.session.commit()
        except Exception:  # noqa: BLE001
            db.session.rollback()
            current_app.logger.exception("daily notifications: %s failed", who)


def send_digests(now: dt.datetime) -> int:
    """One digest per user and channel for the day's held (non-urgent) notifications."""
    day = local_now(now).date().isoformat()
    held = db.session.execute(select(Notification).where(Notification.status == "held",
                                                         Notification.created_at <= now)
                              .order_by(Notification.id)).scalars().all()
    groups: dict[tuple, list[Notification]] = defaultdict(list)
    for note in held:
        groups[(note.user_id, note.channel)].append(note)
    made = 0
    for (user_id, channel), notes in groups.items():
        key = f"digest:{user_id}:{channel}:{day}"
        if db.session.execute(select(Notification.id).filter_by(dedup_key=key)).first():
            continue
        digest = Notification(kind=DIGEST.id, channel=channel, user_id=user_id, status="pending",
                              params={"count": len(notes), "items": [n.id for n in notes]},
                              next_attempt_at=now, message_id=_message_id(), dedup_key=key)
        db.session.add(digest)
        db.session.flush()
        for note in notes:
            note.status, note.digest_id = "digested", digest.id
        made += 1
    return made


def low_participation(now: dt.datetime) -> int:
    """Open campaigns closing within ``NOTIFY_LOW_PARTICIPATION_DAYS`` where a school has fewer than
    ``NOTIFY_LOW_PARTICIPATION_RATE`` of its expected answers: one message per school and day."""
    from ..reports import participation
    today = local_now(now).date()
    days = int(current_app.config.get("NOTIFY_LOW_PARTICIPATION_DAYS", 3))
    threshold = float(current_app.config.get("NOTIFY_LOW_PARTICIPATION_RATE", 0.5))
    campaigns = db.session.execute(select(Campaign).where(
        Campaign.status == "open", Campaign.closes_on >= today,
        Campaign.closes_on <= today + dt.timedelta(days=days))).scalars().all()
    lagging: dict[int, list] = defaultdict(list)
    schools = {}
    for campaign in campaigns:
        for row in participation(campaign, list(campaign.scope)):
            if row["expected"] and row["rate"] < threshold:
                lagging[row["school"].id].append(campaign)
                schools[row["school"].id] = row["school"]
    for school_id, found in lagging.items():
        school = schools[school_id]
        enqueue(LOW_PARTICIPATION.id, holders(school, ADMIN), org=school,
                params={"school": school.id, "count": len(found), "due": min(c.closes_on for c in found),
                        "link": "/campaigns/"}, dedup_key=f"low:{school.id}:{today.isoformat()}")
    return len(lagging)
