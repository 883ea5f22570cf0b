"""The dashboard's comparison with an earlier round, as a workbook: the same figures as the page.

Both rounds' figures come from the dashboard's own builders (``build_dashboard`` and
``comparison``), each hidden as its own campaign's release decides; a change is hidden when
either of its two figures is, so a hidden figure cannot be worked out from a shown difference.
The core's ``WorkbookWriter`` gives the print setup and the "figures as of" header.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask_babel import _

from .campaigns import definition_of
from .export import (Column, ResultShape, SheetSpec, WorkbookWriter, _participation, _participation_columns,
                     _result_columns, _result_values, _share, _suppression_note, figures_as_of, hidden_value,
                     percent_keys)
from .privacy import one_release
from .reports import Row, build_dashboard, comparison


def _change(now: Row, before: Row | None, primary: bool, percentage: bool) -> list[Any]:
    """Mean before, change, participation before: hidden whenever either round's figure is.
    A mean of percentages is written as a share, as the page's own columns are."""
    if not primary:
        return [before.agg.rate if before else None]
    if before is None:
        return [None, None, None]
    mean_before = hidden_value(before.reason) if before.hidden else _share(before.agg.mean, percentage)
    if now.hidden or before.hidden:
        change = hidden_value(now.reason or before.reason)
    elif now.agg.mean is None or before.agg.mean is None:
        change = None
    else:
        change = _share(round(now.agg.mean - before.agg.mean, 10), percentage)
    return [mean_before, change, before.agg.rate]


def comparison_rows(campaign, other, node, level: str | None) -> tuple[Any, ResultShape, list[list[Any]]]:
    """(the page's dashboard, its result columns' shape, one row for the unit viewed and one per
    unit or school under it)."""
    definition = definition_of(campaign)
    board = build_dashboard(campaign, definition, node, level)
    shape = ResultShape(board.measures, percent_keys(definition))
    wanted = [node.id] + [row.org.id for row in board.children]
    previous = comparison(campaign, other, node, level, wanted)
    own = Row(node.name, board.total, node, board.reason)
    primary = board.measures.primary is not None
    rows = []
    for row in [own] + board.children:
        rows.append([row.label, row.org.code, row.agg.schools, *_participation(row.agg),
                     *_result_values(row.agg, shape, row.reason),
                     *_change(row, previous.get(row.org.id), primary, None in shape.percent)])
    return board, shape, rows


def comparison_sheet(campaign, other, node, level: str | None, locale: str) -> SheetSpec:
    board, shape, rows = comparison_rows(campaign, other, node, level)
    columns = [Column(_("Name"), width=34), Column(_("Code")), Column(_("Schools"), "int"),
               *_participation_columns(), *_result_columns(shape, locale)]
    if board.measures.primary is not None:
        kind = "percent" if None in shape.percent else "float"
        columns += [Column(_("Mean before"), kind, 14), Column(_("Change"), kind, 12)]
    columns.append(Column(_("Participation before"), "percent", 14))
    note = _("Compared with %(other)s.", other=other.name) + " " + _suppression_note(board.k) + " " + _(
        "A change is hidden when either round's figure is hidden.")
    return SheetSpec(_("Comparison"), columns, rows, note=note)


def build_comparison_workbook(campaign, other, node, level: str | None, path: Path, locale: str) -> Path:
    with one_release():
        spec = comparison_sheet(campaign, other, node, level, locale)
        writer = WorkbookWriter(path, page_title=f"{campaign.name} / {other.name} — {node.name}",
                                as_of=_("Figures as of %(when)s", when=figures_as_of()))
        writer.add_sheet(spec)
        writer.close()
    return path
