"""Report building blocks: SQL aggregates over response rows, hidden as ``surveyapp.privacy`` decides.

Every figure is a GROUP BY in the database (one scan per query); Python only
shapes the few hundred or thousand result rows. The aggregate helpers are
internal (underscore): modules read grouped figures through ``surveyapp.privacy``,
which hands them back already suppressed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from flask import current_app
from sqlalchemy import func, select

from .collector import collector_paused
from .extensions import db
from .models import RESPONSE_SUBMITTED, ClassGroup, OrgUnit, Response
from .option_counts import count_if, counted, scans  # count_if: modules import it from here
from .questionnaire import Definition
from .respondent_kinds import by_class

SUPPRESSED = None  # a suppressed figure; renderers show a mark, never an empty cell
MEAN_TYPES = ("likert", "single_choice", "yes_no")  # items whose option values are on a scale
# the finest group a response falls in, as the release counts it (``privacy.release``): a report scan
# grouped by these gives every coarser figure by addition and the release's counts for free
ATOM = (Response.school_id, Response.class_group_id, Response.grade)


@dataclass
class ReportSection:
    """A block of a campaign report contributed by a plugin (HTML already escaped/rendered)."""

    title: str
    html: str
    order: int = 100
    n: int | None = None   # responses behind its figures (the core shows it; None: not about responses)


@dataclass(frozen=True)
class ReportFilter:
    """What the reader chose on the dashboard. The core hands it to every section and applies it to
    every figure read through ``surveyapp.privacy`` while the sections are built."""

    org: Any
    level: str | None = None   # a school level code: only schools of that level count

    def keeps(self, school) -> bool:
        """Whether a school's responses count under this filter."""
        return not self.level or self.level in school.level_list


@dataclass
class Distribution:
    """Counts per option value of one item for one group."""

    item_id: str
    n: int
    counts: dict[int, int] = field(default_factory=dict)
    scaled: bool = False  # option values on a scale (likert, single choice, yes/no): it has a mean
    reason: str | None = None  # why its answers are hidden (privacy.SMALL / COMPLEMENTARY); n stays public

    @property
    def mean(self) -> float | None:
        # on demand: a breakdown by school makes thousands of these and reads few means
        if not self.scaled or not self.n or self.reason:
            return None
        return sum(value * count for value, count in self.counts.items()) / self.n

    def hide(self, reason: str) -> None:
        self.reason, self.counts = reason, {}


def min_group_size(free_text: bool = False) -> int:
    key = "MIN_GROUP_SIZE_TEXT" if free_text else "MIN_GROUP_SIZE"
    return int(current_app.config.get(key, 10 if free_text else 5))


def submitted(campaign_id: int):
    return (Response.campaign_id == campaign_id) & (Response.status == RESPONSE_SUBMITTED)


def _counts_by(campaign_id: int, column) -> dict[Any, int]:
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
    counts = _counts_by(campaign.id, Response.school_id)
    expected = expected_by_school([s.id for s in schools], campaign.grade_list)
    rows = []
    for school in schools:
        n, exp = counts.get(school.id, 0), expected.get(school.id, 0)
        rows.append({"school": school, "responses": n, "expected": exp,
                     "rate": (n / exp) if exp else None})
    rows.sort(key=lambda r: (r["rate"] if r["rate"] is not None else -1, r["school"].name))
    return rows


def _distributions(campaign_id: int, definition: Definition, group_column=None,
                  where=None) -> dict[Any, dict[str, Distribution]]:
    """Option counts for every choice item, per group, in ONE scan of the campaign's rows."""
    group = group_column if group_column is not None else Response.campaign_id
    conditions = [submitted(campaign_id)] + ([where] if where is not None else [])
    with collector_paused():  # per school, ~30 objects per item that all live on: nothing to collect
        return counted(definition, (group,), conditions, Distribution, scaled_types=MEAN_TYPES)


