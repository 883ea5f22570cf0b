"""Option counts of every choice item in ONE scan, with one SUM per item instead of one COUNT per option.

Each answer adds ``1 << BITS * (value - lowest)`` to its item's sum, so the sum holds the count of
every option in a field of its own, BITS wide (a positional number in base 2**BITS). Reading the
fields back gives exactly the counts ``COUNT(*) FILTER (WHERE v = value)`` would, while the database
updates 2 aggregates per item instead of 6 (five options): the city report's statement at full size
falls from 0.87 s to 0.5 s on PostgreSQL (docs/performance.md, "Packed option counts").

The fields are exact only while no group has 2**BITS rows or more, so the scan is always grouped by
school as well (finer groups are added up here): a ward or the whole city is never one SQL group. A
school with 2**BITS rows or more makes the scan run again with fields wide enough for it. Each item's
fields must also add up to its answered count, which they do for every value ``check_value`` lets in;
should they not (a value written behind its back), or should a sum overflow SQLite's 64-bit integer,
the scan runs again the plain way, one COUNT per option, and says so in the log. Items whose values
span too many fields (a 0-10 scale at 12 bits) and multiple-choice items (a bit mask per answer) are
always counted the plain way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional
from weakref import WeakKeyDictionary

from flask import current_app
from sqlalchemy import BigInteger, func, literal, select
from sqlalchemy.exc import OperationalError

from .extensions import db
from .models import Response, slot_column
from .questionnaire import Definition

FIELD_BITS = 12     # fields count up to 4,095 rows per school; a bigger school widens them
INT_BITS = 63       # a signed 64-bit sum: every field must fit below its sign bit
PLAIN = None        # bits for "no packing": one COUNT per option


class _Mismatch(Exception):
    """An item's fields do not add up to its answered count."""


@dataclass(frozen=True)
class _ItemPlan:
    """Where one item's figures sit among the aggregates: ``at`` its answered count, then either
    one packed sum (``shifts``: each option's field) or one count per option value (``shifts`` None)."""

    item_id: str
    at: int
    values: tuple
    scaled: bool
    shifts: Optional[tuple]


@dataclass(frozen=True)
class CountPlan:
    columns: tuple
    items: tuple
    bits: Optional[int]

    def fits(self, rows: int) -> bool:
        """Whether a group of ``rows`` rows leaves every field exact."""
        return self.bits is PLAIN or rows < 1 << self.bits

    def read(self, figures) -> list[tuple[int, tuple]]:
        """``figures``: a group's row count, then the plan's aggregates. Per item: (n, counts in
        ``values`` order)."""
        out = []
        for item in self.items:
            n, at = figures[item.at], item.at + 1
            if item.shifts is None:
                counts = tuple(figures[at:at + len(item.values)])
            else:
                packed, mask = int(figures[at] or 0), (1 << self.bits) - 1
                counts = tuple((packed >> shift) & mask for shift in item.shifts)
                if sum(counts) != n:
                    raise _Mismatch(item.item_id)
            out.append((n, counts))
        return out


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


def _choice_items(definition: Definition):
    """(item id, info) of every item stored as an option value (not text, not a free number)."""
    return [(item_id, info) for item_id, info in definition.items.items()
            if info.slot is not None and info.item.type != "number"]


def _build(definition: Definition, bits: Optional[int], scaled_types: frozenset) -> CountPlan:
    columns, items = [], []
    for item_id, info in _choice_items(definition):
        column = slot_column(info.slot)
        values = tuple(option.value for option in info.options)
        lowest = _packable_from(info.item.type, values, bits)
        shifts = None if lowest is None else tuple(bits * (value - lowest) for value in values)
        items.append(_ItemPlan(item_id, len(columns) + 1, values, info.item.type in scaled_types, shifts))
        columns.append(func.count(column))
        if lowest is not None:
            shift = (column - lowest) * bits if lowest else column * bits
            # no CAST: PostgreSQL's SUM(bigint) is exact beyond 64 bits, so a big school cannot break it
            columns.append(func.sum(literal(1, BigInteger).op("<<")(shift)))
        else:
            columns.extend(_plain_counts(info.item.type, column, values))
    return CountPlan(tuple(columns), tuple(items), bits)


