"""safe_school tables: the workflow state of one school's assessment and its history.

The answers themselves live in the core ``response`` row (criteria in the
``v`` slots, per-criterion comments and improvement plans in ``notes``) and
evidence in the core ``attachment`` table.
"""
from __future__ import annotations

from sqlalchemy import UniqueConstraint

from surveyapp.extensions import db
from surveyapp.models import RANDOM_KEY, utcnow

NOT_STARTED, DRAFT, SUBMITTED, RETURNED, RECOGNISED, REFUSED = (
    "not_started", "draft", "submitted", "returned", "recognised", "refused")
STATUSES = (NOT_STARTED, DRAFT, SUBMITTED, RETURNED, RECOGNISED, REFUSED)
EDITABLE = (DRAFT, RETURNED)


class Assessment(db.Model):
    """One school's self-assessment in one campaign (one criteria set)."""

    __tablename__ = "safe_school_assessment"
    __table_args__ = (UniqueConstraint("campaign_id", "school_id"),)
    id = db.Column(db.Integer, primary_key=True)
    campaign_id = db.Column(db.Integer, db.ForeignKey("campaign.id"), nullable=False, index=True)
    school_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"), nullable=False, index=True)
    response_id = db.Column(RANDOM_KEY, db.ForeignKey("response.id"), nullable=False, unique=True)
    status = db.Column(db.String(12), nullable=False, default=DRAFT)
    result = db.Column(db.String(40))
    reviewer_org_id = db.Column(db.Integer, db.ForeignKey("org_unit.id"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    campaign = db.relationship("Campaign")
    school = db.relationship("OrgUnit", foreign_keys=[school_id])
    reviewer_org = db.relationship("OrgUnit", foreign_keys=[reviewer_org_id])
    response = db.relationship("Response")
    events = db.relationship("AssessmentEvent", back_populates="assessment", order_by="AssessmentEvent.id",
                             cascade="all, delete-orphan")

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE


class AssessmentEvent(db.Model):
    """One transition (who, when, what), shown to the school and the reviewer."""

    __tablename__ = "safe_school_event"
    id = db.Column(db.Integer, primary_key=True)
    assessment_id = db.Column(db.Integer, db.ForeignKey("safe_school_assessment.id", ondelete="CASCADE"),
                              nullable=False, index=True)
    at = db.Column(db.DateTime, nullable=False, default=utcnow)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id"))
    action = db.Column(db.String(20), nullable=False)
    status = db.Column(db.String(12), nullable=False)
    comment = db.Column(db.Text, nullable=False, default="")
    item_comments = db.Column(db.JSON, nullable=False, default=dict)

    assessment = db.relationship("Assessment", back_populates="events")
    user = db.relationship("User")
