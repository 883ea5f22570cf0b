"""Shared set-up for the school_dialogue tests: a dialogue campaign and quick responses."""
from __future__ import annotations

import random

from sqlalchemy import insert

import campaign_helpers
from campaign_helpers import code_for  # noqa: F401  (the module tests import it from here)
from surveyapp import get_registry
from surveyapp.demo import random_answers
from surveyapp.extensions import db
from surveyapp.models import RESPONSE_SUBMITTED, Response, today
from surveyapp.scoring import score
from surveyapp.storage import response_values, result_values

QID = "school_dialogue.dialogue"


def definition():
    return get_registry().questionnaires[QID]


def open_campaign(world, scope=None, **kwargs):
    return campaign_helpers.open_campaign(world, QID, name="Đối thoại", scope=scope, **kwargs)


def calm_answers() -> dict:
    """Valid web-form answers: agree everywhere, no bullying (so follow-ups stay hidden)."""
    answers = {}
    for item_id, info in definition().items.items():
        if info.item.type == "likert":
            answers[item_id] = "4"
        elif info.item.type == "single_choice":
            answers[item_id] = str(info.options[0].value)
        elif info.item.type == "multi_choice" and info.item.required:
            answers[item_id] = [str(info.options[-1].value)]
    return answers


def add_responses(campaign, school, class_group, n, seed=1, texts=None):
    """Insert ``n`` scored responses straight into the table (fast set-up for reports)."""
    rng = random.Random(seed)
    d = definition()
    rows = []
    for index in range(n):
        answers = random_answers(d, rng)
        if texts:
            answers["suggest_safety"] = texts[index % len(texts)]
        result = score(d, answers, methods=get_registry().scoring_methods)
        rows.append({"campaign_id": campaign.id, "qversion_id": campaign.qversion_id, "school_id": school.id,
                     "class_group_id": class_group.id if class_group else None,
                     "grade": class_group.grade if class_group else None, "status": RESPONSE_SUBMITTED,
                     "submitted_on": today(), **response_values(d, answers), **result_values(result)})
    db.session.execute(insert(Response), rows)
    db.session.commit()
