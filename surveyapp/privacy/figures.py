"""Grouped figures for modules, already suppressed: the only way a module reads aggregates.

A module asks for counts, score means, band counts or answer distributions by a
breakdown (the unit itself, the whole campaign, its schools, grades or classes)
and gets :class:`Figure` objects whose ``value`` is None when the group is hidden,
with the reason and the text to show. The decision is the campaign's release, so
a module shows exactly what the core's own tables show.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import func, select

from ..extensions import db
from ..models import OrgUnit, Response
from .cells import CAMPAIGN, class_cell, grade_cell, org_cell
from .items import hide_items
from .labels import reason_text
from .release import release_for

BREAKDOWNS = (None, "campaign", "school", "grade", "class")


@dataclass
class Figure:
    """One group's figure. ``n`` (responses) is always shown; ``value`` only when the group is published."""

    key: Any
    n: int
    value: Any = None
    reason: str | None = None   # privacy.SMALL, privacy.COMPLEMENTARY or None
    k: int = 0

    @property
    def hidden(self) -> bool:
        return self.reason is not None

    @property
    def mark(self) -> str | None:
        """The text shown instead of the figure (None when it is shown)."""
        return reason_text(self.reason, self.k) if self.hidden else None


def in_unit(org: OrgUnit):
    return Response.school_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(org.path)))


def _grouping(campaign, org: OrgUnit, by: str | None) -> tuple[Any, Any, Callable[[Any], tuple]]:
    """(GROUP BY column, row filter, group key -> release cell) of a breakdown."""
    if by not in BREAKDOWNS:
        raise ValueError(f"unknown breakdown {by!r}; one of {BREAKDOWNS}")
    if by == "campaign":
        return Response.campaign_id, None, lambda key: CAMPAIGN
    where = in_unit(org)
    if by is None:
        return Response.campaign_id, where, lambda key: org_cell(org.id)
    if by == "school":
        return Response.school_id, where, org_cell
    if by == "grade":
        return Response.grade, where, lambda key: grade_cell(org.id, key)
    return Response.class_group_id, where, class_cell


def _wrap(campaign, org, by, raw: dict[Any, tuple[int | None, Any]]) -> dict[Any, Figure]:
    """{key: (n, value)} -> {key: Figure}, hidden as the release says (n None: the release's count of
    the group). Groups with no key are left out: responses with no grade or class are no published group."""
    release = release_for(campaign)
    _column, _where, cell_of = _grouping(campaign, org, by)
    found = {}
    for key, (n, value) in raw.items():
        if key is None and by not in (None, "campaign"):
            continue
        n = release.n(cell_of(key)) if n is None else n
        reason = release.reason(cell_of(key), n)
        found[campaign.id if by in (None, "campaign") else key] = Figure(
            key, n, None if reason else value, reason, release.k)
    return found


def _single(found: dict, campaign) -> Figure:
    return found.get(campaign.id) or Figure(campaign.id, 0, None, None, release_for(campaign).k)


def counts(campaign, org: OrgUnit, by: str | None = "school") -> dict[Any, Figure]:
    """Responses per group; ``value`` is the count when the group's results are published."""
    column, where, _cell = _grouping(campaign, org, by)
    query = select(column, func.count(Response.id)).where(_submitted(campaign.id))
    if where is not None:
        query = query.where(where)
    rows = db.session.execute(query.group_by(column)).all()
    return _wrap(campaign, org, by, {key: (n, n) for key, n in rows})


def score_means(campaign, definition, org: OrgUnit, by: str | None, scales: list[str]) -> dict[Any, Figure]:
    """Mean of each scale (the primary score or a subscale) per group: value {scale: mean}."""
    primary = definition.model.scoring.primary if definition.model.scoring else None
    column, where, _cell = _grouping(campaign, org, by)
    averages = [func.avg(Response.total if s == primary else Response.scores[s]["score"].as_float()) for s in scales]
    query = select(column, func.count(Response.id), *averages).where(_submitted(campaign.id))
    if where is not None:
        query = query.where(where)
    raw = {}
    for row in db.session.execute(query.group_by(column)).all():
        raw[row[0]] = (row[1], {s: (float(v) if v is not None else None) for s, v in zip(scales, row[2:])})
    return _wrap(campaign, org, by, raw)


def distributions(campaign, definition, org: OrgUnit, by: str | None = None) -> dict[Any, Figure]:
    """Answer counts of every choice item per group: value {item id: reports.Distribution}."""
    from ..reports import _distributions
    column, where, cell_of = _grouping(campaign, org, by)
    per_group = _distributions(campaign.id, definition, group_column=column, where=where)
    raw = {key: (None, items) for key, items in per_group.items()}
    found = _wrap(campaign, org, by, raw)
    for figure in found.values():  # a published group can still hold too few answers to one item
        if figure.value:
            hide_items(campaign, definition, cell_of(figure.key), figure.value)
    return found


def band_counts(campaign, org: OrgUnit, by: str | None = "school", scale: str | None = None) -> dict[Any, Figure]:
    """Responses per band of the primary scale (or of subscale ``scale``): value {band id: count}."""
    from ..reports import _band_counts
    column, where, _cell = _grouping(campaign, org, by)
    per_group = _band_counts(campaign.id, column, scale=scale, where=where)
    raw = {key: (None, bands) for key, bands in per_group.items()}
    return _wrap(campaign, org, by, raw)


def single(found: dict[Any, Figure], campaign) -> Figure:
    """The one figure of a ``by=None`` or ``by="campaign"`` breakdown."""
    return _single(found, campaign)


def _submitted(campaign_id: int):
    from ..reports import submitted
    return submitted(campaign_id)