def _school_distributions(campaign, definition: Definition, node: OrgUnit | None = None,
                          level: str | None = None) -> dict[int, dict[str, Distribution]]:
    """Option counts per school under ``node`` (default: the whole campaign). Where the database
    groups by atom cheaply (``_folds_atoms``): ONE scan grouped by atom, added up per school,
    whose counts also feed the release (no second scan); elsewhere one scan grouped by school."""
    if not _folds_atoms():
        where = Response.school_id.in_(school_filter(node, level)) if node is not None else None
        return _distributions(campaign.id, definition, group_column=Response.school_id, where=where)
    conditions = [submitted(campaign.id)]
    if node is not None:
        conditions.append(Response.school_id.in_(school_filter(node, level)))
    atoms: dict[tuple, int] = {}

    def count_atom(row) -> None:
        atoms[tuple(row[:3])] = row[3]

    with collector_paused():  # per school, ~30 objects per item that all live on: nothing to collect
        result = counted(definition, ATOM, conditions, Distribution, on_row=count_atom, scaled_types=MEAN_TYPES)
    if scans(definition):
        _feed_release(campaign, node, level, atoms)
    return result


def _folds_atoms() -> bool:
    """Whether one scan grouped by atom beats a scan grouped by school plus the release's own narrow
    count. SQLite: yes (its sort for the finer GROUP BY costs a third of a second table scan).
    PostgreSQL: no (the ~150 aggregate states of 4x the groups spill its hash table, while its
    narrow count is cheap); measured at full size, see docs/performance.md."""
    return db.engine.dialect.name == "sqlite"


def covers_campaign(campaign, node: OrgUnit | None, level: str | None) -> bool:
    """Whether the rows under ``node`` (and ``level``) are all of the campaign's rows the release counts."""
    return level is None and (node is None or all(org.path.startswith(node.path) for org in campaign.scope))


def _feed_release(campaign, node: OrgUnit | None, level: str | None, atoms: dict[tuple, int]) -> None:
    """Hand a whole-scope scan's per-atom counts to the release: its decision then needs no scan."""
    if covers_campaign(campaign, node, level):
        from .privacy.release import offer_counts
        offer_counts(campaign, atoms)


def _band_counts(campaign_id: int, group_column=None, scale: str | None = None,
                where=None) -> dict[Any, dict[str, int]]:
    """Responses per band (the primary scale, or a named subscale) per group.

    ``where`` optionally narrows the rows (e.g. to the schools of one unit)."""
    band = Response.band if scale is None else Response.scores[scale]["band"].as_string()
    group = group_column if group_column is not None else Response.campaign_id
    query = select(group, band, func.count(Response.id)).where(submitted(campaign_id))
    if where is not None:
        query = query.where(where)
    rows = db.session.execute(query.group_by(group, band)).all()
    result: dict[Any, dict[str, int]] = {}
    for key, band_id, n in rows:
        result.setdefault(key, {})[band_id or ""] = n
    return result


def percent(part: int | None, whole: int | None) -> float | None:
    return None if not whole or part is None else part / whole


# -- the department dashboard: one GROUP BY school, roll-up to units in Python -------------

@dataclass
class Measures:
    """What a result table shows for one questionnaire: primary score, bands, outcome, subscales."""

    primary: Any = None                       # Text label of the primary scale, or None
    bands: list[tuple[str, Any]] = field(default_factory=list)      # (band id, Text)
    outcomes: list[tuple[str, Any]] = field(default_factory=list)   # (outcome id, Text)
    scales: list[tuple[str, Any]] = field(default_factory=list)     # (subscale id, Text)


def measures_of(definition: Definition) -> Measures:
    scoring = definition.model.scoring
    if scoring is None:
        return Measures()
    primary = next((s for s in scoring.scales if s.id == scoring.primary), None)
    outcome = scoring.outcome
    return Measures(
        primary=primary.label if primary else None,
        bands=[(b.id, b.label) for b in (primary.bands if primary else [])],
        outcomes=[(key, outcome.labels[key]) for key in outcome.labels] if outcome else [],
        scales=[(s.id, s.label) for s in scoring.scales if s.id != scoring.primary])


