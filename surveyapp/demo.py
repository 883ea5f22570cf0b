"""A realistic, seeded demo: a city department, wards, ~40 schools, users, campaigns, responses.

The core knows no module by name: it opens one campaign per registered module
(its ``default_questionnaire``) and fills it with synthetic answers generated
from the questionnaire itself.
"""
from __future__ import annotations

import random
from typing import Any

from sqlalchemy import insert, select

from . import get_registry
from .accounts import create_user
from .campaigns import create_campaign, generate_access_codes, set_status
from .extensions import db
from .models import RESPONSE_SUBMITTED, ClassGroup, OrgUnit, Response, today
from .orgs import add_unit
from .questionnaire import AnswerError, Definition, check_answers
from .questionnaire.schema import TEXT_TYPES
from .respondent_kinds import kind_of
from .scoring import ScoringError, score
from .storage import response_values, result_values

DEMO_PASSWORD = "surveyapp-demo"
# Campaigns the demo made carry this setting, so `demo --scale` adds synthetic answers to them only.
DEMO_SETTING = "demo"
WARDS = ["Hồng Bàng", "Lê Chân", "Ngô Quyền", "Hải An", "Kiến An", "Đồ Sơn", "Dương Kinh", "Thủy Nguyên",
         "An Dương", "Tiên Lãng"]
LEVEL_GRADES = {"mam_non": [], "tieu_hoc": [1, 2, 3, 4, 5], "thcs": [6, 7, 8, 9], "thpt": [10, 11, 12],
                "gdtx": [10, 11, 12]}
SCHOOL_NAMES = {"mam_non": "Trường Mầm non", "tieu_hoc": "Trường Tiểu học", "thcs": "Trường THCS",
                "thpt": "Trường THPT", "gdtx": "Trung tâm GDNN-GDTX"}
USERS = [("admin", "admin", "SGD", "Quản trị Sở"), ("viewer", "viewer", "SGD", "Chuyên viên Sở"),
         ("auditor", "auditor", "SGD", "Thanh tra"), ("ward_admin", "admin", "P01", "Phòng VH-XH Hồng Bàng"),
         ("school_admin", "admin", "P01-THCS", "Hiệu trưởng THCS Hồng Bàng"),
         ("counsellor", "counsellor", "P01-THCS", "Tư vấn viên THCS Hồng Bàng")]


def load_demo(seed: int = 2024, responses_per_class: int = 12) -> dict[str, Any]:
    """Create the demo in an empty database; returns what was made (for the CLI to print)."""
    if db.session.execute(select(OrgUnit.id).limit(1)).first():
        raise RuntimeError("the database already holds organisation units; the demo needs an empty one")
    rng = random.Random(seed)
    department = add_unit(code="SGD", name="Sở Giáo dục và Đào tạo Hải Phòng", kind="department", parent=None,
                          contact={"phone": "0225 3842 325"})
    schools = _schools(department, rng)
    users = [(name, role, code) for name, role, code, full in USERS
             if _with_address(create_user(name, DEMO_PASSWORD, role, _org(code), full))]
    campaigns = _campaigns(department, schools, rng, responses_per_class)
    get_registry().hook.demo_loaded(department=department, schools=schools, campaigns=campaigns, rng=rng)
    made = _mark_demo_campaigns()  # the modules' own demo campaigns included
    db.session.commit()
    return {"units": 1 + len(WARDS), "schools": len(schools), "users": users, "password": DEMO_PASSWORD,
            "campaigns": [(c.id, c.name) for c in made]}


def _mark_demo_campaigns() -> list:
    """Mark every campaign in the (previously empty) database as the demo's own."""
    from .models import Campaign
    campaigns = db.session.execute(select(Campaign).order_by(Campaign.id)).scalars().all()
    for campaign in campaigns:
        campaign.settings = {**(campaign.settings or {}), DEMO_SETTING: True}
    db.session.flush()
    return campaigns


def demo_campaign_ids() -> list[int]:
    """Ids of the campaigns the demo made (empty when the database holds no demo)."""
    from .models import Campaign
    rows = db.session.execute(select(Campaign.id, Campaign.settings).order_by(Campaign.id)).all()
    return [campaign_id for campaign_id, settings in rows if (settings or {}).get(DEMO_SETTING)]


def _with_address(user):
    """Demo accounts have addresses, so their notifications show in the mail sink."""
    user.email = f"{user.username}@demo.truonghoc.example"
    return user


def _org(code: str) -> OrgUnit:
    return db.session.execute(select(OrgUnit).filter_by(code=code)).scalar_one()


def _schools(department: OrgUnit, rng: random.Random) -> list[OrgUnit]:
    schools = []
    for index, ward in enumerate(WARDS, start=1):
        unit = add_unit(code=f"P{index:02d}", name=f"Phường {ward}", kind="unit", parent=department)
        for level in ("mam_non", "tieu_hoc", "thcs"):
            schools.append(_school(unit, f"P{index:02d}-{level.upper().replace('_', '')[:4]}"
                                   if level != "thcs" else f"P{index:02d}-THCS", level, ward, unit, rng))
    for index, ward in enumerate(WARDS[:8], start=1):
        level = "gdtx" if index > 6 else "thpt"
        school = _school(department, f"SGD-{level.upper()}{index:02d}", level, ward, department, rng)
        schools.append(school)
    return schools


