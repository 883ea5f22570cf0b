"""Shared set-up for the school_dialogue tests: a dialogue campaign and quick responses."""
from __future__ import annotations

import random

from sqlalchemy import insert, select

from surveyapp import get_registry
from surveyapp.campaigns import create_campaign, set_status
from surveyapp.demo import random_answers
from surveyapp.extensions import db
from surveyapp.models import RESPONSE_SUBMITTED, AccessCode, Response, today
from surveyapp.scoring import score
from surveyapp.storage import response_values, result_values

QID = "school_dialogue.dialogue"


def definition():
    return get_registry().questionnaires[QID]


def open_campaign(world, scope=None, **kwargs):
    campaign = create_campaign(name="Đối thoại", definition=definition(), owner=world.dept,
                               scope=scope or [world.dept], user_id=None, **kwargs)
    set_status(campaign, "open")
    db.session.commit()
    return campaign


def code_for(campaign, class_group) -> str:
    return db.session.execute(select(AccessCode.code).filter_by(campaign_id=campaign.id,
                                                                class_group_id=class_group.id)).scalar_one()


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
