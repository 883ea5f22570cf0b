"""The campaign workbook. Only the core touches XlsxWriter; plugins hand it SheetSpecs.

Text is always written as a string (a typed "=HYPERLINK(...)" stays text), rows
are streamed in constant-memory mode, and raw rows are split across sheets
before Excel's row limit. The summaries come from the same aggregate as the
dashboard (``reports.aggregate``, here one GROUP BY school and class summed to
schools, so the classes sheet needs no scan of its own), so the workbook and the page agree.
Free text goes only into a school's own workbook, never a department-wide one.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

import xlsxwriter
from flask_babel import _
from sqlalchemy import String, select, type_coerce
from xlsxwriter.worksheet import Worksheet

from .extensions import db
from .labels import level_label, module_installed, module_label
from .ordering import grade_key, natural_key, tree_order
from .respondent_kinds import by_class
from .models import RESPONSE_SUBMITTED, ClassGroup, OrgUnit, Response
from .questionnaire.schema import TEXT_TYPES
from .privacy import COMPLEMENTARY, SMALL, one_release, reason_text, release_for, rule_text, threshold
from .privacy.items import hide_items
from .reports import (Agg, Measures, Row, _by_school_and_class, _distributions, _rolled_up, apply_release,
                      campaign_schools, laggards_first, level_rows, measures_of, min_group_size, node_reason,
                      org_rows, subtree)

EXCEL_MAX_ROWS = 1_048_576
INVALID_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
Progress = Callable[[int, str], None]


class Suppressed:
    """A hidden figure, written as a visible mark that says why (``privacy.SMALL`` or
    ``privacy.COMPLEMENTARY``; no reason reads as the small-group mark)."""

    def __init__(self, reason: str | None = None):
        self.reason = reason

    def __repr__(self) -> str:
        return f"Suppressed({self.reason!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Suppressed) and other.reason == self.reason

    def __hash__(self) -> int:
        return hash(("Suppressed", self.reason))


class Share(float):
    """A percentage as a share (0-1) in a column of mixed figures (the indicators sheet):
    written in the percent format whatever the column's kind."""


SUPPRESSED = Suppressed()
SUPPRESSED_SMALL = Suppressed(SMALL)
SUPPRESSED_COMPLEMENTARY = Suppressed(COMPLEMENTARY)


def hidden_value(reason: str | None) -> Suppressed:
    return SUPPRESSED_COMPLEMENTARY if reason == COMPLEMENTARY else SUPPRESSED_SMALL


class RawDataRefused(Exception):
    """Row-level data of an anonymous campaign asked for above one school, or not by the school itself."""


@dataclass
class Column:
    header: str
    # text | wrap (long text, wrapped) | int | code (an answer's code: no number format) | float | percent | date
    kind: str = "text"
    width: Optional[float] = None
    # A column of codes says what they mean: the core lists both on the workbook's legend sheet.
    codes: Optional[dict[Any, str]] = None
    meaning: Optional[str] = None


@dataclass
class ChartSpec:
    title: str
    category_column: int
    value_columns: list[int]
    kind: str = "column"  # column | bar
    stacked: bool = False
    y_format: Optional[str] = None  # number format of the value axis, e.g. "0%"
    # The value axis starts at zero unless told otherwise (a mean on a 1-5 scale starts at 1 and
    # its title says so): an axis starting near the data exaggerates small differences.
    value_min: Optional[float] = 0
    value_max: Optional[float] = None


@dataclass
class SheetSpec:
    name: str
    columns: list[Column]
    rows: Iterable[list[Any]]
    order: int = 100
    charts: list[ChartSpec] = field(default_factory=list)
    note: Optional[str] = None
    row_count_hint: int = 0
    conditional_formats: list["ConditionalFormat"] = field(default_factory=list)
    one_page: bool = False  # printed on a single page (the cover)
    legend: list[tuple[str, str]] = field(default_factory=list)  # (abbreviation, meaning) for the legend sheet


@dataclass
class ConditionalFormat:
    """Colour the data cells of columns ``first_column..last_column`` that equal ``equals``."""

    first_column: int
    last_column: int
    equals: Any
    bg_color: Optional[str] = None
    font_color: Optional[str] = None
    bold: bool = False


@dataclass
class IndicatorRow:
    """One figure for upward reporting (``export_indicators`` hook).

    ``key`` names an indicator of ``surveyapp/indicators.yaml`` (its name, appendix
    and code then come from there). A code is printed only when the pair
    (appendix, code) is confirmed in that file; anything else is marked unverified."""

    name: str = ""
    value: Any = None
    unit: str = ""
    code: Optional[str] = None
    verified: bool = False
    appendix: Optional[str] = None
    key: Optional[str] = None
    note: str = ""
    order: int = 100


@dataclass
class ExportOptions:
    include_raw: bool = False
    department_wide: bool = True   # free text and personal data never go in
    locale: str = "vi"
    own_school: bool = False       # asked by the school's own staff (their role is at the school itself)


def safe_sheet_name(name: str, taken: set[str]) -> str:
    base = INVALID_SHEET_CHARS.sub("-", name).strip("'") or "Sheet"
    base = base[:31]
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


# Printing: A4; a sheet wider than this many character widths is printed landscape. Every sheet is
# scaled to one page wide, so a wide table never spills onto pages to its right.
A4_PAPER, PORTRAIT_WIDTH = 9, 95
CHART_CATEGORIES = 25          # categories a chart shows at most; the table has them all
CHART_WIDTH, CHART_HEIGHT, ROW_PX, CHAR_PX = 760, 380, 20, 7


