"""school_dialogue tables: the suggestion box, dialogue sessions, issues and commitments.

Suggestion-box messages are anonymous by construction: no account, address,
user agent or time of day; the date received is enough for the 7-working-day
reply (NĐ 56/2017 Đ53). The receipt code is stored only as a hash.
"""
from __future__ import annotations

from surveyapp.extensions import db
from surveyapp.models import today, utcnow

MESSAGE_STATUSES = ("new", "in_progress", "answered", "closed")
DECISIONS = ("will", "partly", "will_not", "forwarded")
COMMITMENT_STATUSES = ("planned", "in_progress", "done", "dropped")
ISSUE_SOURCES = ("survey", "box", "floor")


class BoxMessage(db.Model):
    __tablename__ = "school_dialogue_message"
    id = db.Column(db.Integer, primary_key=True)
    school_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), nullable=False, index=True)
    body = db.Column(db.Text, nullable=False)
    received_on = db.Column(db.Date, nullable=False, default=today)   # the date only, never the time
    due_on = db.Column(db.Date, nullable=False)
    receipt_hash = db.Column(db.String(64), nullable=False, unique=True)
    urgent = db.Column(db.Boolean, nullable=False, default=False)
    flags = db.Column(db.JSON, nullable=False, default=list)          # safeguarding categories matched
    status = db.Column(db.String(20), nullable=False, default="new")
    reply = db.Column(db.Text)
    replied_on = db.Column(db.Date)
    counsellor_seen = db.Column(db.Boolean, nullable=False, default=False)
    school = db.relationship("OrgUnit")


class DialogueSession(db.Model):
    __tablename__ = "school_dialogue_session"
    id = db.Column(db.Integer, primary_key=True)
    school_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), nullable=False, index=True)
    campaign_id = db.Column(db.Integer, db.ForeignKey("campaign.id"))
    held_on = db.Column(db.Date, nullable=False)
    title = db.Column(db.String(200), nullable=False)
    participants = db.Column(db.JSON, nullable=False, default=dict)   # {"6": 40, "7": 35}: counts, no names
    notes = db.Column(db.Text)
    created_by_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    school = db.relationship("OrgUnit")
    issues = db.relationship("DialogueIssue", back_populates="session", cascade="all, delete-orphan",
                             order_by="DialogueIssue.id")


class DialogueIssue(db.Model):
    """A view students raised, and the school's answer (due within 7 working days)."""

    __tablename__ = "school_dialogue_issue"
    id = db.Column(db.Integer, primary_key=True)
    session_id = db.Column(db.Integer, db.ForeignKey("school_dialogue_session.id"), nullable=False, index=True)
    source = db.Column(db.String(10), nullable=False, default="floor")
    message_id = db.Column(db.Integer, db.ForeignKey("school_dialogue_message.id"))
    text = db.Column(db.Text, nullable=False)
    reply_due = db.Column(db.Date, nullable=False)
    answer = db.Column(db.Text)
    decision = db.Column(db.String(12))
    reason = db.Column(db.Text)
    answered_on = db.Column(db.Date)
    public = db.Column(db.Boolean, nullable=False, default=False)
    session = db.relationship("DialogueSession", back_populates="issues")
    commitments = db.relationship("Commitment", back_populates="issue", cascade="all, delete-orphan",
                                  order_by="Commitment.id")


class Commitment(db.Model):
    __tablename__ = "school_dialogue_commitment"
    id = db.Column(db.Integer, primary_key=True)
    issue_id = db.Column(db.Integer, db.ForeignKey("school_dialogue_issue.id"), nullable=False, index=True)
    action = db.Column(db.Text, nullable=False)
    owner = db.Column(db.String(200), nullable=False)
    due_on = db.Column(db.Date, nullable=False)
    status = db.Column(db.String(12), nullable=False, default="planned")
    done_on = db.Column(db.Date)
    issue = db.relationship("DialogueIssue", back_populates="commitments")