def _school(parent: OrgUnit, code: str, level: str, ward: str, reviewer: OrgUnit, rng: random.Random) -> OrgUnit:
    facility = "truong_mam_non" if level == "mam_non" else None
    school = add_unit(code=code, name=f"{SCHOOL_NAMES[level]} {ward}", kind="school", parent=parent,
                      levels=[level], facility_type=facility,
                      contact={"phone": f"0225 {rng.randint(3000000, 3999999)}",
                               "counsellor": "Cô Nguyễn Thị Lan (tư vấn học đường)"})
    school.reviewer = reviewer
    total = 0
    for grade in LEVEL_GRADES[level]:
        for letter in "AB":
            size = rng.randint(28, 40)
            total += size
            db.session.add(ClassGroup(school_id=school.id, grade=grade, name=f"{grade}{letter}", size=size))
    school.enrolment = total or rng.randint(150, 300)
    return school


def _campaigns(department: OrgUnit, schools: list[OrgUnit], rng: random.Random, per_class: int) -> list:
    registry = get_registry()
    campaigns = []
    for module in registry.modules.values():
        definition = registry.questionnaires.get(module.default_questionnaire or "")
        if definition is None:
            continue
        scope = [department]
        campaign = create_campaign(name=f"{module.label('vi')} — năm học 2025-2026", definition=definition,
                                   owner=department, scope=scope, user_id=None)
        set_status(campaign, "open")
        generate_access_codes(campaign)
        _synthetic_responses(campaign, definition, schools, rng, per_class)
        campaigns.append(campaign)
    return campaigns


def random_answers(definition: Definition, rng: random.Random, lean: float = 0.6) -> dict[str, Any]:
    """Valid random answers; ``lean`` skews choices towards the top of each scale."""
    raw: dict[str, Any] = {}
    for item_id, info in definition.items.items():
        item = info.item
        if item.type in TEXT_TYPES:
            if not item.required and rng.random() < 0.8:
                continue
            raw[item_id] = rng.choice(["Em muốn có thêm sân chơi.", "Cần thêm ghế đá.", "Em thích trường."])
        elif item.type == "number":
            low, high = definition.value_range(item_id)
            raw[item_id] = rng.randint(max(low, 0), min(high, 50))
        elif item.type == "multi_choice":
            raw[item_id] = [o.value for o in info.options if rng.random() < 0.3]
        else:
            values = [o.value for o in info.options]
            weights = [(1 + lean) ** i for i in range(len(values))]
            raw[item_id] = rng.choices(values, weights=weights)[0]
    try:
        return check_answers(definition, raw)
    except AnswerError:
        return check_answers(definition, {k: v for k, v in raw.items() if v not in (None, [])}, partial=True)


def _synthetic_responses(campaign, definition: Definition, schools: list[OrgUnit], rng: random.Random,
                         per_class: int) -> int:
    registry = get_registry()
    rows = []
    for school in (s for s in schools if campaign.takes_part(s)):
        classes = db.session.execute(select(ClassGroup).filter_by(school_id=school.id)).scalars().all()
        if not kind_of(definition.model.respondent).takes_codes:  # one self-assessment per school
            targets = [(None, None, 1)]
        else:
            targets = [(c.id, c.grade, per_class if c.name.endswith("A") else rng.randint(2, per_class))
                       for c in classes if not campaign.grade_list or c.grade in campaign.grade_list]
        for class_id, grade, count in targets:
            for _ in range(count):
                answers = random_answers(definition, rng)
                try:
                    result = score(definition, answers, methods=registry.scoring_methods,
                                   context={"facility_type": school.facility_type})
                except ScoringError:
                    continue
                rows.append({"campaign_id": campaign.id, "qversion_id": campaign.qversion_id,
                             "school_id": school.id, "class_group_id": class_id, "grade": grade,
                             "status": RESPONSE_SUBMITTED, "submitted_on": today(),
                             **response_values(definition, answers), **result_values(result)})
    if rows:
        db.session.execute(insert(Response), rows)
    return len(rows)


def scale_demo(campaign_ids: list[int], per_campaign: int, seed: int = 2024) -> list[tuple[int, Any]]:
    """Add ``per_campaign`` generated responses to each student campaign (``surveyapp demo --scale N``),
    with bulk inserts (COPY / executemany); returns (campaign id, BulkResult) pairs."""
    from .bulk import generate
    from .models import Campaign
    from .storage import definition_for
    made = []
    for campaign_id in campaign_ids:
        campaign = db.session.get(Campaign, campaign_id)
        if not kind_of(definition_for(campaign.qversion).model.respondent).takes_codes:
            continue
        made.append((campaign_id, generate(campaign, per_campaign, seed=seed + campaign_id)))
    return made
