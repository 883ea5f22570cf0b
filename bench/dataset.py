"""The bench city: a department, wards, schools with four classes each, campaigns of the bench survey."""
from __future__ import annotations

import random
import time

from sqlalchemy import select

from surveyapp import bulk, get_registry
from surveyapp.campaigns import create_campaign, generate_access_codes, set_status
from surveyapp.extensions import db
from surveyapp.models import ClassGroup, OrgUnit
from surveyapp.orgs import add_unit

GRADES = (6, 7, 8, 9)


def build_city(schools: int, units: int, seed: int = 7) -> OrgUnit:
    """Department -> ``units`` wards -> ``schools`` THCS schools (4 classes each). Returns the department."""
    existing = db.session.execute(select(OrgUnit).filter_by(code="SGD")).scalar_one_or_none()
    if existing:
        return existing
    rng = random.Random(seed)
    dept = add_unit(code="SGD", name="Sở Giáo dục và Đào tạo (bench)", kind="department", parent=None)
    wards = [add_unit(code=f"P{i:03d}", name=f"Phường {i}", kind="unit", parent=dept) for i in range(1, units + 1)]
    for i in range(schools):
        ward = wards[i % units]
        school = add_unit(code=f"S{i:04d}", name=f"Trường THCS số {i}", kind="school", parent=ward,
                          levels=["thcs"])
        for grade in GRADES:
            db.session.add(ClassGroup(school_id=school.id, grade=grade, name=f"{grade}A", size=rng.randint(90, 160)))
    db.session.commit()
    return dept


def open_campaign(dept: OrgUnit, qid: str = "bench.survey30", name: str = "bench"):
    definition = get_registry().questionnaires[qid]
    campaign = create_campaign(name=name, definition=definition, owner=dept, scope=[dept], user_id=None)
    set_status(campaign, "open")
    db.session.commit()
    return campaign


def campaign_with(dept: OrgUnit, n: int, qid: str = "bench.survey30", seed: int = 1) -> tuple[object, dict]:
    """A new open campaign holding ``n`` generated responses; returns it and the load figures."""
    campaign = open_campaign(dept, qid, name=f"bench {qid} {n}")
    started = time.perf_counter()
    result = bulk.generate(campaign, n, seed=seed)
    return campaign, {"rows": result.rows, "seconds": round(time.perf_counter() - started, 2),
                      "rows_per_s": round(result.rate)}


def first_codes(campaign, k: int) -> list[str]:
    from surveyapp.models import AccessCode
    return list(db.session.execute(select(AccessCode.code).filter_by(campaign_id=campaign.id)
                                   .order_by(AccessCode.id).limit(k)).scalars())


__all__ = ["build_city", "open_campaign", "campaign_with", "first_codes", "generate_access_codes"]
