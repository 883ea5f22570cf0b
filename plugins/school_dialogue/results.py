"""Figures for the school-dialogue report and workbook, read through the core's privacy layer.

Every grouped figure comes from ``surveyapp.privacy`` already suppressed, with the
same hidden groups as the core's own tables. Only the shared core items are
compared (the schools' own questions live in ``notes`` and are never aggregated
across schools).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from surveyapp import privacy
from surveyapp.campaigns import campaign_classes
from surveyapp.extensions import db
from surveyapp.models import ClassGroup, OrgUnit

SKIP_SCALES = ("bullying_kinds",)
BULLYING_ITEMS = ("bully_physical", "bully_verbal", "bully_exclusion", "bully_online", "witnessed")


def mean_scales(definition) -> list[tuple[str, Any]]:
    """(scale id, label) of the mean scales: the overall score and one per section."""
    scoring = definition.model.scoring
    if scoring is None:
        return []
    return [(s.id, s.label) for s in scoring.scales if s.method == "mean" and s.id not in SKIP_SCALES]


def scale_means(campaign, definition, org: OrgUnit, by: str | None) -> dict[Any, privacy.Figure]:
    """{group: Figure(value={scale: mean})}: the core's figures, hidden groups without values."""
    scales = [sid for sid, _label in mean_scales(definition)]
    return privacy.score_means(campaign, definition, org, by, scales)


def class_participation(campaign, school: OrgUnit, per_class: dict | None = None) -> list[dict[str, Any]]:
    """Responses vs class size per class taking part; hidden classes as the core hides them.
    ``per_class``: privacy.counts(..., by="class") of a wider unit, to read many schools in one query."""
    classes = campaign_classes(campaign, school)
    per_class = privacy.counts(campaign, school, "class") if per_class is None else per_class
    rows = []
    for c in classes:
        figure = per_class.get(c.id) or privacy.Figure(c.id, 0)
        rows.append({"class": c, "responses": figure.value, "size": c.size,
                     "rate": None if figure.hidden or not c.size else figure.n / c.size,
                     "hidden": figure.hidden, "reason": figure.reason, "mark": figure.mark})
    return rows


def class_names(school: OrgUnit) -> dict[int, str]:
    return dict(db.session.execute(select(ClassGroup.id, ClassGroup.name).filter_by(school_id=school.id)).all())


def bullying_shares(campaign, definition, org: OrgUnit) -> tuple[privacy.Figure, dict[str, tuple[int, Any]]]:
    """Share of respondents who answered more than 'never' for each bullying/witness item, from the
    core's answer distributions of ``org`` (None when the group is hidden)."""
    figure = privacy.single(privacy.distributions(campaign, definition, org), campaign)
    found = {}
    for item_id in BULLYING_ITEMS:
        if item_id not in definition.items:
            continue
        dist = (figure.value or {}).get(item_id)
        if dist is None or dist.reason:  # hidden: too few answers to this item here
            found[item_id] = (dist.n if dist else 0, None)
            continue
        yes = sum(count for value, count in dist.counts.items() if value > 0)
        found[item_id] = (dist.n, yes / dist.n if dist.n else None)
    return figure, found


def text_items(definition) -> list[str]:
    return [i for i, info in definition.items.items() if info.slot is None]

