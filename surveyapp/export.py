"""The campaign workbook. Only the core touches XlsxWriter; plugins hand it SheetSpecs.

Text is always written as a string (a typed "=HYPERLINK(...)" stays text), rows
are streamed in constant-memory mode, and raw rows are split across sheets
before Excel's row limit.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

import xlsxwriter
from flask import current_app
from flask_babel import _
from sqlalchemy import select

from .extensions import db
from .models import RESPONSE_SUBMITTED, ClassGroup, OrgUnit, Response
from .reports import distributions, min_group_size, participation, suppressed_keys

EXCEL_MAX_ROWS = 1_048_576
INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
Progress = Callable[[int, str], None]


class Suppressed:
    """A figure hidden because its group is under the minimum size; written as a visible mark."""

    def __repr__(self) -> str:
        return "Suppressed()"


SUPPRESSED = Suppressed()


@dataclass
class Column:
    header: str
    kind: str = "text"  # text | int | float | percent | date
    width: Optional[float] = None


@dataclass
class ChartSpec:
    title: str
    category_column: int
    value_columns: list[int]
    kind: str = "column"  # column | bar
    stacked: bool = False


@dataclass
class SheetSpec:
    name: str
    columns: list[Column]
    rows: Iterable[list[Any]]
    order: int = 100
    charts: list[ChartSpec] = field(default_factory=list)
    note: Optional[str] = None
    row_count_hint: int = 0


@dataclass
class ExportOptions:
    include_raw: bool = False
    department_wide: bool = True   # free text and personal data never go in
    locale: str = "vi"


def safe_sheet_name(name: str, taken: set[str]) -> str:
    base = INVALID_SHEET_CHARS.sub("-", name).strip("'") or "Sheet"
    base = base[:31]
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


class WorkbookWriter:
    def __init__(self, path: Path):
        self.path = path
        self.book = xlsxwriter.Workbook(str(path), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "default_date_format": "yyyy-mm-dd"})
        self.taken: set[str] = set()
        self.formats = {
            "header": self.book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True,
                                            "valign": "top"}),
            "text": None, "int": self.book.add_format({"num_format": "#,##0"}),
            "float": self.book.add_format({"num_format": "0.00"}),
            "percent": self.book.add_format({"num_format": "0.0%"}),
            "date": self.book.add_format({"num_format": "yyyy-mm-dd"}),
            "suppressed": self.book.add_format({"italic": True, "font_color": "#7F7F7F", "align": "right"}),
            "title": self.book.add_format({"bold": True, "font_size": 14}),
        }
        self.suppressed_text = _("suppressed (n < %(k)s)", k=min_group_size())

    def write_cell(self, sheet, row: int, col: int, value: Any, kind: str) -> None:
        if value is None:
            sheet.write_blank(row, col, None)
        elif isinstance(value, Suppressed):
            sheet.write_string(row, col, self.suppressed_text, self.formats["suppressed"])
        elif isinstance(value, str):
            sheet.write_string(row, col, value)
        elif isinstance(value, (dt.date, dt.datetime)):
            sheet.write_datetime(row, col, value, self.formats["date"])
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value)
        else:
            sheet.write_number(row, col, value, self.formats.get(kind))

    def add_sheet(self, spec: SheetSpec, progress: Optional[Callable[[int], None]] = None) -> list[str]:
        """Write one spec, splitting into several sheets before Excel's row limit."""
        names, sheet, written = [], None, 0
        first_row = 1 + (1 if spec.note else 0)
        limit = EXCEL_MAX_ROWS - first_row
        for row in spec.rows:
            if sheet is None or written == limit:
                if sheet is not None:
                    self._finish(sheet, spec, first_row, written, chart_ok=False)
                sheet = self._start(spec, len(names))
                names.append(sheet.name)
                written = 0
            for col, (value, column) in enumerate(zip(row, spec.columns)):
                self.write_cell(sheet, first_row + written, col, value, column.kind)
            written += 1
            if progress and written % 5000 == 0:
                progress(written)
        if sheet is None:
            sheet = self._start(spec, 0)
            names.append(sheet.name)
        self._finish(sheet, spec, first_row, written, chart_ok=len(names) == 1)
        return names

    def _start(self, spec: SheetSpec, part: int):
        name = spec.name if part == 0 else f"{spec.name[:26]} {part + 1}"
        sheet = self.book.add_worksheet(safe_sheet_name(name, self.taken))
        row = 0
        if spec.note:
            sheet.write_string(0, 0, spec.note)
            row = 1
        for col, column in enumerate(spec.columns):
            sheet.write_string(row, col, column.header, self.formats["header"])
            sheet.set_column(col, col, column.width or max(10, min(40, len(column.header) + 2)))
        sheet.freeze_panes(row + 1, 1 if len(spec.columns) > 1 else 0)
        return sheet

    def _finish(self, sheet, spec: SheetSpec, first_row: int, written: int, chart_ok: bool) -> None:
        if written:
            sheet.autofilter(first_row - 1, 0, first_row - 1 + written, len(spec.columns) - 1)
        if chart_ok and written:
            for index, chart in enumerate(spec.charts):
                self._chart(sheet, spec, chart, first_row, written, index)

    def _chart(self, sheet, spec: SheetSpec, chart_spec: ChartSpec, first_row: int, written: int, index: int) -> None:
        subtype = {"subtype": "stacked"} if chart_spec.stacked else {}
        chart = self.book.add_chart({"type": chart_spec.kind, **subtype})
        last = first_row + min(written, 60) - 1  # a readable chart: the first 60 rows
        for value_col in chart_spec.value_columns:
            chart.add_series({
                "name": [sheet.name, first_row - 1, value_col],
                "categories": [sheet.name, first_row, chart_spec.category_column, last, chart_spec.category_column],
                "values": [sheet.name, first_row, value_col, last, value_col],
            })
        chart.set_title({"name": chart_spec.title})
        chart.set_size({"width": 720, "height": 360})
        sheet.insert_chart(first_row, len(spec.columns) + 1 + 0 * index, chart, {"y_offset": 380 * index})

    def close(self) -> None:
        self.book.close()


