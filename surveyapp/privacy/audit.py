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

import heapq
from fractions import Fraction
from typing import Hashable, Iterable


PRIME = 2**61 - 1  # the runtime check works modulo this prime (see ``RowSpace``)


class RowSpace:
    """Rows in echelon form, each keyed by its pivot (smallest column).

    Exact over the rationals (``Fraction``) by default: "not exposed" is then a proof. With
    ``modulus`` it works in the integers modulo a large prime, much faster: a vector in the rational
    row space is also in it modulo p (unless p divides a denominator, which for 0/1 rows of this size
    does not happen in practice), and a false "in the space" only hides one cell more than needed,
    so the runtime check errs on the safe side; the test suite runs the exact one."""

    def __init__(self, modulus: int | None = None) -> None:
        self.rows: dict[int, dict[int, object]] = {}
        self.modulus = modulus

    def _clean(self, value):
        return value % self.modulus if self.modulus else value

    def reduce(self, vector: dict) -> dict:
        """What is left of ``vector`` after subtracting the rows: empty iff it lies in the row space."""
        left = dict(vector)
        queue = sorted(col for col in left if col in self.rows)
        heapq.heapify(queue)
        queued = set(queue)
        while queue:
            col = heapq.heappop(queue)
            factor = left.get(col)
            if not factor:
                continue
            for other, value in self.rows[col].items():
                result = self._clean(left.get(other, 0) - factor * value)
                if result:
                    left[other] = result
                    if other in self.rows and other not in queued:
                        queued.add(other)
                        heapq.heappush(queue, other)
                else:
                    left.pop(other, None)
        return left

    def add(self, vector: dict) -> bool:
        left = self.reduce(vector)
        if not left:
            return False
        pivot = min(left)
        if self.modulus:
            inverse = pow(left[pivot], -1, self.modulus)
            self.rows[pivot] = {col: value * inverse % self.modulus for col, value in left.items()}
        else:
            scale = left[pivot]
            self.rows[pivot] = {col: value / scale for col, value in left.items()}
        return True


def _vector(atoms: Iterable[int], modulus: int | None) -> dict:
    one = 1 if modulus else Fraction(1)
    return {atom: one for atom in atoms}


def exposed(published: Iterable[frozenset], hidden: dict[Hashable, frozenset],
            modulus: int | None = None) -> list[Hashable]:
    """The hidden cells (name -> atom set) whose sum follows from the published atom sets."""
    space = RowSpace(modulus)
    for atoms in published:
        space.add(_vector(atoms, modulus))
    return [name for name, atoms in hidden.items() if not space.reduce(_vector(atoms, modulus))]


def audit_cells(cells, decision, modulus: int | None = None) -> list[Hashable]:
    """The audit of one release: every cell not hidden (with responses) is taken as published; the
    remainders no table shows are neither published nor checked (they are not figures anyone sees)."""
    if all(cell in cells.unpublished for cell in decision.hidden):
        return []  # nothing published is hidden: nothing to work out
    published = [members for cell, members in cells.members.items()
                 if cells.counts[cell] > 0 and cell not in decision.hidden and cell not in cells.unpublished]
    hidden = {cell: cells.members[cell] for cell in decision.hidden
              if cell in cells.members and cell not in cells.unpublished}
    return exposed(published, hidden, modulus)
