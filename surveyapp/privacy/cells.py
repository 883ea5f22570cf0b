"""Every group published for a campaign, as sets of *atoms*, and the sums that tie them together.

An atom is the finest group a response falls in: (school, class, grade). Every
published figure (a unit, a school, a school level under a unit, a grade under a
unit or school, a class, the campaign) is a sum over atoms, so two groups with the
same atoms are the same figure under two names: they get one decision (an
*alias*), or a ward of one school would publish what its school page hides.
Pure data in, pure data out: the database side lives in ``release``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable, Iterable

from .suppress import Relation, stable_key

CAMPAIGN = ("campaign",)
KIND_RANK = {"campaign": 0, "org": 1, "grade": 2, "class": 3, "rest": 4}


def org_cell(org_id: int, level: str | None = None) -> tuple:
    return ("org", org_id) if level is None else ("org", org_id, level)


def grade_cell(org_id: int, grade: int) -> tuple:
    return ("grade", org_id, grade)


def class_cell(class_id: int) -> tuple:
    return ("class", class_id)


@dataclass
class School:
    id: int
    path: tuple[int, ...]        # ids from the top unit down to the school itself
    levels: tuple[str, ...] = ()


Atom = tuple  # (school id, class id or None, grade or None)


@dataclass
class Cells:
    counts: dict[Hashable, int] = field(default_factory=dict)        # canonical cell -> responses
    alias: dict[Hashable, Hashable] = field(default_factory=dict)    # any cell name -> canonical cell
    members: dict[Hashable, frozenset] = field(default_factory=dict)  # canonical cell -> atom indexes
    relations: list[Relation] = field(default_factory=list)
    atoms: list[Atom] = field(default_factory=list)
    atom_n: list[int] = field(default_factory=list)
    unpublished: set = field(default_factory=set)  # remainders no table shows (e.g. responses with no class)
    main: set = field(default_factory=set)  # cells that are a row of a main table (a unit, school, class)
    by_members: dict[frozenset, Hashable] = field(default_factory=dict)  # atom set -> canonical cell

    def weight(self, cell: Hashable) -> int:
        """What hiding ``cell`` costs: a row of a filtered or by-grade view (0) before a main-table row (1)."""
        return 1 if cell in self.main else 0


def _none_low(value):
    return -1 if value is None else value


def _atom_cells(school: School, class_id, grade) -> Iterable[tuple]:
    yield CAMPAIGN
    for org_id in school.path:
        yield org_cell(org_id)
        if org_id != school.id:  # a school under a level filter is the school itself
            for level in school.levels:
                yield org_cell(org_id, level)
        if grade is not None:
            yield grade_cell(org_id, grade)
    if class_id is not None:
        yield class_cell(class_id)


def build_cells(schools: dict[int, School], atom_counts: dict[Atom, int]) -> Cells:
    cells = Cells()
    raw: dict[tuple, set] = {}
    atoms = sorted((a for a, n in atom_counts.items() if n > 0 and a[0] in schools),
                   key=lambda a: tuple(_none_low(v) for v in a))
    for index, (school_id, class_id, grade) in enumerate(atoms):
        cells.atoms.append((school_id, class_id, grade))
        cells.atom_n.append(atom_counts[(school_id, class_id, grade)])
        for cell in _atom_cells(schools[school_id], class_id, grade):
            raw.setdefault(cell, set()).add(index)
    canonical = cells.by_members
    for cell in sorted(raw, key=lambda c: (KIND_RANK[c[0]], c[0] != "org" or len(c) > 2, stable_key(c))):
        members = frozenset(raw[cell])
        chosen = canonical.setdefault(members, cell)
        cells.alias[cell] = chosen
        if cell[0] in ("campaign", "class") or (cell[0] == "org" and len(cell) == 2):
            cells.main.add(chosen)
        if chosen is cell:
            cells.members[cell] = members
            cells.counts[cell] = sum(cells.atom_n[i] for i in members)
    cells.relations = _relations(schools, cells)
    return cells


def _remainder(cells: Cells, total, parts: list) -> Hashable | None:
    """The responses of ``total`` in none of ``parts`` (no class, no grade) as a cell of their own: the
    same figure as a published cell when their atoms are the same, else one no table publishes."""
    covered = set().union(*(cells.members[p] for p in parts)) if parts else set()
    rest = cells.members[total] - covered
    if not rest:
        return None
    members = frozenset(rest)
    if members in cells.by_members:
        return cells.by_members[members]
    cell = ("rest", total, len(cells.unpublished))
    cells.by_members[members] = cell
    cells.members[cell] = members
    cells.counts[cell] = sum(cells.atom_n[i] for i in members)
    cells.unpublished.add(cell)
    return cell


def _relations(schools: dict[int, School], cells: Cells) -> list[Relation]:
    """Every "total = sum of disjoint parts" an outsider can write from the published tables."""
    children: dict[int, set] = {}
    tops, levels = set(), {s.id: s.levels for s in schools.values()}  # noqa: E741
    grades_of: dict[int, set] = {}
    classes_of: dict[tuple, set] = {}   # (school, grade or None) -> classes
    for school_id, class_id, grade in cells.atoms:
        path = schools[school_id].path
        tops.add(path[0])
        for parent, child in zip(path, path[1:]):
            children.setdefault(parent, set()).add(child)
        if grade is not None:
            for org_id in path:
                grades_of.setdefault(org_id, set()).add(grade)
        if class_id is not None:
            classes_of.setdefault((school_id, None), set()).add(class_id)
            if grade is not None:
                classes_of.setdefault((school_id, grade), set()).add(class_id)
    found = [(CAMPAIGN, [org_cell(t) for t in sorted(tops)])]
    all_levels = sorted({level for own in levels.values() for level in own})
    for parent, kids in sorted(children.items()):
        kids = sorted(kids)
        found.append((org_cell(parent), [org_cell(c) for c in kids]))
        for level in all_levels:
            parts = [org_cell(c, None if c in schools else level) for c in kids
                     if c not in schools or level in levels[c]]
            found.append((org_cell(parent, level), parts))
        for grade in sorted(grades_of.get(parent, ())):
            found.append((grade_cell(parent, grade), [grade_cell(c, grade) for c in kids]))
    for parent, kids in sorted(children.items()):
        if all(len(levels[s]) == 1 for s in schools_under(parent, schools)):  # levels then partition it
            found.append((org_cell(parent), [org_cell(parent, level) for level in all_levels]))
    for org_id, grades in sorted(grades_of.items()):
        found.append((org_cell(org_id), [grade_cell(org_id, g) for g in sorted(grades)]))
    for (school_id, grade), classes in sorted(classes_of.items(), key=lambda kv: (kv[0][0], _none_low(kv[0][1]))):
        total = org_cell(school_id) if grade is None else grade_cell(school_id, grade)
        found.append((total, [class_cell(c) for c in sorted(classes)]))
    return _canonical_relations(found, cells)


def schools_under(org_id: int, schools: dict[int, School]) -> list[int]:
    return [s.id for s in schools.values() if org_id in s.path]


def _canonical_relations(found, cells: Cells) -> list[Relation]:
    """The relations between canonical cells, each completed with its remainder (so that the parts
    always add up to the total exactly)."""
    alias = cells.alias
    seen, relations = set(), []
    for total, parts in found:
        if total not in alias:
            continue
        parts = list(dict.fromkeys(alias[p] for p in parts if p in alias))
        rest = _remainder(cells, alias[total], parts)
        if rest is not None and rest not in parts:
            parts.append(rest)
        relation = Relation(alias[total], tuple(parts))
        if relation not in seen and relation.parts:
            seen.add(relation)
            relations.append(relation)
    return relations