@dataclass
class Agg:
    """Additive figures of one group (school, unit, level, class, campaign)."""

    n: int = 0
    expected: int = 0
    schools: int = 0
    total_sum: float = 0.0
    total_n: int = 0
    bands: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    scales: dict[str, list[float]] = field(default_factory=dict)   # id -> [sum, count]

    def add(self, other: "Agg") -> "Agg":
        self.n += other.n
        self.expected += other.expected
        self.schools += other.schools
        self.total_sum += other.total_sum
        self.total_n += other.total_n
        for mine, theirs in ((self.bands, other.bands), (self.outcomes, other.outcomes)):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count
        for key, (total, count) in other.scales.items():
            pair = self.scales.setdefault(key, [0.0, 0])
            pair[0] += total
            pair[1] += count
        return self

    @property
    def rate(self) -> float | None:
        return self.n / self.expected if self.expected else None

    @property
    def mean(self) -> float | None:
        return self.total_sum / self.total_n if self.total_n else None

    def scale_mean(self, scale_id: str) -> float | None:
        total, count = self.scales.get(scale_id, (0.0, 0))
        return total / count if count else None

    def share(self, kind: str, key: str) -> float | None:
        return getattr(self, kind).get(key, 0) / self.n if self.n else None


def _agg_columns(measures: Measures) -> list:
    columns = [func.count(Response.id), func.sum(Response.total), func.count(Response.total)]
    columns += [count_if(Response.band == key) for key, _label in measures.bands]
    columns += [count_if(Response.outcome == key) for key, _label in measures.outcomes]
    for key, _label in measures.scales:
        score = Response.scores[(key, "score")].as_float()
        columns += [func.sum(score), func.count(score)]
    return columns


def _agg_from_row(measures: Measures, figures) -> Agg:
    figures = list(figures)
    agg = Agg(n=int(figures[0] or 0), total_sum=float(figures[1] or 0), total_n=int(figures[2] or 0))
    at = 3
    for key, _label in measures.bands:
        agg.bands[key] = int(figures[at] or 0)
        at += 1
    for key, _label in measures.outcomes:
        agg.outcomes[key] = int(figures[at] or 0)
        at += 1
    for key, _label in measures.scales:
        agg.scales[key] = [float(figures[at] or 0), int(figures[at + 1] or 0)]
        at += 2
    return agg


def _aggregate(campaign_ids: list[int], measures: Measures, group, where=None) -> dict[Any, Agg]:
    """Counts, score sums, band/outcome counts and subscale sums per group, in ONE scan.

    ``group`` is a column, or a tuple of columns (each key is then a tuple of their values)."""
    groups = group if isinstance(group, tuple) else (group,)
    query = (select(*groups, *_agg_columns(measures))
             .where(Response.campaign_id.in_(campaign_ids), Response.status == RESPONSE_SUBMITTED))
    if where is not None:
        query = query.where(where)
    rows = db.session.execute(query.group_by(*groups)).all()
    width = len(groups)
    return {(tuple(row[:width]) if width > 1 else row[0]): _agg_from_row(measures, row[width:]) for row in rows}


def _by_school_and_class(campaign, measures: Measures, node: OrgUnit,
                         level: str | None = None) -> tuple[dict[int, Agg], dict[int, Agg]]:
    """Per school and per class under ``node`` from ONE scan grouped by atom (school, class, grade).

    Every figure of an Agg is a count or a sum, so a school's is the sum of its atoms': the same
    figures as a GROUP BY school. Suppression is applied later, to these summed groups, never to
    their parts. A scan of the whole scope also feeds the release (no second scan)."""
    per_school: dict[int, Agg] = {}
    per_class: dict[int, Agg] = {}
    per_atom = _aggregate([campaign.id], measures, ATOM, Response.school_id.in_(school_filter(node, level)))
    _feed_release(campaign, node, level, {atom: agg.n for atom, agg in per_atom.items()})
    for (school_id, class_id, _grade), agg in per_atom.items():
        per_school.setdefault(school_id, Agg()).add(agg)
        if class_id is not None:
            per_class.setdefault(class_id, Agg()).add(agg)
    return per_school, per_class


def school_filter(node: OrgUnit, level: str | None = None):
    """A subquery of the ids of the schools under ``node`` (optionally of one school level)."""
    query = select(OrgUnit.id).where(OrgUnit.kind == "school", OrgUnit.path.startswith(node.path))
    if level:
        query = query.where(OrgUnit.levels.contains(level))
    return query


def subtree(node: OrgUnit) -> list[OrgUnit]:
    """Every active unit and school under ``node`` (itself included), in one query."""
    query = select(OrgUnit).where(OrgUnit.path.startswith(node.path), OrgUnit.active.is_(True))
    return list(db.session.execute(query.order_by(OrgUnit.path)).scalars())


