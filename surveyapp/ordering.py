"""The order an official expects: units as in the organisation tree, siblings by code read as a
person reads it (P2 before P10), grades as numbers (2 before 10).

A unit's ``path`` is made of row ids, so sorting by it lists units in the order they were
created, not by code; these keys never look at the ids."""
from __future__ import annotations

import re
from typing import Any, Iterable

from sqlalchemy import select

from .extensions import db
from .models import OrgUnit

_DIGITS = re.compile(r"(\d+)")


def natural_key(text: Any) -> tuple:
    """"P2" < "P10", "10A" after "9B": digit runs compare as numbers."""
    parts = _DIGITS.split(str(text or ""))
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.casefold()) for part in parts if part)


def _path_ids(org: OrgUnit) -> list[int]:
    return [int(part) for part in (org.path or "").strip("/").split("/") if part]


def tree_order(orgs: Iterable[OrgUnit]) -> list[OrgUnit]:
    """Depth first, a unit before what it holds, siblings by code (one query for ancestors not given)."""
    orgs = list(orgs)
    codes = {org.id: org.code for org in orgs}
    missing = {i for org in orgs for i in _path_ids(org)} - set(codes)
    if missing:
        codes.update(db.session.execute(select(OrgUnit.id, OrgUnit.code).where(OrgUnit.id.in_(missing))).all())
    return sorted(orgs, key=lambda org: [natural_key(codes.get(i, "")) for i in _path_ids(org)])


def grade_key(grade: Any) -> tuple:
    """Grades as numbers; anything that is not one (a label, None) after them, as text."""
    try:
        return (0, int(grade), "")
    except (TypeError, ValueError):
        return (1, 0, str(grade or ""))
