"""Aggregates for the school-dialogue report and workbook: SQL GROUP BYs plus suppression.

Only the shared core items are compared (the schools' own questions live in
``notes`` and are never aggregated across schools).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from surveyapp.campaigns import campaign_classes
from surveyapp.extensions import db
from surveyapp.models import ClassGroup, OrgUnit, Response
from surveyapp.reports import count_if, counts_by, min_group_size, submitted, suppressed_keys

SKIP_SCALES = ("bullying_kinds",)
BULLYING_ITEMS = ("bully_physical", "bully_verbal", "bully_exclusion", "bully_online", "witnessed")


def mean_scales(definition) -> list[tuple[str, Any]]:
    """(scale id, label) of the mean scales: the overall score and one per section."""
    scoring = definition.model.scoring
    if scoring is None:
        return []
    return [(s.id, s.label) for s in scoring.scales if s.method == "mean" and s.id not in SKIP_SCALES]


def in_org(org: OrgUnit):
    return Response.school_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(org.path)))


def scale_means(campaign, definition, group_column=None, where=None) -> dict[Any, dict[str, Any]]:
    """{group: {"n": responses, <scale>: mean}} in one scan."""
    scales = [sid for sid, _label in mean_scales(definition)]
    group = group_column if group_column is not None else Response.campaign_id
    primary = definition.model.scoring.primary if definition.model.scoring else None
    columns = [func.avg(Response.total if s == primary else Response.scores[s]["score"].as_float()) for s in scales]
    query = select(group, func.count(Response.id), *columns).where(submitted(campaign.id))
    if where is not None:
        query = query.where(where)
    result = {}
    for row in db.session.execute(query.group_by(group)).all():
        values = {"n": row[1]}
        values.update({s: (float(v) if v is not None else None) for s, v in zip(scales, row[2:])})
        result[row[0]] = values
    return result


def hidden_groups(table: dict[Any, dict[str, Any]]) -> set[Any]:
    return suppressed_keys({key: values["n"] for key, values in table.items()}, min_group_size())


def class_participation(campaign, school: OrgUnit) -> list[dict[str, Any]]:
    """Responses vs class size per class taking part; small classes suppressed (with complement)."""
    classes = campaign_classes(campaign, school)
    counts = counts_by(campaign.id, Response.class_group_id)
    mine = {c.id: counts.get(c.id, 0) for c in classes}
    hidden = suppressed_keys(mine, min_group_size())
    rows = []
    for c in classes:
        n = mine[c.id]
        rows.append({"class": c, "responses": None if c.id in hidden else n, "size": c.size,
                     "rate": None if c.id in hidden or not c.size else n / c.size, "hidden": c.id in hidden})
    return rows


def class_names(school: OrgUnit) -> dict[int, str]:
    return dict(db.session.execute(select(ClassGroup.id, ClassGroup.name).filter_by(school_id=school.id)).all())


def bullying_shares(campaign, definition, where=None) -> dict[str, tuple[int, float | None]]:
    """Share of respondents who answered more than 'never' for each bullying/witness item."""
    slots = {i: definition.items[i].slot for i in BULLYING_ITEMS if i in definition.items}
    columns = []
    for item_id, slot in slots.items():
        column = getattr(Response, f"v{slot}")
        columns += [func.count(column), count_if(column > 0)]
    query = select(*columns).where(submitted(campaign.id))
    if where is not None:
        query = query.where(where)
    row = db.session.execute(query).one()
    result = {}
    for index, item_id in enumerate(slots):
        n, yes = row[2 * index], row[2 * index + 1] or 0
        result[item_id] = (n, (yes / n) if n else None)
    return result


def free_texts(campaign, definition, school: OrgUnit) -> list[tuple[str, str]]:
    """(item id, text) of the school's free-text answers; the caller checks the group size first."""
    items = [i for i, info in definition.items.items() if info.slot is None]
    rows = db.session.execute(select(Response.texts).where(submitted(campaign.id),
                                                           Response.school_id == school.id)).scalars()
    found = []
    for texts in rows:
        for item_id in items:
            value = (texts or {}).get(item_id)
            if value:
                found.append((item_id, value))
    return found


def extra_answers(campaign, school: OrgUnit) -> list[dict[str, Any]]:
    rows = db.session.execute(select(Response.notes).where(submitted(campaign.id),
                                                           Response.school_id == school.id)).scalars()
    return [(notes or {}).get("extra") or {} for notes in rows]
