"""The linear-algebra audit: can any hidden figure be worked out from the published ones?

Unknowns are the atoms' sums (a score summed over the responses of one school,
class and grade); each published figure (mean x n, or a count of an answer) is
the sum of its atoms, a linear equation. A hidden cell's sum is determined exactly
when its atom vector lies in the row space of the published cells' vectors. The
rank test runs in exact rational arithmetic (``fractions``), so "not exposed" is
a proof for these equations, not a floating-point guess. Counts of responses are
public by design and are not unknowns.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Hashable, Iterable


class RowSpace:
    """Rows in echelon form over the rationals, each keyed by its pivot (smallest column)."""

    def __init__(self) -> None:
        self.rows: dict[int, dict[int, Fraction]] = {}

    def reduce(self, vector: dict[int, Fraction]) -> dict[int, Fraction]:
        """What is left of ``vector`` after subtracting the rows: empty iff it lies in the row space."""
        left = dict(vector)
        while True:
            pivots = [col for col in left if col in self.rows]
            if not pivots:
                return left
            col = min(pivots)
            factor = left[col]
            for other, value in self.rows[col].items():
                result = left.get(other, 0) - factor * value
                if result:
                    left[other] = result
                else:
                    left.pop(other, None)

    def add(self, vector: dict[int, Fraction]) -> bool:
        left = self.reduce(vector)
        if not left:
            return False
        pivot = min(left)
        scale = left[pivot]
        self.rows[pivot] = {col: value / scale for col, value in left.items()}
        return True


def _vector(atoms: Iterable[int]) -> dict[int, Fraction]:
    return {atom: Fraction(1) for atom in atoms}


def exposed(published: Iterable[frozenset], hidden: dict[Hashable, frozenset]) -> list[Hashable]:
    """The hidden cells (name -> atom set) whose sum follows from the published atom sets."""
    space = RowSpace()
    for atoms in published:
        space.add(_vector(atoms))
    return [name for name, atoms in hidden.items() if not space.reduce(_vector(atoms))]


def audit_cells(cells, decision) -> list[Hashable]:
    """The audit of one release: every cell not hidden (with responses) is taken as published; the
    remainders no table shows are neither published nor checked (they are not figures anyone sees)."""
    published = [members for cell, members in cells.members.items()
                 if cells.counts[cell] > 0 and cell not in decision.hidden and cell not in cells.unpublished]
    hidden = {cell: cells.members[cell] for cell in decision.hidden
              if cell in cells.members and cell not in cells.unpublished}
    return exposed(published, hidden)
