"""Grouped figures for modules, already suppressed: the only way a module reads aggregates.

A module asks for counts, score means, band counts or answer distributions by a
breakdown (the unit itself, the whole campaign, its schools, grades or classes)
and gets :class:`Figure` objects whose ``value`` is None when the group is hidden,
with the reason and the text to show. The decision is the campaign's release, so
a module shows exactly what the core's own tables show.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from sqlalchemy import and_, func, select

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


_FILTER: ContextVar = ContextVar("surveyapp_report_filter", default=None)


@contextmanager
def filtered(filters) -> Iterator[None]:
    """Every figure read inside honours the dashboard's filter (``reports.ReportFilter``): the core
    builds the modules' sections inside it, so a section cannot show a wider group than the page."""
    token = _FILTER.set(filters)
    try:
        yield
    finally:
        _FILTER.reset(token)


def active_level() -> str | None:
    filters = _FILTER.get()
    return filters.level if filters is not None else None


def in_unit(org: OrgUnit):
    return Response.school_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(org.path)))


def _in_level(level: str):
    return Response.school_id.in_(select(OrgUnit.id).where(OrgUnit.kind == "school", OrgUnit.levels.contains(level)))


def _both(where, level: str | None):
    if level is None:
        return where
    return _in_level(level) if where is None else and_(where, _in_level(level))


def _campaign_cell(campaign, level: str | None) -> tuple:
    """The published group the campaign's responses under a level filter are (its one root's level row)."""
    roots = list(campaign.scope)
    if level is None or len(roots) != 1:
        return CAMPAIGN
    return org_cell(roots[0].id, None if roots[0].kind == "school" else level)


def _grouping(campaign, org: OrgUnit, by: str | None) -> tuple[Any, Any, Callable[[Any], tuple]]:
    """(GROUP BY column, row filter, group key -> release cell) of a breakdown, under the active filter."""
    if by not in BREAKDOWNS:
        raise ValueError(f"unknown breakdown {by!r}; one of {BREAKDOWNS}")
    level = active_level()
    if by == "campaign":
        cell = _campaign_cell(campaign, level)
        return Response.campaign_id, _both(None, level), lambda key: cell
    where = _both(in_unit(org), level)
    if by is None:
        own = org_cell(org.id, None if org.kind == "school" else level)
        return Response.campaign_id, where, lambda key: own
    if by == "school":
        return Response.school_id, where, org_cell
    if by == "grade":
        return Response.grade, where, lambda key: grade_cell(org.id, key)
    return Response.class_group_id, where, class_cell


def _filtered_counts(campaign, org, by) -> dict[Any, int]:
    column, where, _cell = _grouping(campaign, org, by)
    query = select(column, func.count(Response.id)).where(_submitted(campaign.id), where)
    return dict(db.session.execute(query.group_by(column)).all())


def _cell(release, cell: tuple, n: int) -> tuple:
    """A filtered group is a part of its cell; with the same count it is the same responses (the same
    figure). Otherwise it is a group the release never saw, hidden whenever it has responses."""
    if active_level() is None or release.n(cell) == n:
        return cell
    return ("filtered",) + cell


def _wrap(campaign, org, by, raw: dict[Any, tuple[int | None, Any]]) -> dict[Any, Figure]:
    """{key: (n, value)} -> {key: Figure}, hidden as the release says (n None: the release's count of
    the group). Groups with no key are left out: responses with no grade or class are no published group."""
    release = release_for(campaign)
    _column, _where, cell_of = _grouping(campaign, org, by)
    # a filtered group's n is its own count, not its cell's (one more query, only under a filter)
    counted = _filtered_counts(campaign, org, by) if active_level() and any(
        n is None for n, _value in raw.values()) else {}
    found = {}
    for key, (n, value) in raw.items():
        if key is None and by not in (None, "campaign"):
            continue
        if n is None:
            n = counted.get(key, 0) if active_level() else release.n(cell_of(key))
        reason = release.reason(_cell(release, cell_of(key), n), n)
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