def header_text(text: str) -> str:
    """User text for an Excel page header: '&' starts a control code there, so it is doubled."""
    return text.replace("&", "&&")


# The value type a column of each kind normally holds: such cells skip write_cell's dispatch.
EXPECTED_TYPE: dict[str, type] = {"text": str, "wrap": str, "int": int, "code": int, "float": float, "percent": float,
                                  "date": dt.date}


class StreamingWorksheet(Worksheet):
    """XlsxWriter's worksheet with a leaner per-cell path for long sheets; the XML it writes is the same."""

    def _escape_attributes(self, attribute):
        # A cell's style index is an int: the base class regex-searches it and catches the TypeError.
        if attribute.__class__ is int:
            return attribute
        return super()._escape_attributes(attribute)

    def writer_for(self, value_type: type) -> Callable[..., Any]:
        """The write method for cells of exactly ``value_type``, without the public methods' A1-notation
        wrapper (rows and columns are always numbers here)."""
        return {str: self._write_string, int: self._write_number, float: self._write_number,
                dt.date: self._write_datetime}[value_type]


class WorkbookWriter:
    def __init__(self, path: Path, page_title: str = "", as_of: str = ""):
        """``page_title`` (campaign and scope) and ``as_of`` ("figures as of" date and time) head
        every printed page."""
        self.path = path
        self.book = xlsxwriter.Workbook(str(path), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "default_date_format": "dd/mm/yyyy"})
        self.page_header = (f"&L{header_text(page_title)[:120]}&R{header_text(as_of)[:80]}"
                            if page_title or as_of else "")
        self.page_footer = "&L&A&R" + header_text(_("Page")) + " &P / &N"
        self.taken: set[str] = set()
        self.formats = {
            "header": self.book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True,
                                            "valign": "top"}),
            "text": None, "wrap": self.book.add_format({"text_wrap": True, "valign": "top"}),
            "int": self.book.add_format({"num_format": "#,##0"}),
            "code": None,  # an answer's code (1-5, a bit mask): a plain number, no thousands separator
            "float": self.book.add_format({"num_format": "0.00"}),
            "percent": self.book.add_format({"num_format": "0.0%"}),
            "date": self.book.add_format({"num_format": "dd/mm/yyyy"}),
            "suppressed": self.book.add_format({"italic": True, "font_color": "#7F7F7F", "align": "right"}),
            "title": self.book.add_format({"bold": True, "font_size": 14}),
            "note": self.book.add_format({"italic": True, "font_color": "#595959"}),
        }
        self.suppressed_text = {reason: suppressed_mark(reason) for reason in (None, SMALL, COMPLEMENTARY)}

    def write_cell(self, sheet, row: int, col: int, value: Any, kind: str) -> None:
        if value is None:
            sheet.write_blank(row, col, None)
        elif isinstance(value, Suppressed):
            sheet.write_string(row, col, self.suppressed_text[value.reason], self.formats["suppressed"])
        elif isinstance(value, str):
            sheet.write_string(row, col, value)
        elif isinstance(value, Share):
            sheet.write_number(row, col, value, self.formats["percent"])
        elif isinstance(value, (dt.date, dt.datetime)):
            sheet.write_datetime(row, col, value, self.formats["date"])
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value)
        elif isinstance(value, (int, float)):
            sheet.write_number(row, col, value, self.formats.get(kind))
        else:  # anything else a plugin hands over is shown as text, never interpreted
            sheet.write_string(row, col, str(value))

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
                write_row = self._row_writer(sheet, spec.columns)
            write_row(first_row + written, row)
            written += 1
            if progress and written % 5000 == 0:
                progress(written)
        if sheet is None:
            sheet = self._start(spec, 0)
            names.append(sheet.name)
        self._finish(sheet, spec, first_row, written, chart_ok=len(names) == 1)
        return names

    def _row_writer(self, sheet, columns: list[Column]) -> Callable[[int, list[Any]], None]:
        """Writes one row. A value of its column's expected type goes straight to the matching XlsxWriter
        method with the format write_cell would give it; anything else (None, suppressed, a plugin's
        odd value) goes through write_cell, so every cell comes out exactly as write_cell writes it."""
        plan = []
        for col, column in enumerate(columns):
            expected = EXPECTED_TYPE.get(column.kind)
            write = sheet.writer_for(expected) if expected else None
            plan.append((col, column.kind, expected, write, self.formats.get(column.kind)))
        write_cell = self.write_cell

        def write_row(row: int, values: list[Any]) -> None:
            for (col, kind, expected, write, cell_format), value in zip(plan, values):
                if value.__class__ is expected:
                    write(row, col, value, cell_format)
                else:
                    write_cell(sheet, row, col, value, kind)
        return write_row

    def _start(self, spec: SheetSpec, part: int):
        name = spec.name if part == 0 else f"{spec.name[:26]} {part + 1}"
        sheet = self.book.add_worksheet(safe_sheet_name(name, self.taken), worksheet_class=StreamingWorksheet)
        row = 0
        if spec.note:
            sheet.write_string(0, 0, spec.note, self.formats["note"])
            row = 1
        widths = [column_width(column) for column in spec.columns]
        self._page_setup(sheet, spec, widths, row)
        for col, column in enumerate(spec.columns):
            sheet.write_string(row, col, column.header, self.formats["header"])
            sheet.set_column(col, col, widths[col])
        sheet.freeze_panes(row + 1, 1 if len(spec.columns) > 1 else 0)
        return sheet

    def _page_setup(self, sheet, spec: SheetSpec, widths: list[float], header_row: int) -> None:
        """A4, one page wide (landscape when wide), the header row repeated on every page, the
        campaign, scope and "figures as of" in the page header, sheet name and page number below."""
        sheet.set_paper(A4_PAPER)
        if sum(widths) > PORTRAIT_WIDTH and not spec.one_page:
            sheet.set_landscape()
        sheet.fit_to_pages(1, 1 if spec.one_page else 0)
        sheet.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
        if not spec.one_page:
            sheet.repeat_rows(header_row)
        if self.page_header:
            sheet.set_header(self.page_header)
        sheet.set_footer(self.page_footer)
        # Wrapped headers need a row tall enough for their longest one (Excel does not grow it).
        lines = max((math.ceil(len(c.header) / max(1.0, w - 1)) for c, w in zip(spec.columns, widths)), default=1)
        sheet.set_row(header_row, 15 * max(1, lines))

    def _finish(self, sheet, spec: SheetSpec, first_row: int, written: int, chart_ok: bool) -> None:
        last_row, last_col = first_row - 1 + written, len(spec.columns) - 1
        if written:
            sheet.autofilter(first_row - 1, 0, last_row, last_col)
        if chart_ok and written and spec.charts:
            top = last_row + 2   # charts sit under the table, one under the other, inside the printed area
            for chart in spec.charts:
                height = chart_height(chart, written)
                self._chart(sheet, chart, first_row, written, top, height)
                top += math.ceil(height / ROW_PX) + 1
            last_row = top
            last_col = max(last_col, _columns_spanned([column_width(c) for c in spec.columns], CHART_WIDTH))
        sheet.print_area(0, 0, max(last_row, first_row - 1), last_col)
        if written:
            for rule in spec.conditional_formats:
                self._conditional(sheet, rule, first_row, written)

    def _conditional(self, sheet, rule: "ConditionalFormat", first_row: int, written: int) -> None:
        style = {key: value for key, value in (("bg_color", rule.bg_color), ("font_color", rule.font_color),
                                               ("bold", rule.bold)) if value}
        value = rule.equals
        if isinstance(value, str):  # a text criterion is a quoted Excel string
            value = '"' + value.replace('"', '""') + '"'
        sheet.conditional_format(first_row, rule.first_column, first_row + written - 1, rule.last_column,
                                 {"type": "cell", "criteria": "==", "value": value,
                                  "format": self.book.add_format(style)})

    def _chart(self, sheet, chart_spec: ChartSpec, first_row: int, written: int, top: int, height: int) -> None:
        subtype = {"subtype": "stacked"} if chart_spec.stacked else {}
        chart = self.book.add_chart({"type": chart_spec.kind, **subtype})
        shown = min(written, CHART_CATEGORIES)  # a readable chart: the table's first rows
        last = first_row + shown - 1
        for value_col in chart_spec.value_columns:
            chart.add_series({
                "name": [sheet.name, first_row - 1, value_col],
                "categories": [sheet.name, first_row, chart_spec.category_column, last, chart_spec.category_column],
                "values": [sheet.name, first_row, value_col, last, value_col],
            })
        title = chart_spec.title
        if shown < written:
            title += " " + _("(first %(n)s of %(total)s rows; all are in the table)", n=shown, total=written)
        chart.set_title({"name": title, "name_font": {"size": 11}})
        chart.set_legend({"position": "bottom"} if len(chart_spec.value_columns) > 1 else {"none": True})
        value_axis, category_axis = ((chart.set_x_axis, chart.set_y_axis) if chart_spec.kind == "bar"
                                     else (chart.set_y_axis, chart.set_x_axis))
        scale = {key: value for key, value in (("num_format", chart_spec.y_format), ("min", chart_spec.value_min),
                                               ("max", chart_spec.value_max)) if value is not None}
        value_axis(scale)
        # Every category labelled in full (rotated on a column chart), none skipped.
        category_axis({"interval_unit": 1, "num_font": {"rotation": -45} if chart_spec.kind == "column" else {},
                       "reverse": chart_spec.kind == "bar"})
        chart.set_size({"width": CHART_WIDTH, "height": height})
        sheet.insert_chart(top, 0, chart)

    def close(self) -> None:
        self.book.close()


