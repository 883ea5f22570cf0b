"""What anonymous actions leave behind, and clearing it away.

- ``anonymous_write()``: a view that stored something anonymous calls it; a moment later
  (``CHECKPOINT_DELAY``, in a background thread, so no student waits for it and a burst
  of sends costs one checkpoint) SQLite's write-ahead file is checkpointed and truncated,
  and again twice in the next seconds (a write landing just after is cleared too),
  so the file does not keep the order of recent writes (which an administrator could
  replay commit by commit to match one-time slips to responses). Deleted rows are
  overwritten (``PRAGMA secure_delete``, see storage.py), so a sent draft leaves no copy.
- ``purge()``: drafts of closed campaigns and drafts older than ``DRAFT_DAYS``, expired
  send marks and rate-limit rows. Run by ``surveyapp purge-anonymous`` (cron it daily)
  and, at most once an hour per worker, on the student pages.
"""
from __future__ import annotations

import datetime as dt
import os
import threading
import time
from dataclasses import dataclass

from flask import g
from sqlalchemy import delete, or_, select

from . import ratelimit, sentmarks
from .extensions import db
from .models import AccessCode, Campaign, RespondentDraft, today

DRAFT_DAYS = 14
PURGE_EVERY_SECONDS = 3600
_last_purge = {"at": 0.0}


def anonymous_write() -> None:
    g.anonymous_write = True


CHECKPOINT_DELAY = 0.2  # seconds: the most history the write-ahead file keeps once writes stop
FOLLOW_UPS = (0.8, 2.0)  # seconds after it: look again (an empty file costs nothing to truncate)
_pending: set = set()
_lock = threading.Lock()
_wake = threading.Event()
_worker: dict = {"thread": None, "pid": None}


def checkpoint_after_anonymous_write(response):
    if g.get("anonymous_write") and db.engine.dialect.name == "sqlite":
        _schedule(db.engine)
    return response


def checkpoint(engine) -> None:
    """Copy the write-ahead file into the database and truncate it to zero bytes."""
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _schedule(engine) -> None:
    with _lock:
        _pending.add(engine)
        thread = _worker["thread"]
        if thread is None or _worker["pid"] != os.getpid() or not thread.is_alive():  # new worker process
            thread = threading.Thread(target=_checkpoints, name="wal-checkpoint", daemon=True)
            _worker.update(thread=thread, pid=os.getpid())
            thread.start()
    _wake.set()


def _checkpoints() -> None:
    while True:
        _wake.wait()
        time.sleep(CHECKPOINT_DELAY)
        _wake.clear()
        with _lock:
            engines = list(_pending)
            _pending.clear()
        _checkpoint_all(engines)
        for pause in FOLLOW_UPS:  # a write landing just after (a busy request's last one) is cleared too
            if _wake.wait(pause):
                break                # a new anonymous write: start over with it
            _checkpoint_all(engines)


def _checkpoint_all(engines) -> None:
    for engine in engines:
        try:
            checkpoint(engine)
        except Exception:  # noqa: BLE001 - readers busy, or the database is gone: the next write retries
            continue


@dataclass
class Purged:
    drafts: int
    marks: int
    counters: int


def _closed_campaign_drafts(on: dt.date):
    closed = select(AccessCode.id).join(Campaign, AccessCode.campaign_id == Campaign.id).where(
        or_(Campaign.status != "open", Campaign.closes_on < on))
    return RespondentDraft.access_code_id.in_(closed)


def purge(on: dt.date | None = None) -> Purged:
    """Delete what anonymous answering leaves once it is no longer needed."""
    on = on or today()
    drafts = db.session.execute(delete(RespondentDraft).where(or_(
        RespondentDraft.updated_on < on - dt.timedelta(days=DRAFT_DAYS), _closed_campaign_drafts(on))))
    counters = ratelimit.purge_expired()
    db.session.commit()
    marks = sentmarks.purge(on)
    anonymous_write()
    return Purged(drafts.rowcount or 0, marks, counters or 0)


def purge_now_and_then() -> None:
    """Run ``purge`` from a student page at most once an hour per worker (no cron needed)."""
    if time.monotonic() - _last_purge["at"] < PURGE_EVERY_SECONDS and _last_purge["at"]:
        return
    _last_purge["at"] = time.monotonic()
    purge()
