"""Shared set-up for the mental_health tests: campaigns, responses, the confidential intake."""
from __future__ import annotations

from conftest import PASSWORD, csrf_token
import campaign_helpers
from campaign_helpers import code_for  # noqa: F401  (the module tests import it from here)
from surveyapp.accounts import create_user
from surveyapp.campaigns import definition_of
from surveyapp.extensions import db
from surveyapp.models import RESPONSE_SUBMITTED, Response, today
from surveyapp.questionnaire import check_answers
from surveyapp.respondent import score_answers
from surveyapp.storage import response_values, result_values

PHQ9_RISK = {**{f"q{i}": "0" for i in range(1, 9)}, "q9": "1"}   # total 1: minimal, yet risk
PHQ9_NO_RISK = {f"q{i}": "2" for i in range(1, 9)} | {"q9": "0"}
PHQ8_MILD = {f"q{i}": "1" for i in range(1, 9)}


def open_campaign(world, qid: str, confidential: bool = False, name: str = "Sàng lọc"):
    settings = {"confidential": True} if confidential else {}
    return campaign_helpers.open_campaign(world, qid, name=name, settings=settings)


def add_response(campaign, class_group, answers: dict) -> Response:
    """Store a scored response directly (for report and export tests)."""
    definition = definition_of(campaign)
    checked = check_answers(definition, answers)
    result = score_answers(definition, checked)
    row = Response(campaign_id=campaign.id, qversion_id=campaign.qversion_id, school_id=class_group.school_id,
                   class_group_id=class_group.id, grade=class_group.grade, status=RESPONSE_SUBMITTED,
                   submitted_on=today(), **response_values(definition, checked), **result_values(result))
    db.session.add(row)
    db.session.flush()
    return row


def identify(client, code: str, name: str = "Lê Minh Châu", klass: str = "6A", contact: str = "0911 222 333",
             basis: str = "child_and_parent"):
    """Go through the consent and identity pages of a confidential campaign."""
    gate = client.get(f"/s/{code}")
    assert gate.status_code == 302 and "/consent" in gate.headers["Location"], gate.headers.get("Location")
    consent = client.post(gate.headers["Location"], data={"csrf_token": csrf_token(client), "basis": basis,
                                                          "agree": "yes"})
    assert consent.status_code == 302 and "/identify" in consent.headers["Location"]
    done = client.post(consent.headers["Location"], data={"csrf_token": csrf_token(client), "name": name,
                                                          "klass": klass, "contact": contact})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/s/{code}")
    return done


def extra_users(world):
    world.users["counsellor_b"] = create_user("counsellor_b", PASSWORD, "counsellor", world.school_b)
    world.users["auditor"] = create_user("auditor", PASSWORD, "auditor", world.dept)
    db.session.commit()
    return world