def path_ids(org: OrgUnit) -> list[int]:
    return [int(part) for part in org.path.strip("/").split("/") if part]


def rollup(schools: list[OrgUnit], per_school: dict[int, Agg], expected: dict[int, int],
           node: OrgUnit) -> dict[int, Agg]:
    """Agg per org id for every school and every unit between it and ``node``."""
    totals: dict[int, Agg] = {}
    floor = node.depth
    for school in schools:
        own = Agg(schools=1, expected=expected.get(school.id, 0)).add(per_school.get(school.id, Agg()))
        for org_id in path_ids(school)[floor:]:
            totals.setdefault(org_id, Agg()).add(own)
    return totals


@dataclass
class Row:
    """One line of a result table; ``reason`` says why its results are hidden (None: shown)."""

    label: str
    agg: Agg
    org: OrgUnit | None = None
    reason: str | None = None
    key: Any = None
    mark: str | None = None   # the text shown instead of its results

    @property
    def hidden(self) -> bool:
        return self.reason is not None


def apply_release(rows: list[Row], release, cell_of) -> list[Row]:
    """Hide each row as the campaign's release decides for its cell (``cell_of(row)``)."""
    from .privacy import reason_text
    for row in rows:
        row.reason = release.reason(cell_of(row), row.agg.n)
        row.mark = reason_text(row.reason, release.k) if row.reason else None
    return rows


def org_rows(rows: list[Row], release, level: str | None) -> list[Row]:
    return apply_release(rows, release, lambda row: release.org(row.org.id, None if row.org.kind == "school"
                                                                     else level))


def laggards_first(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r.agg.rate if r.agg.rate is not None else -1, r.label))


@dataclass
class Dashboard:
    campaign: Any
    node: OrgUnit
    measures: Measures
    k: int
    level: str | None
    total: Agg
    children: list[Row]
    schools: list[Row]
    levels: list[Row]
    units: list[Row]
    items: dict[str, Distribution]
    classes: list[Row]
    reason: str | None = None   # why this node's own results are hidden
    mark: str | None = None

    @property
    def hidden(self) -> bool:
        return self.reason is not None


def campaign_schools(campaign, orgs: list[OrgUnit], level: str | None) -> list[OrgUnit]:
    prefixes = [org.path for org in campaign.scope]
    return [o for o in orgs if o.kind == "school" and any(o.path.startswith(p) for p in prefixes)
            and campaign.takes_part(o) and (not level or level in o.level_list)]


def group_threshold(definition: Definition) -> int:
    """Students and parents answer anonymously, so their groups under k are hidden. A staff form is
    the school's own (signed) assessment, which the department must see school by school."""
    from .respondent_kinds import kind_of
    return min_group_size() if kind_of(definition.model.respondent).small_groups_hidden else 1


def _rolled_up(campaign, definition: Definition, node: OrgUnit, schools: list[OrgUnit],
              level: str | None, per_school: dict[int, Agg] | None = None) -> dict[int, Agg]:
    """Per-school SQL aggregate (one query, unless the caller already has ``per_school`` for the
    schools of ``school_filter(node, level)``) + expected respondents (two), rolled up to units."""
    if per_school is None:
        per_school = _aggregate([campaign.id], measures_of(definition), Response.school_id,
                               Response.school_id.in_(school_filter(node, level)))
    from .respondent_kinds import kind_of
    if kind_of(definition.model.respondent).expected == "one_per_school":  # a self-assessment
        expected = {school.id: 1 for school in schools}
    else:
        expected = expected_by_school([s.id for s in schools], campaign.grade_list)
    return rollup(schools, per_school, expected, node)


def node_reason(release, node: OrgUnit, level: str | None, n: int) -> str | None:
    return release.reason(release.org(node.id, None if node.kind == "school" else level), n)


