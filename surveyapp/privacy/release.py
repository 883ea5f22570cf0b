"""A campaign's release: its groups counted in ONE GROUP BY, and the hidden set decided once.

Computed at the campaign's whole scope, so every page (from the city down to a
school), every sheet, CSV and module section reads the same decision: a school
page cannot show what its ward page hides. Cached for the request (or export),
so the scan and the decision happen once however many tables ask.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Hashable, Iterator

from flask import g, has_app_context
from sqlalchemy import func, or_, select

from ..collector import collector_paused
from ..extensions import db
from ..models import RESPONSE_SUBMITTED, OrgUnit, Response
from .cells import Cells, School, build_cells, class_cell, grade_cell, org_cell
from .decide import decide
from .suppress import COMPLEMENTARY, Decision

_CACHE = "_privacy_releases"


@dataclass
class Release:
    campaign_id: int
    k: int
    cells: Cells
    decision: Decision
    schools: dict = field(default_factory=dict)   # the tree the cells were built on (privacy.items reuses it)
    derived: dict = field(default_factory=dict)   # per-item decisions, made once per release (privacy.items)

    def reason(self, cell: Hashable, n: int | None = None) -> str | None:
        """Why ``cell`` is hidden (``SMALL`` or ``COMPLEMENTARY``), or None when it is published.

        A group the release does not know is hidden whenever it has responses: a module
        cannot publish a breakdown the decision never saw."""
        canonical = self.cells.alias.get(cell)
        if canonical is None:
            return COMPLEMENTARY if n else None
        return self.decision.reason(canonical)

    def hidden(self, cell: Hashable, n: int | None = None) -> bool:
        return self.reason(cell, n) is not None

    def n(self, cell: Hashable) -> int:
        canonical = self.cells.alias.get(cell)
        return self.cells.counts.get(canonical, 0) if canonical is not None else 0

    # the names pages and modules use
    def org(self, org_id: int, level: str | None = None) -> tuple:
        return org_cell(org_id, level)

    def grade(self, org_id: int, grade: int) -> tuple:
        return grade_cell(org_id, grade)

    def klass(self, class_id: int) -> tuple:
        return class_cell(class_id)


def threshold(campaign) -> int:
    from ..campaigns import definition_of
    from ..reports import group_threshold
    return group_threshold(definition_of(campaign))


def _schools(campaign) -> dict[int, School]:
    """The campaign's schools (as ``campaigns.schools_in``), read as plain rows: no ORM objects needed."""
    prefixes = [org.path for org in campaign.scope]
    if not prefixes:
        return {}
    query = select(OrgUnit.id, OrgUnit.path, OrgUnit.levels).where(
        OrgUnit.kind == "school", OrgUnit.active.is_(True), or_(*[OrgUnit.path.startswith(p) for p in prefixes]))
    return {sid: School(sid, tuple(int(p) for p in path.strip("/").split("/") if p),
                        tuple(level for level in (levels or "").split(",") if level))
            for sid, path, levels in db.session.execute(query)}


def _atoms(campaign_id: int) -> dict[tuple, int]:
    query = (select(Response.school_id, Response.class_group_id, Response.grade, func.count())
             .where(Response.campaign_id == campaign_id, Response.status == RESPONSE_SUBMITTED)
             .group_by(Response.school_id, Response.class_group_id, Response.grade))
    return {(school_id, class_id, grade): n for school_id, class_id, grade, n in db.session.execute(query)}


_DECISIONS: "OrderedDict[tuple, tuple[Cells, Decision]]" = OrderedDict()
_DECISIONS_KEPT = 64
_LOCK = threading.Lock()  # export threads and request threads share the cache


def compute_release(campaign, reuse: bool = True, atoms: dict[tuple, int] | None = None) -> Release:
    """Count the groups (one GROUP BY, unless a report's own scan already counted them: ``atoms``)
    and decide. The decision is a pure function of the counts and the tree, so the same counts reuse
    the last decision; any new response changes the counts and so the key."""
    schools, k = _schools(campaign), threshold(campaign)
    atoms = _atoms(campaign.id) if atoms is None else atoms
    key = (k, tuple(sorted((s.id, s.path, s.levels) for s in schools.values())),
           tuple(sorted(atoms.items(), key=lambda pair: tuple(-1 if v is None else v for v in pair[0]))))
    with _LOCK:
        found = _DECISIONS.get(key) if reuse else None
        if found is not None:
            _DECISIONS.move_to_end(key)
    if found is None:
        with collector_paused():  # ~10^5 small tuples and sets live until it returns
            cells = build_cells(schools, atoms)
            found = (cells, decide(cells, k))
        with _LOCK:
            _DECISIONS[key] = found
            while len(_DECISIONS) > _DECISIONS_KEPT:
                _DECISIONS.popitem(last=False)
    return Release(campaign.id, k, *found, schools)


def release_for(campaign) -> Release:
    """The campaign's release, computed once per request or export."""
    cache = g.get(_CACHE) if has_app_context() else None
    if cache is not None and campaign.id in cache:
        return cache[campaign.id]
    release = compute_release(campaign)
    if cache is not None:
        cache[campaign.id] = release
    return release


def offer_counts(campaign, atoms: dict[tuple, int]) -> None:
    """A report whose scan covered the campaign's whole scope, grouped by (school, class, grade),
    hands its counts over: the request's release is then decided from them, with no scan of its own.
    Outside a request or export (no cache), or once the release is decided, this does nothing."""
    cache = g.get(_CACHE) if has_app_context() else None
    if cache is not None and campaign.id not in cache:
        cache[campaign.id] = compute_release(campaign, atoms=atoms)


@contextmanager
def one_release() -> Iterator[None]:
    """Everything inside reads one decision per campaign (an export, a request)."""
    before = g.get(_CACHE)
    setattr(g, _CACHE, {} if before is None else before)
    try:
        yield
    finally:
        if before is None:
            g.pop(_CACHE, None)


def init_app(app) -> None:
    from .labels import reason_text, rule_text
    app.jinja_env.globals.update(privacy_rule=rule_text, hidden_mark=reason_text)

    @app.before_request
    def _fresh_cache() -> None:
        setattr(g, _CACHE, {})

    @app.teardown_request
    def _drop_cache(_exc=None) -> None:
        g.pop(_CACHE, None)
