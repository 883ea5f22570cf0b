"""The append-only, hash-chained audit log (``surveyapp audit verify`` checks it)."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import select, update

from .extensions import db
from .models import AuditEntry, AuditHead, day_start, utcnow

GENESIS = "0" * 64


def _digest(prev_hash: str, entry: AuditEntry) -> str:
    body = json.dumps({
        "prev": prev_hash, "at": entry.at.isoformat(), "user": entry.user_id, "action": entry.action,
        "type": entry.object_type, "object": entry.object_id, "org": entry.org_id, "detail": entry.detail,
    }, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _lock_head() -> str:
    """Take the chain's write lock by updating its head row first, then read it."""
    result = db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=AuditHead.last_hash))
    if result.rowcount == 0:
        db.session.add(AuditHead(id=1, last_hash=GENESIS))
        db.session.flush()
    return db.session.execute(select(AuditHead.last_hash).where(AuditHead.id == 1)).scalar_one()


def record(action: str, obj: Any = None, *, object_type: str | None = None, object_id: Any = None,
           org_id: int | None = None, user_id: int | None = None, dated: bool = False,
           **detail: Any) -> AuditEntry:
    """Append one entry in the caller's transaction (committed with the caller's change).

    ``dated``: the entry of an anonymous action keeps the date only (midnight), never the time."""
    if user_id is None and has_request_context() and current_user.is_authenticated:
        user_id = current_user.id
    if obj is not None:
        object_type = object_type or type(obj).__name__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    prev_hash = _lock_head()
    entry = AuditEntry(at=day_start() if dated else utcnow().replace(microsecond=0), user_id=user_id, action=action,
                       object_type=object_type, object_id=None if object_id is None else str(object_id),
                       org_id=org_id, detail=detail, prev_hash=prev_hash)
    entry.hash = _digest(prev_hash, entry)
    db.session.add(entry)
    db.session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=entry.hash))
    return entry


def verify() -> list[str]:
    """Return the problems found walking the chain; an empty list means it is intact."""
    problems, prev = [], GENESIS
    for entry in db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
        if entry.prev_hash != prev:
            problems.append(f"entry {entry.id}: does not follow the previous entry (deleted or reordered?)")
        if _digest(entry.prev_hash, entry) != entry.hash:
            problems.append(f"entry {entry.id}: content does not match its hash (edited?)")
        prev = entry.hash
    head = db.session.get(AuditHead, 1)
    if head and head.last_hash != prev:
        problems.append("the last entries were removed (head hash does not match the last entry)")
    return problems
