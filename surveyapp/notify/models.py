"""The outbox tables: one row per message to one recipient over one channel.

A row is written in the transaction of the event that causes it, so a committed
event always has its notification; the worker delivers it later (at least once).
Rows hold only safe parameters (see ``kinds.SAFE_PARAMS``), never the wording.
"""
from __future__ import annotations

from sqlalchemy import Index, UniqueConstraint

from ..extensions import db
from ..models import utcnow

# pending -> sending -> sent | pending (retry) | dead; held -> digested (daily digest)
STATUSES = ("pending", "sending", "sent", "dead", "held", "digested")


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_due", "status", "next_attempt_at"), UniqueConstraint("dedup_key"))
    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(80), nullable=False)
    channel = db.Column(db.String(30), nullable=False, default="email")
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    address = db.Column(db.String(200))             # a configured address with no account behind it
    org_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"))  # the unit it concerns (admin scope)
    params = db.Column(db.JSON, nullable=False, default=dict)
    urgent = db.Column(db.Boolean, nullable=False, default=False)
    # Caused by an anonymous action: its times hold the date only, except a retry's next attempt
    # while a delivery is failing (docs/privacy.md).
    anonymous = db.Column(db.Boolean, nullable=False, default=False)
    status = db.Column(db.String(10), nullable=False, default="pending")
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    lease_until = db.Column(db.DateTime)
    last_error = db.Column(db.String(500))
    message_id = db.Column(db.String(200), nullable=False)  # the same on every re-send
    subject_key = db.Column(db.String(80), index=True)      # the escalation it belongs to
    dedup_key = db.Column(db.String(200))
    digest_id = db.Column(db.Integer, db.ForeignKey("notification.id"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    sent_at = db.Column(db.DateTime)

    user = db.relationship("User")
    org = db.relationship("OrgUnit")


class Escalation(db.Model):
    """An urgent matter: told to the school's staff at once, then one level up the
    organisation tree each time the configured working hours pass unacknowledged."""

    __tablename__ = "notify_escalation"
    id = db.Column(db.Integer, primary_key=True)
    subject_key = db.Column(db.String(80), nullable=False, unique=True)  # opaque to the core
    kind = db.Column(db.String(80), nullable=False)
    org_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), nullable=False)
    link = db.Column(db.String(200), nullable=False)
    raised_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    # An anonymous matter: raised and acknowledged hold the date only; ``next_at`` (when the
    # level above is told) is the one time kept, and only while nobody has acted.
    anonymous = db.Column(db.Boolean, nullable=False, default=False)
    level = db.Column(db.Integer, nullable=False, default=0)
    next_at = db.Column(db.DateTime, index=True)   # when the next level is told; none once finished
    acknowledged_at = db.Column(db.DateTime)
    acknowledged_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))

    org = db.relationship("OrgUnit")


class Preference(db.Model):
    """Per user: non-urgent notifications at once (default) or in one daily digest."""

    __tablename__ = "notify_preference"
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    digest = db.Column(db.Boolean, nullable=False, default=False)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)