# -- the core's own sheets --------------------------------------------------------------

def chart_height(chart: ChartSpec, rows: int) -> int:
    """A bar chart grows with its categories so that every label is readable."""
    shown = min(rows, CHART_CATEGORIES)
    return max(CHART_HEIGHT, 18 * shown * max(1, len(chart.value_columns) // 2) + 120) \
        if chart.kind == "bar" else CHART_HEIGHT


def column_width(column: Column) -> float:
    return column.width or max(10, min(40, len(column.header) + 2))


def _columns_spanned(widths: list[float], pixels: int) -> int:
    """The index of the last column a drawing ``pixels`` wide covers from column A."""
    covered, col = 0.0, 0
    while True:
        covered += (widths[col] if col < len(widths) else 8.43) * CHAR_PX + 5
        if covered >= pixels:
            return col
        col += 1


def cover_sheet(campaign, org: OrgUnit, options: ExportOptions, definition=None) -> SheetSpec:
    from .campaigns import version_label
    k = release_for(campaign).k
    title = definition.title(options.locale) if definition is not None else campaign.module
    rows = [
        [_("Campaign"), campaign.name],
        [_("Questionnaire"), title],
        [_("Module"), module_label(campaign.module)],
        [_("Questionnaire version"), version_label(campaign)],
        [_("Scope"), f"{org.name} ({org.code})"],
        [_("Window"), campaign_window(campaign)],
        [_("Figures as of"), figures_as_of()],
        [_("Suppression rule"), rule_text(k)],
        [_("Suppressed cells"), _("shown as \"%(small)s\" or \"%(complementary)s\", never left empty",
                                  small=suppressed_mark(SMALL), complementary=suppressed_mark(COMPLEMENTARY))],
        [_("Content"), _("Aggregates only; no free text or personal data.") if options.department_wide
         else _("School-level workbook: aggregates, and free-text answers only when at least %(k)s responses.",
                k=min_group_size(free_text=True))],
    ]
    if not module_installed(campaign.module):
        rows.append([_("Module sheets"), _("Not included: the module is not installed. The other sheets are computed "
                                           "from the questionnaire stored with the campaign.")])
    return SheetSpec(_("Cover"), [Column(_("Field"), "wrap", width=24), Column(_("Value"), "wrap", width=70)], rows,
                     order=0, one_page=True)


def vn_date(day: Optional[dt.date]) -> str:
    """dd/mm/yyyy, as Vietnamese documents write dates."""
    return day.strftime("%d/%m/%Y") if day else ""


def campaign_window(campaign) -> str:
    if campaign.opens_on and campaign.closes_on:
        return f"{vn_date(campaign.opens_on)} – {vn_date(campaign.closes_on)}"
    if campaign.opens_on:
        return _("from %(day)s", day=vn_date(campaign.opens_on))
    if campaign.closes_on:
        return _("until %(day)s", day=vn_date(campaign.closes_on))
    return _("no fixed dates")


def figures_as_of(now: Optional[dt.datetime] = None) -> str:
    """The local date and time the figures were read (the department's time zone)."""
    from zoneinfo import ZoneInfo
    from flask import current_app
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Ho_Chi_Minh")
    return (now or dt.datetime.now(zone)).astimezone(zone).strftime("%d/%m/%Y %H:%M")


def suppressed_mark(reason: str | None = None) -> str:
    return reason_text(reason, min_group_size())


@dataclass(frozen=True)
class ResultShape:
    """What the result columns need of a ``Summary``: its measures and which are percentages."""

    measures: Measures
    percent: frozenset = frozenset()


def _result_columns(summary: "Summary | ResultShape", locale: str) -> list[Column]:
    measures, percent = summary.measures, summary.percent
    columns = []
    if measures.primary is not None:
        columns.append(Column(_("Mean: %(scale)s", scale=measures.primary.get(locale)),
                              "percent" if None in percent else "float", 14))
    columns += [Column(label.get(locale), "percent", 12) for _key, label in measures.bands]
    columns += [Column(label.get(locale), "percent", 12) for _key, label in measures.outcomes]
    columns += [Column(_("Mean: %(scale)s", scale=label.get(locale)), "percent" if key in percent else "float", 14)
                for key, label in measures.scales]
    return columns


def _result_values(agg: Agg, summary: "Summary | ResultShape", reason: str | None) -> list[Any]:
    measures, percent = summary.measures, summary.percent
    values: list[Any] = [_share(agg.mean, None in percent)] if measures.primary is not None else []
    values += [agg.share("bands", key) for key, _label in measures.bands]
    values += [agg.share("outcomes", key) for key, _label in measures.outcomes]
    values += [_share(agg.scale_mean(key), key in percent) for key, _label in measures.scales]
    return [hidden_value(reason) if reason else value for value in values]


def _share(value: Optional[float], percentage: bool) -> Optional[float]:
    """A mean of percentages (0-100) as the share a percent format expects (0-1)."""
    return value / 100 if percentage and value is not None else value


def percent_keys(definition) -> frozenset:
    """The scales scored as a percentage (``scoring.PERCENT_METHODS``); None stands for the primary one."""
    from .scoring import PERCENT_METHODS
    scoring = definition.model.scoring
    if scoring is None:
        return frozenset()
    keys = {None if scale.id == scoring.primary else scale.id
            for scale in scoring.scales if scale.method in PERCENT_METHODS}
    return frozenset(keys)


def _participation(agg: Agg) -> list[Any]:
    return [agg.n, agg.expected, agg.rate]


def _participation_columns() -> list[Column]:
    return [Column(_("Responses"), "int", 12), Column(_("Expected"), "int", 12),
            Column(_("Participation"), "percent", 14)]


@dataclass
class Summary:
    """The campaign's figures under one unit: one SQL aggregate per (school, class), summed to schools
    and rolled up to units; the classes sheet reads ``per_class`` from the same scan."""

    measures: Measures
    orgs: list[OrgUnit]
    totals: dict[int, Agg]
    k: int
    level: Optional[str] = None
    per_class: dict[int, Agg] = field(default_factory=dict)
    release: Any = None
    node: Optional[OrgUnit] = None
    percent: frozenset = frozenset()   # ``percent_keys``: scales shown as shares

    @classmethod
    def build(cls, campaign, definition, org: OrgUnit, level: Optional[str] = None) -> "Summary":
        measures = measures_of(definition)
        orgs = tree_order(subtree(org))
        schools = campaign_schools(campaign, orgs, level)
        per_school, per_class = _by_school_and_class(campaign, measures, org, level)
        totals = _rolled_up(campaign, definition, org, schools, level, per_school)
        release = release_for(campaign)
        return cls(measures, [o for o in orgs if o.id in totals], totals, release.k, level, per_class, release, org,
                   percent_keys(definition))

    def rows(self, kind: str) -> list[Row]:
        chosen = [o for o in self.orgs if (o.kind == "school") == (kind == "school")]
        return org_rows([Row(o.name, self.totals[o.id], o) for o in chosen], self.release, self.level)


def units_sheet(summary: Summary, locale: str) -> SheetSpec:
    names = {o.id: o.name for o in summary.orgs}
    rows = [[row.label, row.org.code, names.get(row.org.parent_id, ""), row.agg.schools, *_participation(row.agg),
             *_result_values(row.agg, summary, row.reason)] for row in summary.rows("unit")]
    columns = [Column(_("Unit"), width=34), Column(_("Code")), Column(_("Parent unit"), width=28),
               Column(_("Schools"), "int"), *_participation_columns(), *_result_columns(summary, locale)]
    charts = [ChartSpec(_("Participation by unit"), 0, [6], y_format="0%")]
    if summary.measures.primary is not None:
        charts.append(ChartSpec(_("Mean score by unit"), 0, [7], y_format="0%" if None in summary.percent else None))
    return SheetSpec(_("Units"), columns, rows, order=10, charts=charts, note=_suppression_note(summary.k))


def schools_sheet(summary: Summary, locale: str) -> SheetSpec:
    """Per school, laggards first (the chart then shows the schools that need a reminder)."""
    names = {o.id: o.name for o in summary.orgs}
    rows = [[names.get(row.org.parent_id, ""), row.org.code, row.label,
             ", ".join(level_label(level) for level in row.org.level_list), *_participation(row.agg),
             *_result_values(row.agg, summary, row.reason)]
            for row in laggards_first(summary.rows("school"))]
    columns = [Column(_("Unit"), width=28), Column(_("School code")), Column(_("School"), width=36),
               Column(_("Levels")), *_participation_columns(), *_result_columns(summary, locale)]
    charts = [ChartSpec(_("Participation by school (lowest first)"), 2, [6], kind="bar", y_format="0%")]
    return SheetSpec(_("Schools"), columns, rows, order=11, charts=charts, note=_suppression_note(summary.k))


def levels_sheet(summary: Summary, locale: str) -> SheetSpec:
    schools = [o for o in summary.orgs if o.kind == "school"]
    rows = [[level_label(row.key), row.agg.schools, *_participation(row.agg),
             *_result_values(row.agg, summary, row.reason)]
            for row in level_rows(schools, summary.totals, summary.release, summary.node, summary.level)]
    columns = [Column(_("School level"), width=16), Column(_("Schools"), "int"), *_participation_columns(),
               *_result_columns(summary, locale)]
    charts = [ChartSpec(_("Participation by school level"), 0, [4], y_format="0%")]
    return SheetSpec(_("School levels"), columns, rows, order=12, charts=charts, note=_suppression_note(summary.k))


def classes_sheet(campaign, summary: Summary, org: OrgUnit, locale: str) -> SheetSpec:
    """Per class (``summary.per_class``); a class under k shows its response count, never its results."""
    schools = {o.id for o in summary.orgs if o.kind == "school"}
    per_class = summary.per_class
    query = (select(ClassGroup.id, ClassGroup.name, ClassGroup.grade, ClassGroup.size, OrgUnit.code, OrgUnit.name,
                    OrgUnit.id).join(OrgUnit, ClassGroup.school_id == OrgUnit.id)
             .where(OrgUnit.path.startswith(org.path)).order_by(OrgUnit.path, ClassGroup.grade, ClassGroup.name))
    grades = set(campaign.grade_list)
    by_school: dict[int, list] = {}
    for class_id, name, grade, size, code, school, school_id in db.session.execute(query):
        if school_id in schools and (class_id in per_class or not grades or grade in grades):
            agg = Agg(expected=size or 0).add(per_class.get(class_id, Agg()))
            by_school.setdefault(school_id, []).append(([code, school, name, grade], Row(name, agg, key=class_id)))
    rows = []
    release = summary.release
    for school in (o for o in summary.orgs if o.id in by_school):   # the tree's order
        entries = sorted(by_school[school.id], key=lambda entry: (grade_key(entry[0][3]), natural_key(entry[0][2])))
        apply_release([row for _cells, row in entries], release, lambda row: release.klass(row.key))
        rows += [[*cells, *_participation(row.agg), *_result_values(row.agg, summary, row.reason)]
                 for cells, row in entries]
    columns = [Column(_("School code")), Column(_("School"), width=36), Column(_("Class")), Column(_("Grade"), "int"),
               *_participation_columns(), *_result_columns(summary, locale)]
    return SheetSpec(_("Classes"), columns, rows, order=13, note=_suppression_note(summary.k))


def _suppression_note(k: int) -> str:
    return rule_text(k)


SUMMARY_TABLES = {"units": units_sheet, "schools": schools_sheet, "levels": levels_sheet}


def items_sheet(campaign, definition, org: OrgUnit, locale: str) -> SheetSpec:
    """Distribution of every choice item across the whole scope."""
    where = Response.school_id.in_(select(OrgUnit.id).where(OrgUnit.path.startswith(org.path)))
    per_item = _distributions(campaign.id, definition, where=where).get(campaign.id, {})
    rows = []
    release = release_for(campaign)
    reason = node_reason(release, org, None, release.n(release.org(org.id)))
    hide_items(campaign, definition, release.org(org.id), per_item)
    for item_id, dist in per_item.items():
        info = definition.items[item_id]
        why = reason or dist.reason  # the whole group hidden, or only this item's few answers
        for option in info.options:
            count = dist.counts.get(option.value, 0)
            share = count / dist.n if dist.n else None
            rows.append([info.item.code or item_id, info.item.text.get(locale), option.text.get(locale),
                         hidden_value(why) if why else count, hidden_value(why) if why else share])
    columns = [Column(_("Item"), width=10), Column(_("Question"), width=60), Column(_("Answer"), width=30),
               Column(_("Count"), "int"), Column(_("Share"), "percent")]
    return SheetSpec(_("Items"), columns, rows, order=20)


def raw_allowed(campaign, org: OrgUnit, own_school: bool) -> bool:
    """Row-level data of an anonymous (student) campaign: only one school's, only for the school itself.
    A staff form is each school's signed assessment: its rows are no one's secret."""
    return threshold(campaign) <= 1 or (org.kind == "school" and own_school)


def raw_rows(campaign, definition, org: OrgUnit) -> Iterator[list[Any]]:
    """Anonymised raw rows, streamed in random order (not submission order): no free text, no ids of
    people, the month instead of the date, and no class or grade where that group is hidden."""
    from sqlalchemy import func
    release = release_for(campaign)
    slots = [(item_id, info.slot) for item_id, info in definition.items.items() if info.slot]
    columns = [OrgUnit.code, Response.school_id, Response.class_group_id, ClassGroup.name, Response.grade,
               type_coerce(Response.submitted_on, String), Response.total, Response.band]
    columns += [getattr(Response, f"v{slot}") for _, slot in slots]
    query = (select(*columns).select_from(Response).join(OrgUnit, Response.school_id == OrgUnit.id)
             .outerjoin(ClassGroup, Response.class_group_id == ClassGroup.id)
             .where(Response.campaign_id == campaign.id, Response.status == RESPONSE_SUBMITTED,
                    OrgUnit.path.startswith(org.path))
             .order_by(func.random()).execution_options(yield_per=5000))
    # Core rows on the session's own connection (same transaction): the ORM layer adds nothing here
    # but per-row work. yield_per streams in batches (a server-side cursor on PostgreSQL).
    # each group's and day's answer looked up once, not once per row (50,000 rows, ~1,000 classes)
    class_shown = lru_cache(maxsize=None)(lambda class_id: not release.hidden(release.klass(class_id), 1))
    grade_shown = lru_cache(maxsize=None)(
        lambda school_id, grade: not release.hidden(release.grade(school_id, grade), 1))
    # SQLite keeps a date as ISO text: read as text, it is not parsed once per row (PostgreSQL sends a date)
    month_of = lru_cache(maxsize=None)(lambda day: None if not day else day[:7] if isinstance(day, str)
                                       else day.strftime("%Y-%m"))
    for code, school_id, class_id, class_name, grade, day, *rest in db.session.connection().execute(query):
        shown_class = class_name if class_id is not None and class_shown(class_id) else None
        shown_grade = grade if grade is not None and grade_shown(school_id, grade) else None
        yield [code, shown_class, shown_grade, month_of(day), *rest]


def with_band_words(rows: Iterator[list[Any]], words: dict[str, str], classes: bool = True) -> Iterator[list[Any]]:
    """Each raw row with its band's words right after the band's code (column 5); without the class
    and grade (columns 1 and 2) for a form that is not answered class by class."""
    for row in rows:
        band = row[5]
        yield [*(row[:3] if classes else row[:1]), *row[3:6], words.get(band, band), *row[6:]]


def raw_sheet(campaign, definition, org: OrgUnit, total: int, locale: str = "vi") -> SheetSpec:
    """The codes stay (a school re-analyses its rows), each code column explained on the legend sheet:
    the band by its words in the next column, every answer column by its question and options."""
    slots = [info for info in definition.items.values() if info.slot]
    bands = {key: label.get(locale) for key, label in measures_of(definition).bands}
    classes = by_class(definition)
    columns = [Column(_("School code")), *([Column(_("Class")), Column(_("Grade"), "int")] if classes else []),
               Column(_("Month")), Column(_("Total"), "float"),
               Column(_("Band (code)"), codes=bands or None), Column(_("Band"), width=24)]
    columns += [Column(info.item.code or info.item.id, "int" if info.item.type == "number" else "code", width=8,
                       meaning=info.item.text.get(locale),
                       codes={option.value: option.text.get(locale) for option in info.options} or None)
                for info in slots]
    note = _("One row per response, in random order. Class and grade are left out where that group is hidden; "
             "the month stands for the date. The codes are explained on the legend sheet.")
    return SheetSpec(_("Raw data"), columns, with_band_words(raw_rows(campaign, definition, org), bands, classes),
                     order=1000, row_count_hint=total, note=note)


# -- building -----------------------------------------------------------------------------

def comments_sheet(campaign, definition, org: OrgUnit, locale: str) -> Optional[SheetSpec]:
    """Free-text answers, for a school's own workbook only (the caller checked) and only from k_text
    responses up, masked: both through ``privacy.free_texts``, as every module's free text.

    Sorted by question and text, with no class, date or row id, so that no comment
    can be joined back to a raw row."""
    from .privacy import free_texts
    text_items = [item_id for item_id, info in definition.items.items() if info.item.type in TEXT_TYPES]
    found = free_texts(campaign, org, text_items, for_the_school_itself=True) if text_items else None
    if found is None:
        return None
    order = {item_id: index for index, item_id in enumerate(text_items)}
    rows = [[definition.items[i].item.code or i, definition.items[i].item.text.get(locale), checked.text]
            for i, checked in sorted(found, key=lambda pair: (order[pair[0]], pair[1].text))]
    columns = [Column(_("Item"), width=10), Column(_("Question"), width=50),
               Column(_("Answer (phones and e-mails masked)"), width=90)]
    return SheetSpec(_("Comments"), columns, rows, order=900,
                     note=_("Students' own words, in alphabetical order; not linked to any row of the other sheets."))


# -- indicators for reporting upward (TT 13/2021/TT-BLĐTBXH) --------------------------------

INDICATOR_FILE = Path(__file__).with_name("indicators.yaml")


def indicator_catalogue() -> dict[str, Any]:
    import yaml
    with open(INDICATOR_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def grades_text(grades: list[int]) -> str:
    """"6–12" for a run of grades, "1, 3, 5" otherwise; every grade when the campaign names none."""
    grades = sorted(grades) or list(range(1, 13))
    if grades == list(range(grades[0], grades[-1] + 1)) and len(grades) > 2:
        return f"{grades[0]}–{grades[-1]}"
    return ", ".join(str(grade) for grade in grades)


def population_words(campaign) -> dict[str, str]:
    """The campaign's grades and school levels, for an indicator's "how computed" text."""
    levels = campaign.level_list
    return {"{grades}": grades_text(campaign.grade_list),
            "{levels}": ", ".join(level_label(level) for level in levels) if levels else _("every school level")}


def how_computed(entry: dict[str, Any], locale: str, population: dict[str, str]) -> str:
    text = (entry.get("computed") or {}).get(locale) or ""
    for placeholder, words in population.items():
        text = text.replace(placeholder, words)
    return text


def indicator_value(row: IndicatorRow) -> Any:
    """A figure in percent (unit "%") becomes a share in a percent format; "no data" when there is none."""
    if row.value is None:
        return _("no data")
    if row.unit == "%" and isinstance(row.value, (int, float)) and not isinstance(row.value, bool):
        return Share(row.value / 100)
    return row.value


def resolve_indicator(row: IndicatorRow, catalogue: dict[str, Any], locale: str,
                      population: Optional[dict[str, str]] = None) -> list[Any]:
    """Name, appendix, code (only when confirmed), value, unit, status, note, how computed."""
    known = {entry["key"]: entry for entry in catalogue["indicators"]}.get(row.key or "", {})
    listed = (known.get("name") or {}).get(locale)
    name = f"{listed} — {row.name}" if listed and row.name else listed or row.name
    appendix = known.get("appendix", row.appendix)
    code = known.get("code", row.code)
    confirmed = {(str(c["appendix"]), str(c["code"])) for c in catalogue["confirmed_codes"]}
    # the file confirms the pair; a plugin's own (unlisted) row must also claim it
    verified = code is not None and (str(appendix), str(code)) in confirmed and (bool(known) or row.verified)
    status = (_("Code confirmed (%(source)s, Phụ lục %(appendix)s)", source=catalogue["source_short"],
                appendix=appendix)
              if verified else _("Unverified: no confirmed code"))
    note = row.note
    if code is not None and not verified:
        note = (note + " " if note else "") + _("Proposed code %(code)s not confirmed.", code=code)
    value = indicator_value(row)
    return [name, appendix, code if verified else None, value, row.unit, status, note,
            how_computed(known, locale, population or {})]


def indicators_sheet(campaign, org: OrgUnit, options: ExportOptions) -> SheetSpec:
    """The core lays out the rows that modules contribute through ``export_indicators``."""
    from . import get_registry
    catalogue = indicator_catalogue()
    found: list[IndicatorRow] = []
    for contributed in get_registry().hook.export_indicators(campaign=campaign, org=org):
        found.extend(contributed or [])
    population = population_words(campaign)
    rows = [resolve_indicator(row, catalogue, options.locale, population)
            for row in sorted(found, key=lambda r: r.order)]
    if not rows:
        rows = [[_("No module supplied indicator figures for this campaign."), "", "", "", "", "", "", ""]]
    columns = [Column(_("Indicator"), "wrap", width=40), Column(_("Appendix"), width=10), Column(_("Code"), width=8),
               Column(_("Value"), "float", 12), Column(_("Unit"), width=12), Column(_("Status"), "wrap", width=24),
               Column(_("Note"), "wrap", width=36), Column(_("How computed"), "wrap", width=50)]
    note = _("Figures the platform can supply to %(source)s; a code is shown only where it is confirmed.",
             source=catalogue["source"])
    return SheetSpec(_("Indicators"), columns, rows, order=30, note=note)


# -- building -----------------------------------------------------------------------------

def resolved_options(options: ExportOptions, org: OrgUnit) -> ExportOptions:
    """Department-wide (no free text) unless it is one school's workbook asked for by that school itself,
    whatever the caller said: a department account posting a school's id gets aggregates only."""
    from dataclasses import replace
    return replace(options, department_wide=not (org.kind == "school" and options.own_school))


def collect_sheets(campaign, org: OrgUnit, options: ExportOptions) -> list[SheetSpec]:
    from . import get_registry
    from .campaigns import definition_of
    from .storage import count_submitted
    definition = definition_of(campaign)
    options = resolved_options(options, org)
    if options.include_raw and not raw_allowed(campaign, org, options.own_school):
        raise RawDataRefused(_("Row-level data of an anonymous survey is given only to a school, for its own "
                               "students; ask for the aggregate workbook instead."))
    summary = Summary.build(campaign, definition, org)
    sheets = [cover_sheet(campaign, org, options, definition), schools_sheet(summary, options.locale),
              levels_sheet(summary, options.locale),
              classes_sheet(campaign, summary, org, options.locale) if by_class(definition) else None,
              items_sheet(campaign, definition, org, options.locale), indicators_sheet(campaign, org, options)]
    if org.kind != "school":
        sheets.append(units_sheet(summary, options.locale))
    for contributed in get_registry().hook.export_sheets(campaign=campaign, org=org, options=options):
        sheets.extend(contributed or [])
    if not options.department_wide:
        sheets.append(comments_sheet(campaign, definition, org, options.locale))
    if options.include_raw:
        sheets.append(raw_sheet(campaign, definition, org, count_submitted(campaign.id), options.locale))
    return sorted([s for s in sheets if s is not None], key=lambda s: s.order)


def build_workbook(campaign, org: OrgUnit, path: Path, options: ExportOptions,
                   progress: Optional[Progress] = None) -> Path:
    """Write the workbook to a temporary name and rename it only when complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    progress = progress or (lambda pct, msg: None)
    try:
        with one_release():  # every sheet reads one decision, computed once
            _write_sheets(campaign, org, options, partial, progress)
        os.replace(partial, path)
        progress(100, _("Done"))
        return path
    except BaseException:
        if partial.exists():
            partial.unlink()
        raise


def _write_sheets(campaign, org: OrgUnit, options: ExportOptions, partial: Path, progress: Progress) -> None:
    from .workbook_legend import legend_sheet
    sheets = collect_sheets(campaign, org, options)
    writer = WorkbookWriter(partial, page_title=f"{campaign.name} — {org.name}",
                            as_of=_("Figures as of %(when)s", when=figures_as_of()))
    written: list[tuple[str, SheetSpec]] = []
    for index, spec in enumerate(sheets):
        base = int(90 * index / len(sheets))
        span = max(1, int(90 / len(sheets)))
        hint = spec.row_count_hint

        def step(done: int, base=base, span=span, hint=hint, name=spec.name) -> None:
            if hint:
                progress(base + int(span * min(done, hint) / hint), name)

        progress(base, spec.name)
        written.append((writer.add_sheet(spec, step)[0], spec))
    legend = legend_sheet(written)
    if legend is not None:
        writer.add_sheet(legend)
    progress(95, _("Saving"))
    writer.close()


# -- CSV of the same summaries ------------------------------------------------------------

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CsvDialect:
    """How a spreadsheet set to the user's language reads a CSV file. With Vietnamese regional
    settings (Excel, LibreOffice) the list separator is ';' and the decimal mark ','; a file with
    ',' and '.' there turns 3.651 into 3651 and 30.3 into text."""

    delimiter: str
    decimal: str


CSV_DIALECTS = {"vi": CsvDialect(";", ","), "en": CsvDialect(",", ".")}


def csv_cell(value: Any, kind: str, decimal: str = ".") -> str:
    """One CSV field: numbers without thousands separators and with the dialect's decimal mark, shares
    in percent, text neutralised against formula injection (OWASP: prefix a leading = + - @ tab or CR
    with an apostrophe)."""
    if value is None:
        return ""
    if isinstance(value, Suppressed):
        return suppressed_mark(value.reason)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        text = str(value)
        return "'" + text if text.startswith(FORMULA_LEADS) else text
    if kind == "percent":
        return f"{100 * value:.1f}".replace(".", decimal)
    return str(value) if isinstance(value, int) else f"{value:.3f}".replace(".", decimal)


def summary_csv(campaign, org: OrgUnit, table: str, level: Optional[str] = None, locale: str | None = None) -> str:
    """The ``units``, ``schools`` or ``levels`` summary as CSV text, with a BOM so Excel reads UTF-8,
    in the separators a spreadsheet set to the user's language expects (``CSV_DIALECTS``)."""
    from flask_babel import force_locale, get_locale
    from .campaigns import definition_of
    locale = locale or str(get_locale())
    dialect = CSV_DIALECTS.get(locale, CSV_DIALECTS["en"])
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator="\r\n")
    with force_locale(locale), one_release():
        summary = Summary.build(campaign, definition_of(campaign), org, level)
        spec = SUMMARY_TABLES[table](summary, locale)
        writer.writerow([csv_cell(c.header + (" (%)" if c.kind == "percent" and not c.header.endswith("(%)") else ""),
                                  "text") for c in spec.columns])
        for row in spec.rows:
            writer.writerow([csv_cell(value, column.kind, dialect.decimal) for value, column in zip(row, spec.columns)])
    return "\ufeff" + buffer.getvalue()
