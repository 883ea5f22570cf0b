"""This module's notifications: a box message that trips the safeguarding check is urgent for the
school's counsellors (and escalates until one marks it seen); replies due within two working
days, and overdue ones, are reminded daily to the school's dialogue lead (its admins)."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from surveyapp import notify
from surveyapp.access import ADMIN
from surveyapp.extensions import db
from surveyapp.workdays import working_days_between

from .models import BoxMessage

URGENT = notify.NotificationKind(
    "school_dialogue.urgent_message", urgent=True,
    subject=_l("Urgent message in the suggestion box of %(school)s"),
    body=_l("A message in the suggestion box of %(school)s may concern a student's safety. For "
            "confidentiality this mail does not quote it; please sign in to read it today:\n%(link)s"),
    label=_l("Urgent suggestion-box message"))
DUE_SOON = notify.NotificationKind(
    "school_dialogue.reply_due", subject=_l("Suggestion-box replies due soon at %(school)s"),
    body=_l("%(count)s suggestion-box messages at %(school)s must be answered by %(due)s. "
            "Please sign in to reply:\n%(link)s"),
    label=_l("Suggestion-box replies due within two working days"))
OVERDUE = notify.NotificationKind(
    "school_dialogue.reply_overdue", subject=_l("Overdue suggestion-box replies at %(school)s"),
    body=_l("%(count)s suggestion-box messages at %(school)s have not been answered in time (the first was "
            "due on %(due)s). Please sign in to reply:\n%(link)s"),
    label=_l("Overdue suggestion-box replies"))
KINDS = [URGENT, DUE_SOON, OVERDUE]
REMIND_WORKING_DAYS = 2


def subject_key(message: BoxMessage) -> str:
    return f"school_dialogue_message:{message.id}"


def message_posted(message: BoxMessage) -> None:
    if message.urgent:
        db.session.flush()
        notify.raise_urgent(URGENT.id, message.school, subject_key(message),
                            f"/school_dialogue/messages/{message.id}", anonymous=True)  # the box is anonymous


def message_seen(message: BoxMessage, user) -> None:
    notify.acknowledge(subject_key(message), user)


def reply_reminders(now: dt.datetime, today: dt.date | None = None) -> None:
    """One reminder per school and day for each of: due within two working days, overdue."""
    today = today or notify.local_now(now).date()
    open_messages = db.session.execute(select(BoxMessage).where(
        BoxMessage.replied_on.is_(None), BoxMessage.status.in_(("new", "in_progress")))).scalars()
    groups: dict[tuple, list[BoxMessage]] = defaultdict(list)
    for message in open_messages:
        if today > message.due_on:
            groups[(OVERDUE.id, message.school_id)].append(message)
        elif working_days_between(today, message.due_on) <= REMIND_WORKING_DAYS:
            groups[(DUE_SOON.id, message.school_id)].append(message)
    for (kind, _school_id), messages in groups.items():
        school = messages[0].school
        notify.enqueue(kind, notify.holders(school, ADMIN), org=school,
                       params={"school": school.id, "count": len(messages),
                               "due": min(m.due_on for m in messages), "link": f"/school_dialogue/schools/{school.id}/inbox"},
                       dedup_key=f"{kind}:{school.id}:{today.isoformat()}")
