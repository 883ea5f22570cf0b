"""Option counts of every choice item in ONE scan, with one SUM per item instead of one COUNT per option.

Each answer adds ``1 << BITS * (value - lowest)`` to its item's sum, so the sum holds the count of
every option in a field of its own, BITS wide (a positional number in base 2**BITS). Reading the
fields back gives exactly the counts ``COUNT(*) FILTER (WHERE v = value)`` would, while the database
updates 2 aggregates per item instead of 6 (five options): the city report's statement at full size
falls from 0.87 s to 0.5 s on PostgreSQL (docs/performance.md, "Packed option counts").

The fields are exact only while no group has 2**BITS rows or more. Every scan counts each group's
rows, and a group that big makes the scan run again with fields wide enough for it. Each item's
fields must also add up to its answered count, which they do for every value ``check_value`` lets
in; should they not (a value written behind its back), the scan runs again the plain way, one COUNT
per option, and says so in the log. Items whose values span too many fields (a 0-10 scale at 12
bits) and multiple-choice items (a bit mask per answer) are always counted the plain way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional
from weakref import WeakKeyDictionary

from flask import current_app
from sqlalchemy import BigInteger, cast, func, literal, select

from .extensions import db
from .models import slot_column
from .questionnaire import Definition

FIELD_BITS = 12     # fields count up to 4,095 rows per group; larger groups widen them
INT_BITS = 63       # a signed 64-bit sum: every field must fit below its sign bit
PLAIN = None        # bits for "no packing": one COUNT per option


class _Mismatch(Exception):
    """An item's fields do not add up to its answered count."""


@dataclass(frozen=True)
class _ItemPlan:
    """Where one item's figures sit among the aggregates: ``at`` its answered count, then either
    one packed sum (``lowest`` set) or one count per option value (``lowest`` None)."""

    item_id: str
    at: int
    values: tuple
    scaled: bool
    lowest: Optional[int]


@dataclass(frozen=True)
class CountPlan:
    columns: tuple
    items: tuple
    bits: Optional[int]

    def fits(self, largest_group: int) -> bool:
        return self.bits is PLAIN or largest_group < 1 << self.bits

    def read(self, figures, make: Callable) -> dict[str, Any]:
        """``figures``: a group's row count, then the plan's aggregates. ``make(item_id, n, counts,
        scaled)`` builds each item's result."""
        out = {}
        for item in self.items:
            n, at = figures[item.at], item.at + 1
            if item.lowest is None:
                counts = dict(zip(item.values, figures[at:at + len(item.values)]))
            else:
                counts = self._unpack(item, figures[at] or 0)
                if sum(counts.values()) != n:
                    raise _Mismatch(item.item_id)
            out[item.item_id] = make(item.item_id, n, counts, item.scaled)
        return out

    def _unpack(self, item: _ItemPlan, packed: int) -> dict[int, int]:
        bits, mask, lowest = self.bits, (1 << self.bits) - 1, item.lowest
        return {value: (packed >> bits * (value - lowest)) & mask for value in item.values}


_PLANS: "WeakKeyDictionary[Definition, dict]" = WeakKeyDictionary()


def count_plan(definition: Definition, bits: Optional[int] = FIELD_BITS,
               scaled_types: Iterable[str] = ()) -> CountPlan:
    """The aggregates for every choice item of ``definition``; built once per definition and width
    (building ~180 expressions costs more than SQLAlchemy's cached compile)."""
    plans, key = _PLANS.setdefault(definition, {}), (bits, frozenset(scaled_types))
    plan = plans.get(key)
    if plan is None:
        plan = plans[key] = _build(definition, bits, key[1])
    return plan


def _build(definition: Definition, bits: Optional[int], scaled_types: frozenset) -> CountPlan:
    columns, items = [], []
    for item_id, info in definition.items.items():
        if info.slot is None or info.item.type == "number":
            continue
        column = slot_column(info.slot)
        values = tuple(option.value for option in info.options)
        lowest = _packable_from(info.item.type, values, bits)
        items.append(_ItemPlan(item_id, len(columns) + 1, values, info.item.type in scaled_types, lowest))
        columns.append(func.count(column))
        if lowest is not None:
            shift = (column - lowest) * bits if lowest else column * bits
            columns.append(cast(func.sum(literal(1, BigInteger).op("<<")(shift)), BigInteger))
        else:
            columns.extend(_plain_counts(info.item.type, column, values))
    return CountPlan(tuple(columns), tuple(items), bits)


def _packable_from(item_type: str, values: tuple, bits: Optional[int]) -> Optional[int]:
    """The lowest value, when the item's values fit one packed sum; else None."""
    if bits is PLAIN or item_type == "multi_choice" or not values:
        return None
    lowest = min(values)
    return lowest if (max(values) - lowest + 1) * bits <= INT_BITS else None


def _plain_counts(item_type: str, column, values: tuple) -> list:
    if item_type == "multi_choice":
        return [func.count().filter(column.op("&")(1 << value) != 0) for value in values]
    return [func.count().filter(column == value) for value in values]


def scans(definition: Definition) -> bool:
    """Whether ``counted`` reads the database for this definition (it has a choice item)."""
    return bool(count_plan(definition).items)


def counted(definition: Definition, group: tuple, where: Iterable, make: Callable,
            on_row: Callable | None = None, scaled_types: Iterable[str] = ()) -> dict[Any, dict[str, Any]]:
    """Per value of the first of the ``group`` columns: every choice item's ``make(item_id, n, counts,
    scaled)``, from one scan grouped by ``group``. Rows sharing that value (a school's classes) are
    added up first: a packed sum adds like the counts it holds. ``on_row`` sees every result row;
    ``row[len(group)]`` is its group's row count."""
    where, bits = tuple(where), FIELD_BITS
    while True:
        plan = count_plan(definition, bits, scaled_types)
        if not plan.items:
            return {}
        totals = _totals(plan, group, where, on_row)
        largest = max((figures[0] for figures in totals.values()), default=0)
        if not plan.fits(largest):
            bits = largest.bit_length()  # the same scan with wider fields (or plain, if too wide)
            continue
        try:
            return {group_key: plan.read(figures, make) for group_key, figures in totals.items()}
        except _Mismatch as exc:
            current_app.logger.error("option counts of %s do not add up: counted again one per option", exc)
            bits = PLAIN


def _totals(plan: CountPlan, group: tuple, where: tuple, on_row) -> dict[Any, list]:
    query = select(*group, func.count(), *plan.columns).where(*where).group_by(*group)
    width, totals = len(group), {}
    for row in db.session.execute(query):
        if on_row is not None:
            on_row(row)
        group_key, figures = row[0], row[width:]
        have = totals.get(group_key)
        totals[group_key] = figures if have is None else [(a or 0) + (b or 0) for a, b in zip(have, figures)]
    return totals
