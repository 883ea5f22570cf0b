"""What anonymous actions leave behind, and clearing it away.

- ``anonymous_write()``: a view that stored something anonymous calls it; after the
  response is sent, SQLite's write-ahead file is checkpointed and truncated, so the file
  does not keep the order of recent writes (which an administrator could replay commit
  by commit to match one-time slips to responses). Deleted rows are overwritten
  (``PRAGMA secure_delete``, see storage.py), so a sent draft leaves no copy behind.
- ``purge()``: drafts of closed campaigns and drafts older than ``DRAFT_DAYS``, expired
  send marks and rate-limit rows. Run by ``surveyapp purge-anonymous`` (cron it daily)
  and, at most once an hour per worker, on the student pages.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from flask import current_app, g
from sqlalchemy import delete, or_, select

from . import ratelimit, sentmarks
from .extensions import db
from .models import AccessCode, Campaign, RespondentDraft, today

DRAFT_DAYS = 14
PURGE_EVERY_SECONDS = 3600
_last_purge = {"at": 0.0}


def anonymous_write() -> None:
    g.anonymous_write = True


def checkpoint_after_anonymous_write(response):
    if g.get("anonymous_write") and db.engine.dialect.name == "sqlite":
        try:
            with db.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        except Exception as exc:  # never fail the student's page for it; the next write retries
            current_app.logger.warning("WAL checkpoint skipped: %s", exc.__class__.__name__)
    return response


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
