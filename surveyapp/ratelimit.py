"""Attempt limits shared by all workers through the database.

Keys combine what is attacked (an account, a code prefix, a session) with the
client address, hashed with the secret key: a whole school behind one NAT
address is not locked out by one pupil, and no address is stored in clear.

Windows are fixed slices of the clock (10:00-10:10, 10:10-10:20 ...), and a row keeps
only the minute its slice ends: no attempt's own time is stored, and every row is
deleted once its slice is over (a burst straddling two slices gets at most twice the
limit, which is the price of keeping no time of attempt).
"""
from __future__ import annotations

import hashlib
import hmac
import time

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models import RateCounter


def _hashed(key: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, key.encode("utf-8"), hashlib.sha256).hexdigest()


def hit(key: str, limit: int, window_seconds: int) -> bool:
    """Count one attempt; return False when the limit for this window is exceeded."""
    try:
        return _hit(key, limit, window_seconds)
    except IntegrityError:  # two workers created the same counter at once
        db.session.rollback()
        return _hit(key, limit, window_seconds)


def _minute() -> int:
    return int(time.time() // 60)


def _slice_end(window_seconds: int) -> int:
    """The minute the current slice of the clock ends (what a row keeps as ``window``)."""
    length = max(1, window_seconds // 60)
    return (_minute() // length + 1) * length


def _expired(counter: RateCounter, window_seconds: int = 0) -> bool:
    return counter.window <= _minute()


def purge_expired() -> int:
    result = db.session.execute(delete(RateCounter).where(RateCounter.window <= _minute()))
    return result.rowcount or 0


def _hit(key: str, limit: int, window_seconds: int) -> bool:
    hashed = _hashed(key)
    counter = db.session.execute(select(RateCounter).where(RateCounter.key == hashed)).scalar_one_or_none()
    if counter is None:
        purge_expired()  # a new counter is rare (a wrong code, a post): clear finished slices then
        counter = RateCounter(key=hashed, window=_slice_end(window_seconds), count=0)
        db.session.add(counter)
    elif _expired(counter):
        counter.window, counter.count = _slice_end(window_seconds), 0
    counter.count += 1
    allowed = counter.count <= limit
    db.session.commit()
    from .traces import anonymous_write
    anonymous_write()  # the write-ahead file would otherwise keep the order of attempts
    return allowed


def exceeded(key: str, limit: int, window_seconds: int) -> bool:
    """True when ``key`` has used up its ``limit`` in the current window; counts nothing."""
    counter = db.session.execute(select(RateCounter).where(RateCounter.key == _hashed(key))).scalar_one_or_none()
    return counter is not None and not _expired(counter) and counter.count >= limit


def reset(key: str) -> None:
    db.session.execute(delete(RateCounter).where(RateCounter.key == _hashed(key)))
    db.session.commit()
