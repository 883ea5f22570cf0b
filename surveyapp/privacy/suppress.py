"""The suppression decision, free of any database: primary and complementary, deterministic.

A *cell* is any published group (a unit, a school, a school level under a unit, a
grade, a class ...), identified by a hashable key, with its number of responses.
A *relation* says that a total is the sum of disjoint parts (a ward = its schools;
a school = its classes). Whoever sees every published figure of a relation except
one can work that one out by subtraction, so each relation must have either no
hidden member or at least two. Ties are broken by a stable key (the number of
responses, then the key's text), never by row order or object identity, so the
same data always hides the same cells.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Hashable, Iterable

SMALL = "small"                   # fewer than k responses
COMPLEMENTARY = "complementary"   # hidden so that a small group cannot be worked out
UNPUBLISHED = "unpublished"       # a remainder no table shows (responses with no class or grade)


@dataclass(frozen=True)
class Relation:
    """``total`` is the sum of the disjoint ``parts``."""

    total: Hashable
    parts: tuple


@dataclass
class Decision:
    """The hidden cells and why: {cell: SMALL | COMPLEMENTARY}."""

    k: int
    hidden: dict[Hashable, str] = field(default_factory=dict)

    def reason(self, cell: Hashable) -> str | None:
        return self.hidden.get(cell)


def stable_key(cell: Any) -> str:
    """A total order on cells that depends on their identity only (not on memory or row order)."""
    return repr(cell)


def _members(relation: Relation, counts: dict) -> list:
    """The relation's distinct cells with responses (an empty cell hides nothing and protects nothing)."""
    seen, members = set(), []
    for cell in (relation.total, *relation.parts):
        if cell not in seen and counts.get(cell, 0) > 0:
            seen.add(cell)
            members.append(cell)
    return members


def _complement(relation: Relation, members: list, counts: dict, hidden: dict, weight) -> Hashable | None:
    """The cell to hide beside the relation's single hidden one: the cheapest visible member by
    ``weight`` (a secondary breakdown before a main table's row), then the smallest, then a part
    before the total (a sibling before going up a level)."""
    visible = [c for c in members if c not in hidden]
    if not visible:
        return None
    return min(visible, key=lambda c: (weight(c), counts[c], c == relation.total, stable_key(c)))


def suppress(counts: dict[Hashable, int], relations: Iterable[Relation], k: int,
             start: dict[Hashable, str] | None = None, weight=lambda cell: 0) -> Decision:
    """Hide every cell with 0 < n < k (and ``start``), then complementary cells until no relation
    has exactly one hidden member. ``weight(cell)`` ranks what hiding a cell costs (lower first)."""
    decision = Decision(k, {cell: SMALL for cell, n in counts.items() if 0 < n < k})
    for cell, why in (start or {}).items():
        decision.hidden.setdefault(cell, why)
    # smallest totals first: siblings are settled bottom-up (a ward's schools before the city's wards),
    # so a hidden school is paired with a sibling school rather than with a whole ward
    ordered = sorted(relations, key=lambda r: (counts.get(r.total, 0), stable_key(r.total),
                                               tuple(stable_key(p) for p in r.parts)))
    changed = bool(decision.hidden)
    while changed:  # each pass only adds cells, so this ends
        changed = False
        for relation in ordered:
            members = _members(relation, counts)
            if sum(1 for c in members if c in decision.hidden) != 1:
                continue
            chosen = _complement(relation, members, counts, decision.hidden, weight)
            if chosen is not None:
                decision.hidden[chosen] = COMPLEMENTARY
                changed = True
    return decision


def protect_counts(counts: dict[Hashable, int], k: int) -> Decision:
    """One flat breakdown whose total is published (e.g. counselling requests by topic)."""
    total = ("__total__",)
    cells = dict(counts)
    cells[total] = sum(counts.values())
    decision = suppress(cells, [Relation(total, tuple(counts))], k)
    decision.hidden.pop(total, None)
    return decision
