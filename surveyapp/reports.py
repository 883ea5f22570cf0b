"""Report building blocks: SQL aggregates over response rows, and small-group suppression.

Every figure is a GROUP BY in the database (one scan per query); Python only
shapes the few hundred or thousand result rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from flask import current_app
from sqlalchemy import case, func, select

from .extensions import db
from .models import RESPONSE_SUBMITTED, ClassGroup, OrgUnit, Response, slot_column
from .questionnaire import Definition

SUPPRESSED = None  # a suppressed figure; renderers show a mark, never an empty cell


@dataclass
class ReportSection:
    """A block of a campaign report contributed by a plugin (HTML already escaped/rendered)."""

    title: str
    html: str
    order: int = 100


@dataclass
class Distribution:
    """Counts per option value of one item for one group."""

    item_id: str
    n: int
    counts: dict[int, int] = field(default_factory=dict)
    mean: float | None = None


def min_group_size(free_text: bool = False) -> int:
    key = "MIN_GROUP_SIZE_TEXT" if free_text else "MIN_GROUP_SIZE"
    return int(current_app.config.get(key, 10 if free_text else 5))


def suppressed_keys(counts: dict[Any, int], k: int) -> set[Any]:
    """Groups to hide: those under k, plus complementary ones.

    When exactly one group of a set is hidden, its count could be recovered by
    subtracting the visible ones from the total, so the next-smallest is hidden too."""
    hidden = {key for key, n in counts.items() if 0 < n < k}
    if len(hidden) == 1 and len(counts) > 1:
        visible = sorted((n, str(key), key) for key, n in counts.items() if key not in hidden and n > 0)
        if visible:
            hidden.add(visible[0][2])
    return hidden


def submitted(campaign_id: int):
    return (Response.campaign_id == campaign_id) & (Response.status == RESPONSE_SUBMITTED)


def counts_by(campaign_id: int, column) -> dict[Any, int]:
    rows = db.session.execute(select(column, func.count(Response.id)).where(submitted(campaign_id))
                              .group_by(column)).all()
    return {key: n for key, n in rows}


def expected_by_school(school_ids: Iterable[int], grades: list[int]) -> dict[int, int]:
    """Expected respondents: the class sizes on record (in the campaign's grades), else enrolment."""
    school_ids = list(school_ids)
    if not school_ids:
        return {}
    query = select(ClassGroup.school_id, func.sum(ClassGroup.size)).where(ClassGroup.school_id.in_(school_ids))
    if grades:
        query = query.where(ClassGroup.grade.in_(grades))
    sizes = dict(db.session.execute(query.group_by(ClassGroup.school_id)).all())
    enrolment = dict(db.session.execute(select(OrgUnit.id, OrgUnit.enrolment).where(OrgUnit.id.in_(school_ids))).all())
    return {sid: int(sizes.get(sid) or enrolment.get(sid) or 0) for sid in school_ids}


def participation(campaign, units: list[OrgUnit]) -> list[dict[str, Any]]:
    """Per school in the campaign and the viewer's units: responses vs expected, laggards first."""
    from .campaigns import schools_in
    schools = [s for s in schools_in(campaign) if any(s.path.startswith(u.path) for u in units)]
    counts = counts_by(campaign.id, Response.school_id)
    expected = expected_by_school([s.id for s in schools], campaign.grade_list)
    rows = []
    for school in schools:
        n, exp = counts.get(school.id, 0), expected.get(school.id, 0)
        rows.append({"school": school, "responses": n, "expected": exp,
                     "rate": (n / exp) if exp else None})
    rows.sort(key=lambda r: (r["rate"] if r["rate"] is not None else -1, r["school"].name))
    return rows


def distributions(campaign_id: int, definition: Definition, group_column=None,
                  where=None) -> dict[Any, dict[str, Distribution]]:
    """Option counts for every choice item, per group, in ONE scan of the campaign's rows."""
    columns, labels = [], []
    for item_id, info in definition.items.items():
        if info.slot is None or info.item.type == "number":
            continue
        column = slot_column(info.slot)
        columns.append(func.count(column))
        labels.append((item_id, None))
        for option in info.options:
            if info.item.type == "multi_choice":
                hit = column.op("&")(1 << option.value) != 0
            else:
                hit = column == option.value
            columns.append(func.sum(case((hit, 1), else_=0)))
            labels.append((item_id, option.value))
    if not columns:
        return {}
    group = group_column if group_column is not None else Response.campaign_id
    query = select(group, *columns).where(submitted(campaign_id))
    if where is not None:
        query = query.where(where)
    result: dict[Any, dict[str, Distribution]] = {}
    for row in db.session.execute(query.group_by(group)).all():
        per_item: dict[str, Distribution] = {}
        for (item_id, value), figure in zip(labels, row[1:]):
            if value is None:
                per_item[item_id] = Distribution(item_id, int(figure or 0))
            else:
                per_item[item_id].counts[value] = int(figure or 0)
        for dist in per_item.values():
            info = definition.items[dist.item_id]
            if info.item.type in ("likert", "single_choice", "yes_no") and dist.n:
                dist.mean = sum(v * c for v, c in dist.counts.items()) / dist.n
        result[row[0]] = per_item
    return result


def band_counts(campaign_id: int, group_column=None, scale: str | None = None) -> dict[Any, dict[str, int]]:
    """Responses per band (the primary scale, or a named subscale) per group."""
    band = Response.band if scale is None else Response.scores[scale]["band"].as_string()
    group = group_column if group_column is not None else Response.campaign_id
    rows = db.session.execute(select(group, band, func.count(Response.id)).where(submitted(campaign_id))
                              .group_by(group, band)).all()
    result: dict[Any, dict[str, int]] = {}
    for key, band_id, n in rows:
        result.setdefault(key, {})[band_id or ""] = n
    return result


def percent(part: int | None, whole: int | None) -> float | None:
    return None if not whole or part is None else part / whole
