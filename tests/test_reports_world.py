"""A campaign with known responses for the report and export tests (and checks of the world itself).

Tree: SGD -> P01 -> {A (classes 6A:8, 7A:4, 8A:6 responses), C (10, no classes)}
          -> P02 -> {B (6A: 3 responses), E (gdtx, 7)}
          -> D (thpt, directly under the department, no responses)
"""
from __future__ import annotations

import random

import pytest
from sqlalchemy import func, insert, select

from conftest import World
from surveyapp import get_registry
from surveyapp.campaigns import create_campaign, set_status
from surveyapp.demo import random_answers
from surveyapp.extensions import db
from surveyapp.models import RESPONSE_SUBMITTED, ClassGroup, Response, today
from surveyapp.orgs import add_unit
from surveyapp.scoring import score
from surveyapp.storage import response_values, result_values

QID = "school_dialogue.dialogue"
INJECTIONS = ['=HYPERLINK("http://x","y")', "+cmd", "-1+1", "@SUM(1)"]


def add_responses(campaign, definition, school, count, rng, class_group=None, texts=None):
    rows = []
    for index in range(count):
        answers = random_answers(definition, rng)
        for item_id, text in (texts or {}).items():
            answers[item_id] = text[index % len(text)] if isinstance(text, list) else text
        result = score(definition, answers, methods=get_registry().scoring_methods)
        rows.append({"campaign_id": campaign.id, "qversion_id": campaign.qversion_id, "school_id": school.id,
                     "class_group_id": class_group.id if class_group else None,
                     "grade": class_group.grade if class_group else None, "status": RESPONSE_SUBMITTED,
                     "submitted_on": today(), **response_values(definition, answers), **result_values(result)})
    if rows:
        db.session.execute(insert(Response), rows)


class ReportWorld(World):
    def __init__(self, seed: int = 7):
        super().__init__()
        rng = random.Random(seed)
        self.definition = get_registry().questionnaires[QID]
        self.school_c = add_unit(code="C", name="THCS C", kind="school", parent=self.ward, levels=["thcs"])
        self.school_e = add_unit(code="E", name="GDTX Ê", kind="school", parent=self.ward2,
                                 levels=["gdtx"])
        self.school_d = add_unit(code="D", name="THPT Đ", kind="school", parent=self.dept, levels=["thpt"])
        self.school_c.enrolment, self.school_e.enrolment, self.school_d.enrolment = 100, 50, 200
        self.class_a8 = ClassGroup(school_id=self.school_a.id, grade=8, name="8A", size=10)
        db.session.add(self.class_a8)
        self.campaign = self.new_campaign("Đối thoại học kỳ II")
        text_item = "suggest_safety"
        add_responses(self.campaign, self.definition, self.school_a, 8, rng, self.class_a6,
                      texts={text_item: INJECTIONS})
        add_responses(self.campaign, self.definition, self.school_a, 4, rng, self.class_a7)
        add_responses(self.campaign, self.definition, self.school_a, 6, rng, self.class_a8)
        add_responses(self.campaign, self.definition, self.school_c, 10, rng)
        add_responses(self.campaign, self.definition, self.school_b, 3, rng, self.class_b6)
        add_responses(self.campaign, self.definition, self.school_e, 7, rng)
        db.session.commit()

    def new_campaign(self, name: str):
        campaign = create_campaign(name=name, definition=self.definition, owner=self.dept, scope=[self.dept],
                                   user_id=None)
        set_status(campaign, "open")
        db.session.commit()
        return campaign


@pytest.fixture
def rworld(ctx):
    return ReportWorld()


def sql_figures(campaign_id: int, school_ids: list[int]) -> tuple[int, float | None]:
    """Count and mean total straight from SQL, to compare reports and workbooks against."""
    n, mean = db.session.execute(
        select(func.count(Response.id), func.avg(Response.total))
        .where(Response.campaign_id == campaign_id, Response.status == RESPONSE_SUBMITTED,
               Response.school_id.in_(school_ids))).one()
    return n, (float(mean) if mean is not None else None)


def test_world_has_the_responses_it_claims(rworld):
    assert sql_figures(rworld.campaign.id, [rworld.school_a.id]) [0] == 18
    assert sql_figures(rworld.campaign.id, [rworld.school_b.id, rworld.school_e.id])[0] == 10
    texts = db.session.execute(select(Response.texts).where(Response.school_id == rworld.school_a.id)).scalars()
    assert {t.get("suggest_safety") for t in texts} >= set(INJECTIONS)
