"""The plugin's own tables: counselling cases, urgent alerts and counselling sessions.

Identity (name, class, contact) lives only here, never on the core ``response``
row: a confidential screening answer is linked from ``mental_health_case``.
Deletion is real (``purge``): no soft-delete flags, no history tables.
"""
from __future__ import annotations

from surveyapp.extensions import db
from surveyapp.models import RANDOM_KEY, random_id, today, utcnow

STATUSES = ("new", "contacted", "in_progress", "closed")
SOURCES = ("self_referral", "screening_offer", "confidential_screening")
TOPICS = ("study", "relationships", "feelings", "family", "safety", "career", "other")
URGENCIES = ("normal", "soon", "urgent")
SESSION_FORMS = ("in_person", "phone", "online")
REFERRALS = ("none", "health", "social_work", "hotline_111")
CONSENT_BASES = ("child_and_parent", "child_parent_pending", "adult_student")


class Case(db.Model):
    """A request for help: a self-referral, or an identified (confidential) screening."""

    __tablename__ = "mental_health_case"
    # Random keys: an anonymous request's id says nothing about when it came, even beside
    # identified cases and audit entries that carry times.
    id = db.Column(RANDOM_KEY, primary_key=True, autoincrement=False, default=random_id)
    school_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), nullable=False, index=True)
    source = db.Column(db.String(30), nullable=False)
    status = db.Column(db.String(20), nullable=False, default="new")
    urgency = db.Column(db.String(10), nullable=False, default="normal")
    topic = db.Column(db.String(20), nullable=False, default="other")
    anonymous = db.Column(db.Boolean, nullable=False, default=False)
    student_name = db.Column(db.String(200))
    student_class = db.Column(db.String(40))
    contact = db.Column(db.String(200))
    message = db.Column(db.Text)
    consent_basis = db.Column(db.String(30))
    consent_on = db.Column(db.Date)
    campaign_id = db.Column(db.Integer, db.ForeignKey("campaign.id", ondelete="SET NULL"))
    response_id = db.Column(RANDOM_KEY, db.ForeignKey("response.id", ondelete="SET NULL"))
    awaiting_answers = db.Column(db.Boolean, nullable=False, default=False)
    needs_review = db.Column(db.Boolean, nullable=False, default=False)
    created_on = db.Column(db.Date, nullable=False, default=today)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)  # 00:00 when anonymous: the date only
    closed_on = db.Column(db.Date)
    closure_note = db.Column(db.Text)

    school = db.relationship("OrgUnit")
    alerts = db.relationship("Alert", back_populates="case", cascade="all, delete-orphan",
                             order_by="Alert.id")
    sessions = db.relationship("CaseSession", back_populates="case", cascade="all, delete-orphan",
                               order_by="CaseSession.held_on")


class Alert(db.Model):
    """An urgent alert; it stays open until a counsellor records who handled it, when and how."""

    __tablename__ = "mental_health_alert"
    id = db.Column(RANDOM_KEY, primary_key=True, autoincrement=False, default=random_id)
    case_id = db.Column(RANDOM_KEY, db.ForeignKey("mental_health_case.id", ondelete="CASCADE"),
                        nullable=False, index=True)
    school_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), nullable=False, index=True)
    reason = db.Column(db.String(60), nullable=False)
    raised_at = db.Column(db.DateTime, nullable=False, default=utcnow)  # 00:00 for an anonymous case
    handled_at = db.Column(db.DateTime)
    handled_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    handled_action = db.Column(db.Text)

    case = db.relationship("Case", back_populates="alerts")
    handled_by = db.relationship("User")


class CaseSession(db.Model):
    """One counselling contact: when, how, notes, agreed actions, follow-up, outside referral."""

    __tablename__ = "mental_health_session"
    id = db.Column(db.Integer, primary_key=True)
    case_id = db.Column(RANDOM_KEY, db.ForeignKey("mental_health_case.id", ondelete="CASCADE"),
                        nullable=False, index=True)
    held_on = db.Column(db.Date, nullable=False)
    form = db.Column(db.String(20), nullable=False)
    notes = db.Column(db.Text)
    actions = db.Column(db.Text)
    next_follow_up = db.Column(db.Date)
    referral = db.Column(db.String(20), nullable=False, default="none")
    counsellor_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    case = db.relationship("Case", back_populates="sessions")
    counsellor = db.relationship("User")
