"""Dialogue sessions (đối thoại): issues raised, the school's answers within 7 working days, commitments."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.models import Campaign, OrgUnit, today
from surveyapp import privacy

from .models import COMMITMENT_STATUSES, DECISIONS, BoxMessage, Commitment, DialogueIssue, DialogueSession
from surveyapp.privacy import mask
from .workdays import add_working_days, reply_state

MODULE_ID = "school_dialogue"
WEAKEST = 3


def latest_campaign(school: OrgUnit) -> Campaign | None:
    """The newest school-dialogue campaign whose scope covers the school."""
    campaigns = db.session.execute(select(Campaign).filter_by(module=MODULE_ID)
                                   .order_by(Campaign.id.desc())).scalars()
    for campaign in campaigns:
        if any(school.path.startswith(unit.path) for unit in campaign.scope):
            return campaign
    return None


def weakest_items(campaign: Campaign, school: OrgUnit, locale: str = "vi", limit: int = WEAKEST) -> list[dict]:
    """The agree-scale items with the lowest mean at this school (reverse items turned round)."""
    from surveyapp.campaigns import definition_of
    definition = definition_of(campaign)
    per_item = privacy.single(privacy.distributions(campaign, definition, school), campaign).value or {}
    rated = []
    for item_id, dist in per_item.items():
        info = definition.items[item_id]
        if info.item.type != "likert" or dist.mean is None or dist.reason:
            continue  # the core's decision: an item too few answered here (or that gives one away)
        low, high = definition.value_range(item_id)
        mean = (low + high - dist.mean) if info.item.reverse else dist.mean
        rated.append((mean, item_id, info.item.text.get(locale), dist.n))
    rated.sort()
    return [{"item": i, "text": t, "mean": m, "n": n} for m, i, t, n in rated[:limit]]


def suggestions(school: OrgUnit, locale: str = "vi") -> list[dict[str, Any]]:
    """Issues to pre-fill a session with: the survey's weakest results, then open box messages."""
    found = []
    campaign = latest_campaign(school)
    if campaign is not None:
        for row in weakest_items(campaign, school, locale):
            found.append({"source": "survey", "message_id": None,
                          "text": f"{row['text']} ({row['mean']:.1f}/5, n={row['n']})"})
    messages = db.session.execute(select(BoxMessage).where(
        BoxMessage.school_id == school.id, BoxMessage.status.in_(("new", "in_progress")),
        BoxMessage.urgent.is_(False)).order_by(BoxMessage.id)).scalars()
    for message in messages:
        found.append({"source": "box", "message_id": message.id, "text": mask(message.body).text[:500]})
    return found


def create_session(school: OrgUnit, *, held_on: dt.date, title: str, participants: dict[str, int],
                   issues: list[dict[str, Any]], notes: str = "", campaign: Campaign | None = None,
                   user_id: int | None = None) -> DialogueSession:
    session = DialogueSession(school_id=school.id, held_on=held_on, title=title.strip(), notes=notes or None,
                              participants={str(g): int(n) for g, n in participants.items() if int(n) > 0},
                              campaign_id=campaign.id if campaign else None, created_by_id=user_id)
    due = add_working_days(held_on)
    for issue in issues:
        text = (issue.get("text") or "").strip()
        if text:
            session.issues.append(DialogueIssue(source=issue.get("source", "floor"), text=text[:2000],
                                                message_id=issue.get("message_id"), reply_due=due,
                                                public=issue.get("source") != "box"))
    db.session.add(session)
    db.session.flush()
    return session


def answer_issue(issue: DialogueIssue, *, answer: str, decision: str, reason: str = "", public: bool = False,
                 on: dt.date | None = None) -> None:
    """Record the school's answer (what it will or will not do, and why); a box message gets the reply too."""
    if decision not in DECISIONS:
        raise ValueError(decision)
    issue.answer, issue.decision, issue.reason = answer.strip(), decision, (reason or "").strip() or None
    issue.public = bool(public)
    issue.answered_on = issue.answered_on or on or today()
    if issue.message_id:
        message = db.session.get(BoxMessage, issue.message_id)
        if message is not None:
            message.reply, message.status = issue.answer, "answered"
            message.replied_on = message.replied_on or issue.answered_on


def add_commitment(issue: DialogueIssue, *, action: str, owner: str, due_on: dt.date) -> Commitment:
    commitment = Commitment(action=action.strip(), owner=owner.strip(), due_on=due_on, status="planned")
    issue.commitments.append(commitment)
    return commitment


def set_commitment_status(commitment: Commitment, status: str, on: dt.date | None = None) -> None:
    if status not in COMMITMENT_STATUSES:
        raise ValueError(status)
    commitment.status = status
    commitment.done_on = (on or today()) if status == "done" else None


def issue_state(issue: DialogueIssue, on: dt.date | None = None) -> str:
    return reply_state(issue.reply_due, issue.answered_on, on)


def sessions_of(school: OrgUnit) -> list[DialogueSession]:
    return list(db.session.execute(select(DialogueSession).filter_by(school_id=school.id)
                                   .order_by(DialogueSession.held_on.desc())).scalars())


def public_changes(school: OrgUnit) -> list[DialogueIssue]:
    """Answered issues the school chose to publish, newest first: no individual data."""
    return list(db.session.execute(
        select(DialogueIssue).join(DialogueSession).where(
            DialogueSession.school_id == school.id, DialogueIssue.public.is_(True),
            DialogueIssue.answered_on.is_not(None)).order_by(DialogueSession.held_on.desc(), DialogueIssue.id)
    ).scalars())
