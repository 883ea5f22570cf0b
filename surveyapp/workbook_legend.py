"""The legend sheet: what every code and abbreviation left in a workbook means.

Codes stay only where a reader needs them (the raw sheet's answer values, band ids, item codes
as column headings; a compact matrix's abbreviations); every sheet that keeps one says what it
means (``Column.codes`` / ``Column.meaning``, ``SheetSpec.legend``) and the core lists them all
here, under the sheet's name as written. A workbook with nothing coded gets no legend sheet."""
from __future__ import annotations

from typing import Any, Iterable, Optional

from flask_babel import _

from .export import Column, SheetSpec

LEGEND_ORDER = 2000   # after every other sheet, the raw data included


def legend_rows(written: Iterable[tuple[str, SheetSpec]]) -> list[list[Any]]:
    """[sheet, column, code, meaning] rows: the sheet's own terms first, then column by column."""
    rows: list[list[Any]] = []
    for name, spec in written:
        rows += [[name, None, term, meaning] for term, meaning in spec.legend]
        for column in spec.columns:
            if column.meaning:
                rows.append([name, column.header, None, column.meaning])
            rows += [[name, column.header, code, meaning] for code, meaning in (column.codes or {}).items()]
    return rows


def legend_sheet(written: Iterable[tuple[str, SheetSpec]]) -> Optional[SheetSpec]:
    rows = legend_rows(written)
    if not rows:
        return None
    columns = [Column(_("Sheet"), width=24), Column(_("Column"), width=18), Column(_("Code"), width=12),
               Column(_("Meaning"), "wrap", width=70)]
    return SheetSpec(_("Legend"), columns, rows, order=LEGEND_ORDER,
                     note=_("What each code and abbreviation in this workbook means."))
