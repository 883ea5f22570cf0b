"""Core storage. Plugins needing tables of their own prefix them with their module id.

Responses are one row per response: numeric answers in fixed integer columns
``v1..v96`` (the questionnaire maps each item to a slot), free text in JSON.
Reports GROUP BY these columns in SQL; one row per answer would be ~3x slower
to aggregate and to insert (see README, "Storage layout").
"""
from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.orm import deferred
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db
from .questionnaire.definition import MAX_SLOTS
from .questionnaire.schema import SCHOOL_LEVELS  # noqa: F401  (re-exported: the tree's levels)

ORG_KINDS = ("department", "unit", "school")
ROLES = ("admin", "counsellor", "viewer", "auditor", "safeguarding")  # safeguarding: told of escalations
CAMPAIGN_STATUSES = ("draft", "open", "closed")
RESPONSE_DRAFT, RESPONSE_SUBMITTED = 0, 1


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def today() -> dt.date:
    return dt.date.today()


def day_start() -> dt.datetime:
    """Today at 00:00: what a timestamp column holds for an anonymous action (the date only)."""
    return dt.datetime.combine(today(), dt.time())


class OrgUnit(db.Model):
    """A node of the organisation tree: department -> optional units (any depth) -> schools."""

    __tablename__ = "org_unit"
    id = db.Column(db.Integer, primary_key=True)
    parent_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), index=True)
    kind = db.Column(db.String(20), nullable=False)
    code = db.Column(db.String(40), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False)
    levels = db.Column(db.String(100), nullable=False, default="")
    facility_type = db.Column(db.String(40))
    # Materialised path "/1/4/17/" so a subtree is one indexed LIKE prefix query.
    path = db.Column(db.String(400), nullable=False, default="/", index=True)
    depth = db.Column(db.Integer, nullable=False, default=0)
    enrolment = db.Column(db.Integer)
    contact = db.Column(db.JSON, nullable=False, default=dict)
    reviewer_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"))
    active = db.Column(db.Boolean, nullable=False, default=True)

    parent = db.relationship("OrgUnit", remote_side=[id], foreign_keys=[parent_id], backref="children")
    reviewer = db.relationship("OrgUnit", remote_side=[id], foreign_keys=[reviewer_id])

    @property
    def level_list(self) -> list[str]:
        return [lvl for lvl in (self.levels or "").split(",") if lvl]

    def set_parent(self, parent: "OrgUnit | None") -> None:
        self.parent = parent
        self.depth = parent.depth + 1 if parent else 0

    def refresh_path(self) -> None:
        """Call after the row has an id (flush first)."""
        self.path = (self.parent.path if self.parent else "/") + f"{self.id}/"

    def contains(self, other: "OrgUnit") -> bool:
        return other.path.startswith(self.path)

    def __repr__(self) -> str:
        return f"<OrgUnit {self.code}>"


class ClassGroup(db.Model):
    __tablename__ = "class_group"
    __table_args__ = (UniqueConstraint("school_id", "name"),)
    id = db.Column(db.Integer, primary_key=True)
    school_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), nullable=False, index=True)
    grade = db.Column(db.Integer, nullable=False)
    name = db.Column(db.String(40), nullable=False)
    size = db.Column(db.Integer, nullable=False, default=0)
    school = db.relationship("OrgUnit")


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(80), nullable=False, unique=True)
    password_hash = db.Column(db.String(255), nullable=False)
    full_name = db.Column(db.String(200), nullable=False, default="")
    email = db.Column(db.String(200))
    locale = db.Column(db.String(5))
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    # Raised to end every session and remember-me cookie of the account (surveyapp.sessions).
    session_version = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    totp_secret = db.Column(db.String(64))  # set once a TOTP app is enrolled (surveyapp.signin)
    totp_last_step = db.Column(db.Integer)  # the last 30-second step used: a code works once
    roles = db.relationship("RoleAssignment", back_populates="user", cascade="all, delete-orphan",
                            foreign_keys="RoleAssignment.user_id")

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)

    def get_id(self) -> str:  # Flask-Login: the session version ends old sessions (surveyapp.sessions)
        return f"{self.id}:{self.session_version or 0}"


class RoleAssignment(db.Model):
    """A role held over an organisation unit and its whole subtree."""

    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("user_id", "role", "org_id"),)
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), nullable=False, index=True)
    role = db.Column(db.String(20), nullable=False)
    org_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), nullable=False)
    granted_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    granted_at = db.Column(db.DateTime, default=utcnow)
    user = db.relationship("User", back_populates="roles", foreign_keys=[user_id])
    granted_by = db.relationship("User", foreign_keys=[granted_by_id])
    org = db.relationship("OrgUnit")


