"""What a respondent sees after sending: thank you, or help first. One place decides.

Help follows whenever the stored answers meet a risk rule of the questionnaire, in
every module and on every path (first send, re-post, second tab, a draft gone). The
page is always ``/s/done``: the phone's history, a bookmark or Back reveal neither the
outcome nor the code nor the school. Which page it is comes from the server: the signed
session holds, for 30 minutes, only a random-looking key, the school and campaign ids;
whether help was shown is in the key's send mark on the server (``sentmarks``, purged
after a day), so even a decoded cookie does not say it. Plugins may add content
(``respondent_help``); they never decide whether help is shown.
"""
from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import dataclass
from typing import Any

from flask import redirect, session, url_for
from markupsafe import Markup

from . import get_registry, sentmarks, traces
from .extensions import db
from .models import Campaign, OrgUnit, SentMark, today

OUTCOME_KEY = "sent"
OUTCOME_SECONDS = 30 * 60


@dataclass
class Outcome:
    school: OrgUnit | None
    campaign: Campaign | None
    help: bool


def show(school_id: int | None, campaign_id: int | None, help_first: bool, send: str | None = None):
    """Remember the outcome for a short while and send the device to the neutral page.

    ``send``: a send key whose used mark already says ``help_first`` (no write here); else
    a mark of its own is written under a fresh random key."""
    if send is None:
        send = secrets.token_urlsafe(16)
        db.session.add(SentMark(key=sentmarks.used_key(send), help=help_first,
                                expires_on=today() + dt.timedelta(days=sentmarks.KEEP_DAYS)))
        db.session.commit()
        traces.anonymous_write()
    session[OUTCOME_KEY] = {"k": send, "s": school_id, "c": campaign_id, "u": int(time.time()) + OUTCOME_SECONDS}
    return redirect(url_for("respond.done"))


def forget() -> None:
    session.pop(OUTCOME_KEY, None)


def current() -> Outcome | None:
    stored = session.get(OUTCOME_KEY)
    if not stored or stored.get("u", 0) < time.time() or not stored.get("k"):
        return None
    mark = sentmarks.find(sentmarks.used_key(stored["k"]))
    school = db.session.get(OrgUnit, stored["s"]) if stored.get("s") else None
    campaign = db.session.get(Campaign, stored["c"]) if stored.get("c") else None
    return Outcome(school, campaign, bool(mark and mark.help))


def help_messages(outcome: Outcome, locale: str) -> list[str]:
    """The questionnaire's own words to the respondent, from its risk rules (once each)."""
    if outcome.campaign is None:
        return []
    from .campaigns import definition_of
    scoring = definition_of(outcome.campaign).model.scoring
    messages: list[str] = []
    for rule in (scoring.risk if scoring else []):
        if rule.help is not None and rule.help.get(locale) not in messages:
            messages.append(rule.help.get(locale))
    return messages


def plugin_help(outcome: Outcome) -> list[Markup]:
    """Extra help content from the modules (e.g. a way to ask the counsellor); the plugin contract
    has already escaped whatever a module returned as plain text rather than ``Markup``."""
    blocks: list[Any] = []
    for result in get_registry().hook.respondent_help(campaign=outcome.campaign, school=outcome.school):
        blocks.extend(result or [])
    return [Markup(block) for block in blocks]
