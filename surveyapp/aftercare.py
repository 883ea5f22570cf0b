"""What a respondent sees after sending: thank you, or help first. One place decides.

Help follows whenever the stored answers meet a risk rule of the questionnaire, in
every module and on every path (first send, re-post, second tab, a draft gone). The
outcome is kept for a few minutes in the signed session, never in the address: the
page is always ``/s/done``, so the phone's history, a bookmark or Back reveal neither
the outcome nor the code nor the school. Plugins may add content (``respondent_help``);
they never decide whether help is shown.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from flask import redirect, session, url_for
from markupsafe import Markup

from . import get_registry
from .extensions import db
from .models import Campaign, OrgUnit

OUTCOME_KEY = "sent"
OUTCOME_SECONDS = 30 * 60


@dataclass
class Outcome:
    school: OrgUnit | None
    campaign: Campaign | None
    help: bool
    risk_rules: list[str] = field(default_factory=list)


def show(school_id: int | None, campaign_id: int | None, risk_rules: list[str] | None = None,
         help_first: bool | None = None):
    """Remember the outcome on the device for a short while and send it to the neutral page."""
    rules = list(risk_rules or [])
    session[OUTCOME_KEY] = {"s": school_id, "c": campaign_id, "r": rules,
                            "h": bool(rules) if help_first is None else help_first,
                            "u": int(time.time()) + OUTCOME_SECONDS}
    return redirect(url_for("respond.done"))


def forget() -> None:
    session.pop(OUTCOME_KEY, None)


def current() -> Outcome | None:
    stored = session.get(OUTCOME_KEY)
    if not stored or stored.get("u", 0) < time.time():
        return None
    school = db.session.get(OrgUnit, stored["s"]) if stored.get("s") else None
    campaign = db.session.get(Campaign, stored["c"]) if stored.get("c") else None
    return Outcome(school, campaign, bool(stored.get("h")), list(stored.get("r") or []))


def help_messages(outcome: Outcome, locale: str) -> list[str]:
    """The questionnaire's own words to the respondent for each risk rule met (once each)."""
    if outcome.campaign is None or not outcome.risk_rules:
        return []
    from .campaigns import definition_of
    scoring = definition_of(outcome.campaign).model.scoring
    messages: list[str] = []
    for rule in (scoring.risk if scoring else []):
        if rule.id in outcome.risk_rules and rule.help is not None:
            text = rule.help.get(locale)
            if text not in messages:
                messages.append(text)
    return messages


def plugin_help(outcome: Outcome) -> list[Markup]:
    """Extra help content from the modules (e.g. a way to ask the counsellor)."""
    blocks: list[Any] = []
    for result in get_registry().hook.respondent_help(campaign=outcome.campaign, school=outcome.school,
                                                      risk_rules=outcome.risk_rules):
        blocks.extend(result or [])
    return [Markup(block) for block in blocks]