class QuestionnaireVersion(db.Model):
    """An immutable stored questionnaire definition; a changed file becomes a new row."""

    __tablename__ = "questionnaire_version"
    __table_args__ = (UniqueConstraint("qid", "content_hash"), UniqueConstraint("qid", "seq"))
    id = db.Column(db.Integer, primary_key=True)
    qid = db.Column(db.String(60), nullable=False, index=True)
    module = db.Column(db.String(40), nullable=False)
    seq = db.Column(db.Integer, nullable=False)
    label = db.Column(db.String(20), nullable=False)
    content_hash = db.Column(db.String(64), nullable=False)
    # Deferred: campaigns load their version row on every student request; the JSON is
    # only read when the per-process definition cache misses.
    definition = deferred(db.Column(db.JSON, nullable=False))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    @property
    def display_version(self) -> str:
        return f"{self.label} (#{self.seq})"


class Campaign(db.Model):
    __tablename__ = "campaign"
    id = db.Column(db.Integer, primary_key=True)
    module = db.Column(db.String(40), nullable=False, index=True)
    name = db.Column(db.String(200), nullable=False)
    qversion_id = db.Column(db.Integer, db.ForeignKey("questionnaire_version.id"), nullable=False)
    owner_org_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), nullable=False)
    status = db.Column(db.String(10), nullable=False, default="draft")
    opens_on = db.Column(db.Date)
    closes_on = db.Column(db.Date)
    grades = db.Column(db.String(60), nullable=False, default="")
    # School levels taking part (comma-separated; empty: every level), like ``grades``.
    levels = db.Column(db.String(60), nullable=False, default="")
    settings = db.Column(db.JSON, nullable=False, default=dict)
    created_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    qversion = db.relationship("QuestionnaireVersion")
    owner_org = db.relationship("OrgUnit")
    scope = db.relationship("OrgUnit", secondary="campaign_scope")

    @property
    def grade_list(self) -> list[int]:
        return [int(g) for g in (self.grades or "").split(",") if g.strip()]

    @property
    def level_list(self) -> list[str]:
        return [level for level in (self.levels or "").split(",") if level]

    def takes_part(self, school: "OrgUnit") -> bool:
        """Whether a school of the campaign's scope is of one of its levels."""
        levels = self.level_list
        return not levels or bool(set(levels) & set(school.level_list))

    def is_accepting(self, on: dt.date | None = None) -> bool:
        on = on or today()
        if self.status != "open":
            return False
        return (self.opens_on is None or self.opens_on <= on) and (self.closes_on is None or on <= self.closes_on)


campaign_scope = db.Table(
    "campaign_scope",
    db.Column("campaign_id", db.Integer, db.ForeignKey("campaign.id"), primary_key=True),
    db.Column("org_id", db.Integer, db.ForeignKey("org_unit.id"), primary_key=True),
)


class AccessCode(db.Model):
    """A short code a class types to reach a campaign; shared by the class, identifies nobody."""

    __tablename__ = "access_code"
    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(16), nullable=False, unique=True)
    campaign_id = db.Column(db.Integer, db.ForeignKey("campaign.id"), nullable=False, index=True)
    school_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), nullable=False)
    class_group_id = db.Column(db.Integer, db.ForeignKey("class_group.id"))
    grade = db.Column(db.Integer)
    active = db.Column(db.Boolean, nullable=False, default=True)
    campaign = db.relationship("Campaign")
    school = db.relationship("OrgUnit")
    class_group = db.relationship("ClassGroup")


class OneTimeToken(db.Model):
    """A printed one-submission token. Deliberately no link to any response and no time."""

    __tablename__ = "one_time_token"
    id = db.Column(db.Integer, primary_key=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    access_code_id = db.Column(db.Integer, db.ForeignKey("access_code.id"), nullable=False, index=True)
    used = db.Column(db.Boolean, nullable=False, default=False)
    access_code = db.relationship("AccessCode")


class RespondentDraft(db.Model):
    """Answers in progress on one device, keyed by a keyed hash of a random id held in the
    browser cookie (``respondent.draft_key``): the table never holds the cookie's value."""

    __tablename__ = "respondent_draft"
    id = db.Column(db.String(64), primary_key=True)
    access_code_id = db.Column(db.Integer, db.ForeignKey("access_code.id"), nullable=False)
    answers = db.Column(db.JSON, nullable=False, default=dict)
    page = db.Column(db.Integer, nullable=False, default=0)
    locale = db.Column(db.String(5))
    updated_on = db.Column(db.Date, nullable=False, default=today)
    access_code = db.relationship("AccessCode")


def random_id() -> int:
    """A random positive 63-bit key: row ids that say nothing about the order of arrival."""
    return secrets.randbits(63) or 1


# BIGINT on PostgreSQL; on SQLite an INTEGER PRIMARY KEY is already 64-bit (and the rowid).
RANDOM_KEY = db.BigInteger().with_variant(db.Integer(), "sqlite")


class Response(db.Model):
    """Anonymous answers: nothing here can hold an identity, a device, a time or an order.
    Who filled in a staff form is kept apart, in ``staff_authorship``."""

    __tablename__ = "response"
    __table_args__ = (
        Index("ix_response_campaign_school", "campaign_id", "school_id", "status"),
        # covers the disclosure release's count per school x class x grade: an index-only scan
        Index("ix_response_campaign_group", "campaign_id", "status", "school_id", "class_group_id", "grade"),
    )
    id = db.Column(RANDOM_KEY, primary_key=True, autoincrement=False, default=random_id)
    campaign_id = db.Column(db.Integer, db.ForeignKey("campaign.id"), nullable=False)
    qversion_id = db.Column(db.Integer, db.ForeignKey("questionnaire_version.id"), nullable=False)
    school_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), nullable=False, index=True)
    class_group_id = db.Column(db.Integer, db.ForeignKey("class_group.id"))
    grade = db.Column(db.Integer)
    status = db.Column(db.SmallInteger, nullable=False, default=RESPONSE_SUBMITTED)
    submitted_on = db.Column(db.Date)                   # the date only: never the time of day
    total = db.Column(db.Float)
    band = db.Column(db.String(40))
    outcome = db.Column(db.String(40))
    risk = db.Column(db.Boolean, nullable=False, default=False)
    needs_review = db.Column(db.Boolean, nullable=False, default=False)
    scores = db.Column(db.JSON, nullable=False, default=dict)
    texts = db.Column(db.JSON, nullable=False, default=dict)
    notes = db.Column(db.JSON, nullable=False, default=dict)
    for _slot in range(1, MAX_SLOTS + 1):
        locals()[f"v{_slot}"] = db.Column(db.Integer)
    del _slot

    campaign = db.relationship("Campaign")
    qversion = db.relationship("QuestionnaireVersion")
    school = db.relationship("OrgUnit")
    class_group = db.relationship("ClassGroup")