def build_dashboard(campaign, definition: Definition, node: OrgUnit, level: str | None = None) -> Dashboard:
    """Everything the campaign report shows for ``node``: a constant number of queries. What is hidden
    comes from the campaign's release (decided once over the whole campaign), so this page hides
    whatever its ancestors' and children's pages hide."""
    from .privacy import reason_text, release_for
    measures = measures_of(definition)
    orgs = subtree(node)
    schools = campaign_schools(campaign, orgs, level)
    folds = _folds_atoms() and covers_campaign(campaign, node, level)
    per_school = _by_school_and_class(campaign, measures, node, level)[0] if folds \
        else None  # the whole scope's scan, grouped by atom, is also the release's count
    totals = _rolled_up(campaign, definition, node, schools, level, per_school)
    release = release_for(campaign)
    k = release.k
    kept = [o for o in orgs if o.id in totals]
    children = org_rows([Row(o.name, totals[o.id], o) for o in kept if o.parent_id == node.id], release, level)
    units = org_rows([Row(o.name, totals[o.id], o) for o in kept if o.kind != "school"], release, level)
    school_rows = org_rows([Row(o.name, totals[o.id], o) for o in kept if o.kind == "school"], release, level)
    total = totals.get(node.id, Agg())
    reason = node_reason(release, node, level, total.n)
    items = {}
    if reason is None and total.n:
        from .privacy.items import hide_items
        items = _distributions(campaign.id, definition,
                               where=Response.school_id.in_(school_filter(node, level))).get(campaign.id, {})
        items = hide_items(campaign, definition, release.org(node.id, None if node.kind == "school" else level),
                           items)
    classes = class_rows(campaign, measures, node, release) if node.kind == "school" and by_class(definition) else []
    return Dashboard(campaign, node, measures, k, level, total, laggards_first(children),
                     laggards_first(school_rows), level_rows(schools, totals, release, node, level), units, items,
                     classes, reason, reason_text(reason, k) if reason else None)


def level_rows(schools: list[OrgUnit], totals: dict[int, Agg], release, node: OrgUnit,
               level: str | None = None) -> list[Row]:
    """Per school level under ``node`` (a multi-level school counts in each of its levels). Under a level
    filter only that level's row: the others would be groups (two levels at once) no table publishes."""
    from .models import SCHOOL_LEVELS
    per_level: dict[str, Agg] = {}
    for school in schools:
        for each in school.level_list:
            per_level.setdefault(each, Agg()).add(totals[school.id])
    wanted = [level] if level else SCHOOL_LEVELS
    rows = [Row(each, per_level[each], key=each) for each in wanted if each in per_level]
    if node.kind == "school":
        return apply_release(rows, release, lambda row: release.org(node.id))
    return apply_release(rows, release, lambda row: release.org(node.id, row.key))


def class_rows(campaign, measures: Measures, school: OrgUnit, release) -> list[Row]:
    """Per class of one school: responses against class size; results hidden as the release says."""
    per_class = _aggregate([campaign.id], measures, Response.class_group_id, Response.school_id == school.id)
    query = select(ClassGroup).where(ClassGroup.school_id == school.id).order_by(ClassGroup.grade, ClassGroup.name)
    grades = set(campaign.grade_list)
    rows = []
    for group in db.session.execute(query).scalars():
        if grades and group.grade not in grades:
            continue
        agg = Agg(expected=group.size or 0).add(per_class.get(group.id, Agg()))
        rows.append(Row(group.name, agg, key=group.id))
    return apply_release(rows, release, lambda row: release.klass(row.key))


def comparison(campaign, other, node: OrgUnit, level: str | None, orgs_wanted: list[int]) -> dict[int, Row]:
    """The other campaign's rolled-up figures for the given org ids (same questionnaire), hidden as
    that campaign's own release decides."""
    from .campaigns import definition_of
    from .privacy import release_for
    orgs = subtree(node)
    schools = campaign_schools(other, orgs, level)
    totals = _rolled_up(other, definition_of(other), node, schools, level)
    rows = org_rows([Row(o.name, totals[o.id], o) for o in orgs if o.id in orgs_wanted and o.id in totals],
                    release_for(other), level)
    return {row.org.id: row for row in rows}


def trend(campaigns: list, measures: Measures, node: OrgUnit, level: str | None) -> list[tuple[Any, Agg, bool]]:
    """Responses and mean score per campaign under ``node`` (one query for all campaigns), and whether
    each campaign's release hides ``node``."""
    from .privacy import release_for
    per_campaign = _aggregate([c.id for c in campaigns], measures, Response.campaign_id,
                              Response.school_id.in_(school_filter(node, level)))
    found = []
    for c in campaigns:
        agg = per_campaign.get(c.id, Agg())
        found.append((c, agg, node_reason(release_for(c), node, level, agg.n) is not None))
    return found
