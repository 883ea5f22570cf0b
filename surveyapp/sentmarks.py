"""Idempotent sending without linking anything to the response.

Every answer page carries a *send key*, a keyed hash of the device's draft id. When a
response is stored, two short-lived marks are written beside it (never on it):

- the *used* mark: this send key has been sent (and whether help was shown);
- the *post* mark: this exact page, with these values, has been stored.

A re-post (double tap, a retried send, Back and Send again) finds its post mark and is
answered with the same next page, storing nothing. A different page sent on a draft that
was already used (a second tab) is stored only if it holds a risk answer. The marks are
keyed with the server secret, hold no response id and no time, and are purged after
``KEEP_DAYS``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Any

from flask import current_app
from sqlalchemy import delete, insert, select, update

from .extensions import db
from .models import SentMark, today

KEEP_DAYS = 1


def keyed(*parts: Any) -> str:
    """HMAC-SHA256 of the parts under the server secret (hex, 64 characters)."""
    secret = current_app.config["SECRET_KEY"].encode()
    message = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def send_key(draft_id: str) -> str:
    return keyed("send", draft_id)[:32]


def used_key(send: str) -> str:
    return keyed("used", send)


def post_key(send: str, posted: dict[str, Any]) -> str:
    return keyed("post", send, json.dumps(posted, sort_keys=True, default=str))


def mark_rows(send: str, posted: dict[str, Any], help_shown: bool) -> list[dict[str, Any]]:
    expires = today() + dt.timedelta(days=KEEP_DAYS)
    return [{"key": used_key(send), "help": help_shown, "expires_on": expires},
            {"key": post_key(send, posted), "help": help_shown, "expires_on": expires}]


INSERT_MARKS = insert(SentMark)


def find(key: str) -> SentMark | None:
    return db.session.execute(select(SentMark).where(SentMark.key == key)).scalar_one_or_none()


def remember_help(send: str) -> None:
    """A later page of a used draft stored a risk answer: re-posts of the first page show help too."""
    db.session.execute(update(SentMark).where(SentMark.key == used_key(send)).values(help=True))


def purge(on: dt.date | None = None) -> int:
    """Delete expired marks; returns how many."""
    result = db.session.execute(delete(SentMark).where(SentMark.expires_on < (on or today())))
    db.session.commit()
    return result.rowcount or 0