def _packable_from(item_type: str, values: tuple, bits: Optional[int]) -> Optional[int]:
    """The lowest value, when the item's values fit one packed sum; else None."""
    if bits is PLAIN or item_type == "multi_choice" or not values:
        return None
    lowest = min(values)
    return lowest if (max(values) - lowest + 1) * bits <= INT_BITS else None


def count_if(condition):
    """COUNT(*) FILTER (WHERE condition): the aggregate FILTER clause is cheaper than
    SUM(CASE ...) on both PostgreSQL and SQLite (>= 3.30; submitting already needs the
    3.35 of RETURNING), and a count is never NULL."""
    return func.count().filter(condition)


def _plain_counts(item_type: str, column, values: tuple) -> list:
    if item_type == "multi_choice":
        return [count_if(column.op("&")(1 << value) != 0) for value in values]
    return [count_if(column == value) for value in values]


def scans(definition: Definition) -> bool:
    """Whether ``counted`` reads the database for this definition (it has a choice item)."""
    return bool(_choice_items(definition))


def counted(definition: Definition, group: tuple, where: Iterable, make: Callable,
            on_row: Callable | None = None, scaled_types: Iterable[str] = ()) -> dict[Any, dict[str, Any]]:
    """Per value of the first of the ``group`` columns: every choice item's ``make(item_id, n, counts,
    scaled)``, from one scan grouped by ``group`` (and by school). ``on_row`` then sees every result
    row of that scan; ``row[len(group)]`` is its group's row count (``group`` must then hold the school)."""
    where, bits = tuple(where), FIELD_BITS
    grouping = tuple(group) + (() if any(column is Response.school_id for column in group)
                               else (Response.school_id,))
    while True:
        plan = count_plan(definition, bits, scaled_types)
        if not plan.items:
            return {}
        try:
            rows = db.session.execute(select(*grouping, func.count(), *plan.columns)
                                      .where(*where).group_by(*grouping)).all()
        except OperationalError as exc:  # SQLite: a sum past 2**63 (a school of ~33,000 on one option)
            if bits is PLAIN or "integer overflow" not in str(exc):
                raise
            bits = _again_plain("a sum overflows")
            continue
        width = len(grouping)
        largest = max((row[width] for row in rows), default=0)
        if not plan.fits(largest):
            bits = largest.bit_length()  # the same scan with wider fields (or plain, if too wide)
            continue
        try:
            totals = _added_up(plan, rows, width)
        except _Mismatch as exc:
            bits = _again_plain(f"the fields of {exc} do not add up")
            continue
        break
    for row in rows if on_row is not None else ():
        on_row(row)
    return {key: {item.item_id: make(item.item_id, n, dict(zip(item.values, counts)), item.scaled)
                  for item, (n, counts) in zip(plan.items, figures)}
            for key, figures in totals.items()}


def _again_plain(why: str) -> Optional[int]:
    current_app.logger.error("option counts: %s; counted again one COUNT per option", why)
    return PLAIN


def _added_up(plan: CountPlan, rows: list, width: int) -> dict[Any, list[tuple[int, tuple]]]:
    """Per first group column, each item's (n, counts). A key's packed sums are added before they are
    read while its rows together still fit the fields (a school's classes); else each row is read and
    the counts are added (a ward's schools)."""
    per_key: dict[Any, list] = {}
    for row in rows:
        per_key.setdefault(row[0], []).append(row[width:])
    totals = {}
    for key, figure_rows in per_key.items():
        if len(figure_rows) == 1:
            totals[key] = plan.read(figure_rows[0])
        elif plan.fits(sum(figures[0] for figures in figure_rows)):
            totals[key] = plan.read([sum(filter(None, column)) for column in zip(*figure_rows)])
        else:
            read = [plan.read(figures) for figures in figure_rows]
            totals[key] = [(sum(n for n, _ in per_item), tuple(map(sum, zip(*(c for _, c in per_item)))))
                           for per_item in zip(*read)]
    return totals