class Attachment(db.Model):
    """Evidence for an item: an uploaded file (checked by content) or a link."""

    __tablename__ = "attachment"
    id = db.Column(db.Integer, primary_key=True)
    response_id = db.Column(RANDOM_KEY, db.ForeignKey("response.id", ondelete="CASCADE"), nullable=False, index=True)
    item_id = db.Column(db.String(40), nullable=False)
    kind = db.Column(db.String(10), nullable=False)
    filename = db.Column(db.String(255))
    stored_name = db.Column(db.String(100))
    mime = db.Column(db.String(100))
    size = db.Column(db.Integer)
    sha256 = db.Column(db.String(64))
    url = db.Column(db.String(1000))
    uploaded_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class AuditEntry(db.Model):
    """Append-only, hash-chained log of admin actions, exports and record access."""

    __tablename__ = "audit_log"
    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(db.DateTime, nullable=False, default=utcnow)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    action = db.Column(db.String(60), nullable=False)
    object_type = db.Column(db.String(60))
    object_id = db.Column(db.String(60))
    org_id = db.Column(db.Integer)
    detail = db.Column(db.JSON, nullable=False, default=dict)
    prev_hash = db.Column(db.String(64), nullable=False)
    hash = db.Column(db.String(64), nullable=False)


class AuditHead(db.Model):
    """One row; updating it first serialises writers so the chain never forks."""

    __tablename__ = "audit_head"
    id = db.Column(db.Integer, primary_key=True)
    last_hash = db.Column(db.String(64), nullable=False)


class ExportJob(db.Model):
    __tablename__ = "export_job"
    id = db.Column(db.Integer, primary_key=True)
    campaign_id = db.Column(db.Integer, db.ForeignKey("campaign.id"), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    org_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"))
    status = db.Column(db.String(10), nullable=False, default="queued")
    progress = db.Column(db.Integer, nullable=False, default=0)
    message = db.Column(db.String(500))
    path = db.Column(db.String(500))
    options = db.Column(db.JSON, nullable=False, default=dict)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    finished_at = db.Column(db.DateTime)


def slot_column(slot: int):
    return getattr(Response, f"v{slot}")


class RateCounter(db.Model):
    """Attempts per key and time window, shared by every worker (keys are keyed hashes)."""

    __tablename__ = "rate_counter"
    key = db.Column(db.String(64), primary_key=True)
    window = db.Column(db.Integer, nullable=False)  # minute (since 1970) its slice of the clock ends
    count = db.Column(db.Integer, nullable=False, default=0)


class StaffAuthorship(db.Model):
    """Who started a staff form (a school's self-assessment): kept beside, never inside,
    the response table, which holds anonymous answers too."""

    __tablename__ = "staff_authorship"
    response_id = db.Column(RANDOM_KEY, db.ForeignKey("response.id", ondelete="CASCADE"), primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"), index=True)


class SentMark(db.Model):
    """Makes a re-posted answer page idempotent without touching the response: a keyed
    hash of the page's send key (plus, for a post mark, of what was posted), whether
    help was shown, and the day after which it is purged. No reference to any response."""

    __tablename__ = "sent_mark"
    key = db.Column(db.String(64), primary_key=True)
    help = db.Column(db.Boolean, nullable=False, default=False)
    expires_on = db.Column(db.Date, nullable=False, index=True)


from .account_models import AccountToken, LoginThrottle, RecoveryCode, RememberToken  # noqa: E402,F401
