"""Screening aggregates: the share of students per band, by school and by grade.

Figures come from the core's privacy layer (``surveyapp.privacy.band_counts``): a
hidden group comes back without its counts, with the same decision as the core's
own tables (the campaign's release), and the reason to show.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import select

from surveyapp import privacy
from surveyapp.extensions import db
from surveyapp.models import OrgUnit
from surveyapp.ordering import grade_key, tree_order

COLOURS = ("#2e7d32", "#9ccc65", "#fbc02d", "#f57c00", "#c62828", "#6a1b9a")


@dataclass
class BandRow:
    key: Any
    label: str
    n: int
    counts: dict[str, int]
    suppressed: bool = False
    reason: str | None = None   # privacy.SMALL or privacy.COMPLEMENTARY
    mark: str | None = None     # the text shown instead of the figures

    def share(self, band_id: str) -> float | None:
        return None if self.suppressed or not self.n else self.counts.get(band_id, 0) / self.n


@dataclass
class BandTable:
    scale_id: str | None
    title: str
    bands: list[tuple[str, str]]             # (band id, label) low to high
    by_school: list[BandRow] = field(default_factory=list)
    by_grade: list[BandRow] = field(default_factory=list)


def reported_scales(definition, locale: str) -> list[tuple[str | None, str, list[tuple[str, str]]]]:
    """(scale id or None for the primary band, title, bands) for every banded scale shown."""
    scoring = definition.model.scoring
    if scoring is None:
        return []
    scales = {s.id: s for s in scoring.scales if s.bands}
    if scoring.primary and scoring.primary in scales:
        chosen = [(None, scales[scoring.primary])]
    else:
        chosen = [(s.id, s) for s in scales.values()]
    return [(key, s.label.get(locale),
             [(b.id, b.label.get(locale)) for b in s.bands]) for key, s in chosen]


def _rows(figures: dict[Any, privacy.Figure], labels: dict[Any, str], order: Callable[[Any], Any]) -> list[BandRow]:
    """Rows sorted by ``order`` of their key (the tree's order of schools, grades as numbers)."""
    rows = [BandRow(key, labels.get(key, str(key)), figure.n, figure.value or {}, figure.hidden, figure.reason,
                    figure.mark) for key, figure in figures.items()]
    return sorted(rows, key=lambda r: order(r.key))


def band_tables(campaign, definition, org: OrgUnit, locale: str) -> list[BandTable]:
    tables = []
    for scale_id, title, bands in reported_scales(definition, locale):
        table = BandTable(scale_id, title, bands)
        per_school = privacy.band_counts(campaign, org, "school", scale=scale_id)
        schools = tree_order(db.session.execute(select(OrgUnit).where(OrgUnit.id.in_(list(per_school) or [0])))
                             .scalars())
        place = {school.id: index for index, school in enumerate(schools)}
        table.by_school = _rows(per_school, {school.id: school.name for school in schools},
                                lambda key: place.get(key, len(place)))
        per_grade = privacy.band_counts(campaign, org, "grade", scale=scale_id)
        table.by_grade = _rows(per_grade, {g: str(g) for g in per_grade}, grade_key)
        tables.append(table)
    return tables


def bar_segments(row: BandRow, bands: list[tuple[str, str]], width: float = 300.0) -> list[dict]:
    """x offsets and widths of a stacked bar (SVG, no script, no inline style)."""
    segments, x = [], 0.0
    for index, (band_id, label) in enumerate(bands):
        share = row.share(band_id) or 0.0
        w = round(width * share, 2)
        if w > 0:
            segments.append({"x": round(x, 2), "w": w, "colour": COLOURS[index % len(COLOURS)],
                             "label": label, "percent": round(100 * share, 1)})
        x += w
    return segments