# -- the core's own sheets --------------------------------------------------------------

def cover_sheet(campaign, org: OrgUnit, options: ExportOptions) -> SheetSpec:
    from .campaigns import version_label
    k = min_group_size()
    rows = [
        [_("Campaign"), campaign.name],
        [_("Module"), campaign.module],
        [_("Questionnaire version"), version_label(campaign)],
        [_("Scope"), org.name],
        [_("Window"), f"{campaign.opens_on or ''} – {campaign.closes_on or ''}"],
        [_("Exported on"), dt.date.today().isoformat()],
        [_("Suppression rule"), _("Groups with fewer than %(k)s responses are suppressed, with complementary "
                                  "suppression so that no hidden figure can be recovered by subtraction.", k=k)],
        [_("Content"), _("Aggregates only; no free text or personal data.") if options.department_wide
         else _("School-level workbook.")],
    ]
    return SheetSpec(_("Cover"), [Column(_("Field"), width=24), Column(_("Value"), width=90)], rows, order=0)


def summary_sheet(campaign, org: OrgUnit) -> SheetSpec:
    k = min_group_size()
    rows_data = participation(campaign, [org])
    counts = {row["school"].id: row["responses"] for row in rows_data}
    hidden = suppressed_keys(counts, k)
    rows = []
    for row in sorted(rows_data, key=lambda r: r["school"].path):
        school, n = row["school"], row["responses"]
        unit = school.parent.name if school.parent else ""
        shown = SUPPRESSED if school.id in hidden else n
        rate = SUPPRESSED if school.id in hidden else row["rate"]
        rows.append([unit, school.code, school.name, school.levels, shown, row["expected"], rate])
    columns = [Column(_("Unit"), width=28), Column(_("School code")), Column(_("School"), width=36),
               Column(_("Levels")), Column(_("Responses"), "int"), Column(_("Expected"), "int"),
               Column(_("Participation"), "percent")]
    chart = ChartSpec(_("Responses per school"), 2, [4])
    return SheetSpec(_("Summary"), columns, rows, order=10, charts=[chart],
                     note=_("Schools with fewer than %(k)s responses are suppressed.", k=k))


