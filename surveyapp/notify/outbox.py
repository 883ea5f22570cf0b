"""Writing notifications: ``enqueue`` adds outbox rows to the caller's transaction (no commit),
so the event and its notifications are committed, or lost, together."""
from __future__ import annotations

import uuid
from typing import Iterable

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import OrgUnit, RoleAssignment, User, day_start, utcnow
from .channels import Recipient, registered_channels
from .kinds import clean_params, kind_for
from .models import Notification, Preference


def recipient_for(user: User | None, address: str | None = None) -> Recipient:
    if user is not None:
        return Recipient(user_id=user.id, name=user.full_name or user.username, email=user.email or None,
                         locale=user.locale or "vi", user=user)
    return Recipient(user_id=None, name="", email=address, locale="vi")


def holders(org: OrgUnit, *roles: str) -> list[User]:
    """Active users holding one of ``roles`` at ``org`` itself (not above it)."""
    query = (select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
             .where(RoleAssignment.org_id == org.id, RoleAssignment.role.in_(roles), User.active.is_(True))
             .order_by(User.id).distinct())
    return list(db.session.execute(query).scalars())


def wants_digest(user: User) -> bool:
    preference = db.session.get(Preference, user.id)
    return bool(preference and preference.digest)


def _message_id() -> str:
    domain = (current_app.config.get("MAIL_FROM") or "localhost").rpartition("@")[2] or "localhost"
    return f"<notify.{uuid.uuid4().hex}@{domain}>"


def enqueue(kind: str, recipients: Iterable[User | str], *, org: OrgUnit | None = None,
            params: dict | None = None, dedup_key: str | None = None,
            subject_key: str | None = None, anonymous: bool = False) -> list[Notification]:
    """One outbox row per recipient and channel, in the current transaction (the caller commits).

    ``recipients`` are accounts (inactive ones are skipped) or configured e-mail addresses.
    With ``dedup_key``, a notification already written under that key is not written again
    (daily sweeps may run in several workers). ``anonymous``: caused by an anonymous action, so
    the row's times hold the date only (due at once: today's 00:00 has passed)."""
    definition = kind_for(kind)
    clean = clean_params(params)
    channels = registered_channels()
    written = []
    for target in recipients:
        user = target if isinstance(target, User) else None
        if user is not None and not user.active:
            continue
        recipient = recipient_for(user, None if user else str(target))
        held = not definition.urgent and user is not None and wants_digest(user)
        for channel in channels.values():
            if not channel.accepts(recipient, kind):
                continue
            key = f"{dedup_key}:{channel.id}:{recipient.user_id or recipient.email}"[:200] if dedup_key else None
            if key and db.session.execute(select(Notification.id).filter_by(dedup_key=key)).first():
                continue
            row = Notification(kind=kind, channel=channel.id, user_id=recipient.user_id,
                               address=None if user else recipient.email, org_id=org.id if org else None,
                               params=clean, urgent=definition.urgent, status="held" if held else "pending",
                               next_attempt_at=day_start() if anonymous else utcnow(),
                               message_id=_message_id(), subject_key=subject_key, dedup_key=key,
                               anonymous=anonymous, **({"created_at": day_start()} if anonymous else {}))
            db.session.add(row)
            written.append(row)
    db.session.flush()
    return written
