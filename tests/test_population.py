"""A campaign's population (school levels and grades) comes from its questionnaire, narrowed by the
campaign; participation, laggards, expected counts and access codes use it."""
from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from campaign_helpers import open_campaign
from surveyapp import get_registry
from surveyapp.campaigns import CampaignError, create_campaign, schools_in
from surveyapp.extensions import db
from surveyapp.models import AccessCode, ClassGroup
from surveyapp.orgs import add_unit
from surveyapp.questionnaire.schema import Population
from surveyapp.reports import build_dashboard, participation

DIALOGUE = "school_dialogue.dialogue"   # applies to THCS, THPT, GDTX, grades 6-12
PRESCHOOL_SET = "safe_school.tt45_2021"  # applies to preschools only


@pytest.fixture
def mixed(world):
    """Beside world's two THCS: a primary school and a preschool with classes on record."""
    primary = add_unit(code="TH", name="Tiểu học Hoa", kind="school", parent=world.ward, levels=["tieu_hoc"])
    preschool = add_unit(code="MN", name="Mầm non Sen", kind="school", parent=world.ward, levels=["mam_non"])
    db.session.add_all([ClassGroup(school_id=primary.id, grade=g, name=f"{g}A", size=35) for g in (1, 2, 3)])
    db.session.commit()
    return world, primary, preschool


def test_a_thcs_questionnaire_expects_no_primary_school(mixed):
    world, primary, preschool = mixed
    campaign = open_campaign(world, DIALOGUE)
    assert campaign.level_list == ["thcs", "thpt", "gdtx"] and campaign.grade_list == list(range(6, 13))
    assert {s.code for s in schools_in(campaign)} == {"A", "B"}
    rows = participation(campaign, [world.dept])
    assert {row["school"].code for row in rows} == {"A", "B"}
    assert sum(row["expected"] for row in rows) == 30 + 4 + 25   # class sizes of grades 6-7 only
    codes = db.session.execute(select(AccessCode.school_id).filter_by(campaign_id=campaign.id)).scalars().all()
    assert primary.id not in codes and preschool.id not in codes
    board = build_dashboard(campaign, get_registry().questionnaires[DIALOGUE], world.dept)
    assert board.total.schools == 2 and board.total.expected == 59


def test_a_preschool_set_expects_only_preschools(mixed):
    world, primary, preschool = mixed
    campaign = open_campaign(world, PRESCHOOL_SET)
    assert [s.code for s in schools_in(campaign)] == ["MN"]
    assert [row["school"].code for row in participation(campaign, [world.dept])] == ["MN"]


def test_a_campaign_narrows_but_never_widens_the_population(mixed):
    world, _primary, _preschool = mixed
    definition = get_registry().questionnaires[DIALOGUE]
    narrowed = create_campaign(name="Chỉ THPT", definition=definition, owner=world.dept, scope=[world.dept],
                               user_id=None, levels=["thpt"], grades=[10, 11])
    assert narrowed.level_list == ["thpt"] and narrowed.grade_list == [10, 11]
    assert schools_in(narrowed) == []
    with pytest.raises(CampaignError):
        create_campaign(name="Tiểu học", definition=definition, owner=world.dept, scope=[world.dept],
                        user_id=None, levels=["tieu_hoc"])
    with pytest.raises(CampaignError):
        create_campaign(name="Lớp 1", definition=definition, owner=world.dept, scope=[world.dept],
                        user_id=None, grades=[1, 6])


def test_a_population_names_known_levels_and_real_grades():
    assert Population(levels=["thcs"], grades=[9, 6, 6]).grades == [6, 9]
    with pytest.raises(ValidationError, match="levels"):
        Population(levels=["dai_hoc"])
    with pytest.raises(ValidationError, match="grades"):
        Population(grades=[13])