def items_sheet(campaign, definition, org: OrgUnit, locale: str) -> SheetSpec:
    """Distribution of every choice item across the whole scope."""
    where = Response.school_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(org.path)))
    per_item = distributions(campaign.id, definition, where=where).get(campaign.id, {})
    rows = []
    k = min_group_size()
    for item_id, dist in per_item.items():
        info = definition.items[item_id]
        for option in info.options:
            count = dist.counts.get(option.value, 0)
            share = count / dist.n if dist.n else None
            hidden = dist.n < k
            rows.append([info.item.code or item_id, info.item.text.get(locale), option.text.get(locale),
                         SUPPRESSED if hidden else count, SUPPRESSED if hidden else share])
    columns = [Column(_("Item"), width=10), Column(_("Question"), width=60), Column(_("Answer"), width=30),
               Column(_("Count"), "int"), Column(_("Share"), "percent")]
    return SheetSpec(_("Items"), columns, rows, order=20)


def raw_rows(campaign, definition, org: OrgUnit) -> Iterator[list[Any]]:
    """Anonymised raw rows streamed from the database: no free text, no ids of people."""
    slots = [(item_id, info.slot) for item_id, info in definition.items.items() if info.slot]
    columns = [OrgUnit.code, ClassGroup.name, Response.grade, Response.submitted_on, Response.total,
               Response.band] + [getattr(Response, f"v{slot}") for _, slot in slots]
    query = (select(*columns).select_from(Response).join(OrgUnit, Response.school_id == OrgUnit.id)
             .outerjoin(ClassGroup, Response.class_group_id == ClassGroup.id)
             .where(Response.campaign_id == campaign.id, Response.status == RESPONSE_SUBMITTED,
                    OrgUnit.path.startswith(org.path))
             .order_by(Response.id).execution_options(yield_per=5000))
    for row in db.session.execute(query):
        yield list(row)


def raw_sheet(campaign, definition, org: OrgUnit, total: int) -> SheetSpec:
    slots = [info for info in definition.items.values() if info.slot]
    columns = [Column(_("School code")), Column(_("Class")), Column(_("Grade"), "int"),
               Column(_("Date"), "date"), Column(_("Total"), "float"), Column(_("Band"))]
    columns += [Column(info.item.code or info.item.id, "int", width=8) for info in slots]
    return SheetSpec(_("Raw data"), columns, raw_rows(campaign, definition, org), order=1000,
                     row_count_hint=total)


# -- building -----------------------------------------------------------------------------

def collect_sheets(campaign, org: OrgUnit, options: ExportOptions) -> list[SheetSpec]:
    from . import get_registry
    from .campaigns import definition_of
    from .storage import count_submitted
    definition = definition_of(campaign)
    sheets = [cover_sheet(campaign, org, options), summary_sheet(campaign, org),
              items_sheet(campaign, definition, org, options.locale)]
    for contributed in get_registry().hook.export_sheets(campaign=campaign, org=org, options=options):
        sheets.extend(contributed or [])
    if options.include_raw:
        sheets.append(raw_sheet(campaign, definition, org, count_submitted(campaign.id)))
    return sorted(sheets, key=lambda s: s.order)


def build_workbook(campaign, org: OrgUnit, path: Path, options: ExportOptions,
                   progress: Optional[Progress] = None) -> Path:
    """Write the workbook to a temporary name and rename it only when complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    progress = progress or (lambda pct, msg: None)
    try:
        sheets = collect_sheets(campaign, org, options)
        writer = WorkbookWriter(partial)
        for index, spec in enumerate(sheets):
            base = int(90 * index / len(sheets))
            span = max(1, int(90 / len(sheets)))
            hint = spec.row_count_hint

            def step(done: int, base=base, span=span, hint=hint, name=spec.name) -> None:
                if hint:
                    progress(base + int(span * min(done, hint) / hint), name)

            progress(base, spec.name)
            writer.add_sheet(spec, step)
        progress(95, _("Saving"))
        writer.close()
        os.replace(partial, path)
        progress(100, _("Done"))
        return path
    except BaseException:
        if partial.exists():
            partial.unlink()
        raise
