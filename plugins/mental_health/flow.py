"""The student side of the module: the consent gate, linking identity, help first on risk.

The core calls ``before_answering`` (consent) and decides itself when help follows a
risk answer; this module adds to the help page (``respondent_help``) a way to reach the
counsellor.

Only this module's campaigns are touched: every function returns early for others.
"""
from __future__ import annotations

from flask import render_template, session, url_for

from surveyapp.extensions import db
from surveyapp.models import day_start

from . import cases
from .models import Case

MODULE_ID = "mental_health"
INTAKE_KEY, CONSENT_KEY = "mh_intake", "mh_consent"


def is_ours(campaign) -> bool:
    return campaign is not None and campaign.module == MODULE_ID


def is_confidential(campaign) -> bool:
    return is_ours(campaign) and bool((campaign.settings or {}).get("confidential"))


# -- session bookkeeping (the signed cookie of the student's own device) ----------------------

def remember(key: str, campaign_id: int, value) -> None:
    stored = dict(session.get(key, {}))
    stored[str(campaign_id)] = value
    session[key] = stored


def recall(key: str, campaign_id: int, pop: bool = False):
    stored = dict(session.get(key, {}))
    value = stored.pop(str(campaign_id), None) if pop else stored.get(str(campaign_id))
    if pop:
        session[key] = stored
    return value


def pending_case(campaign) -> Case | None:
    case_id = recall(INTAKE_KEY, campaign.id)
    case = db.session.get(Case, case_id) if case_id else None
    if case is None or case.campaign_id != campaign.id or not case.awaiting_answers:
        return None
    return case


# -- hooks ------------------------------------------------------------------------------------

def gate_url(campaign, access_code) -> str | None:
    """Confidential mode: consent, then identity, before the first answer."""
    if not is_confidential(campaign) or pending_case(campaign) is not None:
        return None
    return url_for("mental_health.consent", code=access_code.code)


def on_submitted(response, campaign, result) -> None:
    if not is_confidential(campaign):
        return
    case_id = recall(INTAKE_KEY, campaign.id, pop=True)
    case = db.session.get(Case, case_id) if case_id else None
    if case is not None and case.campaign_id == campaign.id and case.awaiting_answers:
        cases.link_response(case, response, result)
    elif getattr(result, "risk", False):
        _unidentified_alert(response, campaign)
    db.session.commit()


def _unidentified_alert(response, campaign) -> None:
    """The identity was lost (cookie cleared, other device): still raise the alert, with the class."""
    klass = response.class_group.name if response.class_group else None
    case = Case(school_id=response.school_id, source="confidential_screening", anonymous=True, topic="feelings",
                student_class=klass, campaign_id=campaign.id, response_id=response.id, urgency="urgent",
                created_at=day_start())
    db.session.add(case)
    db.session.flush()
    cases.log("case.create", case, source=case.source, user_id=None)
    cases.raise_alert(case, "screening_risk")


def help_blocks(campaign, school) -> list:
    """The core's help page, for this module's campaigns: how the counsellor can be reached."""
    if not is_ours(campaign) or school is None:
        return []
    return [render_template("mental_health/_screening_help.html", school=school,
                            confidential=is_confidential(campaign))]
