"""One release's decision: the rule of ``suppress``, then the audit, until the audit finds nothing.

The per-relation rule (never exactly one hidden member) protects sums along a
hierarchy; across dimensions that do not nest (school levels of multi-level
schools, grades beside units) a hidden cell can still be the difference of
published ones. The exact rank test of ``audit`` finds such a cell, and the
smallest published cell tied to it is hidden too, until nothing is exposed. At run
time the rank test works modulo a large prime (fast, and any error only hides more);
the test suite repeats it in exact rational arithmetic.
"""
from __future__ import annotations

from typing import Hashable

from .audit import PRIME, audit_cells
from .cells import Cells
from .suppress import COMPLEMENTARY, UNPUBLISHED, Decision, stable_key, suppress


def _cover(cells: Cells, leak: Hashable, decision: Decision) -> Hashable | None:
    """The published cell to hide so that ``leak`` is no longer a difference of published ones."""
    related = {c for r in cells.relations if leak == r.total or leak in r.parts for c in (r.total, *r.parts)}
    atoms = cells.members[leak]
    overlapping = {c for c, members in cells.members.items() if members & atoms}
    for pool in (related, overlapping):
        open_cells = [c for c in pool if c not in decision.hidden and cells.counts.get(c, 0) > 0]
        if open_cells:
            return min(open_cells, key=lambda c: (cells.weight(c), cells.counts[c], stable_key(c)))
    return None


def decide(cells: Cells, k: int, start: dict[Hashable, str] | None = None) -> Decision:
    """Remainders no table publishes start hidden (an outsider cannot subtract them) but are not
    counted as published-and-hidden: the audit checks they never make a hidden cell derivable.
    ``start``: cells hidden whatever their size (an item's groups the release already hides)."""
    fixed = {cell: UNPUBLISHED for cell in cells.unpublished}
    if not start and not any(0 < n < k for n in cells.counts.values()):
        return Decision(k, fixed)  # no small group: nothing to hide, nothing to protect
    fixed.update(start or {})
    decision = suppress(cells.counts, cells.relations, k, start=fixed, weight=cells.weight)
    if k <= 1:
        return decision
    while True:
        leaks = sorted(audit_cells(cells, decision, PRIME), key=stable_key)
        if not leaks:
            return decision
        extra = {c: COMPLEMENTARY for c in (_cover(cells, leak, decision) for leak in leaks[:1]) if c is not None}
        if not extra:
            return decision  # everything near the leak is already hidden: nothing more can be done
        decision = suppress(cells.counts, cells.relations, k, start={**fixed, **decision.hidden, **extra},
                            weight=cells.weight)
