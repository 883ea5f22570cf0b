"""Counts of counselling requests and cases for admins: numbers only, never content.

Small counts are suppressed as in every report: a "1" for one school, month and
topic could point at one student.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import extract, func, select

from surveyapp import privacy
from surveyapp.extensions import db
from surveyapp.models import OrgUnit
from surveyapp.reports import min_group_size

from .models import Case

DIMENSIONS = ("month", "topic", "status", "source")


def _column(dimension: str):
    if dimension == "month":
        return (extract("year", Case.created_on) * 100 + extract("month", Case.created_on))
    return getattr(Case, dimension)


def case_counts(org: OrgUnit, dimension: str) -> list[tuple[Any, Any, Any]]:
    """[(key, count or None when hidden, why hidden)] for the schools under ``org``: the core's
    ``privacy.protect_counts`` (small counts and their complements, ties broken by key)."""
    column = _column(dimension).label("key")
    rows = db.session.execute(
        select(column, func.count(Case.id)).join(OrgUnit, Case.school_id == OrgUnit.id)
        .where(OrgUnit.path.startswith(org.path)).group_by(column).order_by(column)).all()
    counts = {_key(dimension, key): n for key, n in rows}
    decision = privacy.protect_counts(counts, min_group_size())
    return [(key, None if decision.reason(key) else n, decision.reason(key)) for key, n in counts.items()]


def _key(dimension: str, key: Any) -> Any:
    if dimension == "month" and key is not None:
        key = int(key)
        return f"{key // 100:04d}-{key % 100:02d}"
    return key


def total_cases(org: OrgUnit) -> int:
    return db.session.execute(select(func.count(Case.id)).join(OrgUnit, Case.school_id == OrgUnit.id)
                              .where(OrgUnit.path.startswith(org.path))).scalar_one()
