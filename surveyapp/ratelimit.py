"""Attempt limits shared by all workers through the database.

Keys combine what is attacked (an account, a code prefix, a session) with the
client address, hashed with the secret key: a whole school behind one NAT
address is not locked out by one pupil, and no address is stored in clear.

A key's window starts at its first attempt and lasts ``window_seconds`` (whole
minutes), so a burst cannot straddle a clock boundary to get twice the limit.
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


def _expired(counter: RateCounter, window_seconds: int) -> bool:
    return _minute() - counter.window >= max(1, window_seconds // 60)


def _hit(key: str, limit: int, window_seconds: int) -> bool:
    hashed = _hashed(key)
    counter = db.session.execute(select(RateCounter).where(RateCounter.key == hashed)).scalar_one_or_none()
    if counter is None:
        counter = RateCounter(key=hashed, window=_minute(), count=0)
        db.session.add(counter)
    elif _expired(counter, window_seconds):
        counter.window, counter.count = _minute(), 0
    counter.count += 1
    allowed = counter.count <= limit
    db.session.commit()
    return allowed


def exceeded(key: str, limit: int, window_seconds: int) -> bool:
    """True when ``key`` has used up its ``limit`` in the current window; counts nothing."""
    counter = db.session.execute(select(RateCounter).where(RateCounter.key == _hashed(key))).scalar_one_or_none()
    return counter is not None and not _expired(counter, window_seconds) and counter.count >= limit


def reset(key: str) -> None:
    db.session.execute(delete(RateCounter).where(RateCounter.key == _hashed(key)))
    db.session.commit()
