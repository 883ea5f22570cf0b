"""Delivering the outbox: claim rows atomically, send, retry with back-off, dead-letter.

Delivery is at least once: a row is marked sent only after the channel accepted it,
so a worker killed in between leaves it to be sent again (same Message-ID) once its
lease runs out. Claiming is one conditional UPDATE per row, safe with several
workers on PostgreSQL (the loser's UPDATE matches no row) and on SQLite.
"""
from __future__ import annotations

import datetime as dt
import threading

from flask import Flask, current_app
from sqlalchemy import and_, or_, select, update

from ..extensions import db
from ..models import User, day_start, utcnow
from .channels import ChannelError, OutgoingMessage, PermanentError, registered_channels
from .kinds import UnsafeParameter, compose
from .models import Notification
from .outbox import recipient_for


def _setting(name: str, default: float) -> float:
    return float(current_app.config.get(name) or default)


def _claimable(now: dt.datetime):
    return or_(and_(Notification.status == "pending", Notification.next_attempt_at <= now),
               and_(Notification.status == "sending", Notification.lease_until < now))


def claim_batch(now: dt.datetime, limit: int) -> list[int]:
    """Take up to ``limit`` due rows (urgent first); rows another worker took are skipped."""
    lease = dt.timedelta(seconds=_setting("NOTIFY_LEASE_SECONDS", 300))
    candidates = db.session.execute(select(Notification.id).where(_claimable(now))
                                    .order_by(Notification.urgent.desc(), Notification.id).limit(limit)).scalars().all()
    claimed = []
    for note_id in candidates:
        result = db.session.execute(update(Notification).where(Notification.id == note_id, _claimable(now))
                                    .values(status="sending", lease_until=now + lease,
                                            attempts=Notification.attempts + 1))
        if result.rowcount == 1:
            claimed.append(note_id)
    db.session.commit()
    return claimed


def backoff(attempts: int) -> dt.timedelta:
    base, cap = _setting("NOTIFY_RETRY_SECONDS", 30), _setting("NOTIFY_RETRY_MAX_SECONDS", 3600)
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _digest_lines(note: Notification, locale: str) -> list[str]:
    if note.kind != "notify.digest":
        return []
    held = db.session.execute(select(Notification).where(Notification.id.in_(note.params.get("items", [])))
                              .order_by(Notification.id)).scalars()
    return [compose(item.kind, item.params, locale).subject for item in held]


def deliver(note_id: int, now: dt.datetime) -> str:
    """Send one claimed row; returns its new status."""
    note = db.session.get(Notification, note_id)
    user = db.session.get(User, note.user_id) if note.user_id else None
    recipient = recipient_for(user, note.address)
    try:
        composed = compose(note.kind, note.params, recipient.locale, _digest_lines(note, recipient.locale))
        message = OutgoingMessage(notification_id=note.id, kind=note.kind, urgent=note.urgent,
                                  subject=composed.subject, body=composed.body, message_id=note.message_id)
        channel = registered_channels().get(note.channel)
        if channel is None:
            raise ChannelError(f"no channel '{note.channel}' is installed")
        if user is not None and not user.active:
            raise PermanentError("the account is deactivated")
        channel.send(recipient, message)
    except (PermanentError, UnsafeParameter) as exc:
        note.status, note.last_error, note.lease_until = "dead", str(exc)[:500], None
    except Exception as exc:  # noqa: BLE001 - any failure is retried, then dead-lettered
        note.last_error = f"{exc.__class__.__name__}: {exc}"[:500]
        note.lease_until = None
        if note.attempts >= int(_setting("NOTIFY_MAX_ATTEMPTS", 8)):
            note.status = "dead"
        else:
            note.status, note.next_attempt_at = "pending", now + backoff(note.attempts)
    else:
        note.status, note.sent_at, note.lease_until, note.last_error = "sent", utcnow(), None, None
        if note.anonymous:  # sent: nothing of the anonymous moment stays
            note.sent_at = note.next_attempt_at = day_start()
    db.session.commit()
    return note.status


def deliver_due(now: dt.datetime | None = None, limit: int = 50) -> dict[str, int]:
    """One batch: claim due rows and deliver them. Returns counts by resulting status."""
    counts: dict[str, int] = {}
    for note_id in claim_batch(now or utcnow(), limit):
        status = deliver(note_id, now or utcnow())
        counts[status] = counts.get(status, 0) + 1
    return counts


def run_once(now: dt.datetime | None = None, limit: int = 50) -> dict[str, int]:
    """The worker's loop body: time-driven notifications (escalations, daily jobs), then delivery."""
    from .sweeps import run_sweeps
    run_sweeps(now)
    return deliver_due(now, limit)


def loop(app: Flask, interval: float, stop: threading.Event | None = None, limit: int = 50,
         report=None) -> None:
    """Poll until ``stop`` is set; ``report(counts)`` hears of every batch that did something."""
    stop = stop or threading.Event()
    while not stop.is_set():
        with app.app_context(), app.test_request_context():
            try:
                counts = run_once(limit=limit)
                if counts and report:
                    report(counts)
            except Exception:  # noqa: BLE001 - the loop must outlive a bad batch (database restart)
                db.session.rollback()
                app.logger.exception("notification worker: batch failed")
            finally:
                db.session.remove()
        stop.wait(interval)


def start_thread(app: Flask, interval: float | None = None) -> tuple[threading.Thread, threading.Event]:
    """The development server's worker (``NOTIFY_IN_THREAD``); production runs ``surveyapp notify-worker``."""
    stop = threading.Event()
    interval = interval or float(app.config.get("NOTIFY_POLL_SECONDS") or 5)
    thread = threading.Thread(target=loop, args=(app, interval, stop), daemon=True, name="notify-worker")
    thread.start()
    return thread, stop


def outbox_health(now: dt.datetime | None = None) -> dict:
    """Figures to monitor: waiting rows, the oldest one's age in seconds, dead letters."""
    from sqlalchemy import func
    now = now or utcnow()
    waiting = db.session.execute(select(func.count(), func.min(Notification.created_at))
                                 .where(Notification.status.in_(("pending", "sending")))).one()
    dead = db.session.execute(select(func.count()).where(Notification.status == "dead")).scalar_one()
    oldest = int((now - waiting[1]).total_seconds()) if waiting[1] else 0
    return {"waiting": waiting[0], "oldest_seconds": oldest, "dead": dead}

