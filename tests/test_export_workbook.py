"""The campaign workbook read back with openpyxl: sheets, headers, values = SQL, charts, safety, split."""
from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale
from markupsafe import Markup
from openpyxl import load_workbook
from sqlalchemy import func, select

from surveyapp import export
from surveyapp.export import ExportOptions, IndicatorRow, build_workbook
from surveyapp.extensions import db
from surveyapp.hookspecs import hookimpl
from surveyapp.models import RESPONSE_SUBMITTED, Response
from test_reports_world import INJECTIONS, ReportWorld, rworld, sql_figures  # noqa: F401


def _build(world, org, tmp_path, name="book.xlsx", **options):
    with force_locale("en"):
        path = build_workbook(world.campaign, org, tmp_path / name, ExportOptions(locale="en", **options))
    return load_workbook(path)


def _table(sheet, header_row=2):
    """Rows of a sheet as dicts keyed by header (row 1 is the note)."""
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[header_row - 1]
    return header, [dict(zip(header, row)) for row in rows[header_row:]]


def _all_cells(book):
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            yield from row


def test_department_workbook_sheets_values_and_charts(rworld, tmp_path):
    book = _build(rworld, rworld.dept, tmp_path)
    core = ["Cover", "Units", "Schools", "School levels", "Classes", "Items", "Indicators"]
    assert book.sheetnames[:7] == core and "Raw data" not in book.sheetnames  # plugins' sheets after
    cover = dict(book["Cover"].iter_rows(min_row=2, values_only=True))
    assert cover["Campaign"] == "Đối thoại học kỳ II" and "fewer than 5" in cover["Suppression rule"]
    assert "school_dialogue.dialogue" in cover["Questionnaire version"] and "SGD" in cover["Scope"]

    header, schools = _table(book["Schools"])
    assert header[:7] == ("Unit", "School code", "School", "Levels", "Responses", "Expected", "Participation")
    by_code = {row["School code"]: row for row in schools}
    n, mean = sql_figures(rworld.campaign.id, [rworld.school_a.id])
    assert by_code["A"]["Responses"] == n == 18 and by_code["A"]["Expected"] == 44
    assert by_code["A"][header[7]] == pytest.approx(mean) and header[7].startswith("Mean")
    assert by_code["A"]["Participation"] == pytest.approx(18 / 44)
    assert by_code["B"][header[7]] == "hidden: fewer than 5 answers" and by_code["B"]["Responses"] == 3
    assert by_code["E"][header[7]] == "hidden so that a small group cannot be worked out"
    assert by_code["D"]["Responses"] == 0

    _h, units = _table(book["Units"])
    ward = {row["Code"]: row for row in units}["P01"]
    n01, mean01 = sql_figures(rworld.campaign.id, [rworld.school_a.id, rworld.school_c.id])
    assert ward["Responses"] == n01 and ward[header[7]] == pytest.approx(mean01)

    assert len(book["Units"]._charts) == 2 and len(book["Schools"]._charts) == 1
    assert len(book["School levels"]._charts) == 1
    sheet = book["Schools"]
    assert sheet.freeze_panes == "B3" and sheet.auto_filter.ref.startswith("A2")
    assert sheet["G3"].number_format == "0.0%" and sheet["E3"].number_format == "#,##0"
    assert sheet.column_dimensions["C"].width > 30


def test_class_of_four_is_suppressed_not_empty(rworld, tmp_path):
    book = _build(rworld, rworld.dept, tmp_path)
    header, classes = _table(book["Classes"])
    by_class = {(row["School code"], row["Class"]): row for row in classes}
    four = by_class[("A", "7A")]
    assert four["Responses"] == 4 and four["Expected"] == 4
    results = [four[h] for h in header[7:]]
    assert results and all(v == "hidden: fewer than 5 answers" for v in results)
    assert all(isinstance(by_class[("A", "6A")][h], (int, float)) for h in header[7:8])


def test_school_and_class_sheets_equal_plain_group_bys_and_suppress_the_whole_group(rworld, tmp_path):
    """Schools and classes come from one (school, class) scan summed to schools: every count equals a plain
    GROUP BY school / GROUP BY class (answers with no class count in their school), every mean the SQL AVG,
    and suppression acts on the final group: A's 7A (4) and its complement 8A (6) are hidden but A (18) is
    shown; B (3, its only class) and its sibling E (7, no class at all) are hidden; C (10, no class) is shown."""
    book = _build(rworld, rworld.dept, tmp_path)
    w, submitted = rworld, (Response.campaign_id == rworld.campaign.id) & (Response.status == RESPONSE_SUBMITTED)

    def plain(column):
        query = select(column, func.count(), func.avg(Response.total)).where(submitted).group_by(column)
        return {key: (n, float(mean)) for key, n, mean in db.session.execute(query)}

    header, schools = _table(book["Schools"])
    by_school = {row["School code"]: row for row in schools}
    per_school = plain(Response.school_id)
    for school, shown in ((w.school_a, True), (w.school_c, True), (w.school_b, False), (w.school_e, False)):
        row, (n, mean) = by_school[school.code], per_school[school.id]
        assert row["Responses"] == n
        assert (row[header[7]] == pytest.approx(mean)) if shown else row[header[7]].startswith("hidden")
    assert (by_school["A"]["Responses"], by_school["C"]["Responses"], by_school["E"]["Responses"]) == (18, 10, 7)

    header, classes = _table(book["Classes"])
    by_class = {(row["School code"], row["Class"]): row for row in classes}
    per_class = plain(Response.class_group_id)
    for school, group, shown in ((w.school_a, w.class_a6, True), (w.school_a, w.class_a7, False),
                                 (w.school_a, w.class_a8, False), (w.school_b, w.class_b6, False)):
        row, (n, mean) = by_class[(school.code, group.name)], per_class[group.id]
        assert row["Responses"] == n and row["Expected"] == group.size
        assert (row[header[7]] == pytest.approx(mean)) if shown else row[header[7]].startswith("hidden")
    assert sum(row["Responses"] for row in classes) == sum(n for key, (n, _m) in per_class.items() if key)


def test_text_cells_are_strings_in_every_sheet_and_free_text_stays_out(rworld, tmp_path):
    rworld.campaign.name = INJECTIONS[0]
    rworld.school_c.name, rworld.school_b.name = INJECTIONS[1], INJECTIONS[2]
    rworld.class_a6.name = INJECTIONS[3]
    db.session.commit()
    book = _build(rworld, rworld.dept, tmp_path)
    cells = list(_all_cells(book))
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    found = {c.value for c in cells if c.value in INJECTIONS}
    assert found == set(INJECTIONS)  # names typed like formulas come back as text
    assert all(c.data_type == "s" for c in cells if c.value in INJECTIONS)
    assert "Comments" not in book.sheetnames   # free text never leaves the school


def test_school_workbook_has_free_text_as_text(rworld, tmp_path):
    assert "Comments" not in _build(rworld, rworld.school_a, tmp_path, "other.xlsx").sheetnames  # not asked by A
    book = _build(rworld, rworld.school_a, tmp_path, own_school=True)
    assert "Units" not in book.sheetnames and "Comments" in book.sheetnames
    comments = [c for row in book["Comments"].iter_rows(min_row=3) for c in row if c.column == 3]
    values = [c.value for c in comments]
    assert set(INJECTIONS) <= set(values)
    assert all(c.data_type == "s" for c in comments)
    assert values == sorted(values)


def test_school_below_text_threshold_gets_no_comments(rworld, tmp_path):
    book = _build(rworld, rworld.school_e, tmp_path, own_school=True)   # 7 responses < 10
    assert "Comments" not in book.sheetnames


def test_raw_rows_split_before_the_row_limit(rworld, tmp_path, monkeypatch):
    monkeypatch.setattr(export, "EXCEL_MAX_ROWS", 9)   # a note row, a header row, 7 rows per sheet
    book = _build(rworld, rworld.school_a, tmp_path, include_raw=True, own_school=True)
    parts = [name for name in book.sheetnames if name.startswith("Raw data")]
    assert parts == ["Raw data", "Raw data 2", "Raw data 3"]
    sizes = [book[name].max_row - 2 for name in parts]
    assert sizes == [7, 7, 4] and sum(sizes) == 18
    assert all(book[name]["A2"].value == "School code" for name in parts)


def test_the_benchs_split_check_counts_the_rows_of_a_split(rworld, tmp_path, monkeypatch):
    """The full bench's "none lost" check reads the XML alone: each part repeats the note and the
    headers, so it must count the rows below them (it took one header row and reported 2 rows too many)."""
    from bench.worker import sheets
    monkeypatch.setattr(export, "EXCEL_MAX_ROWS", 9)
    with force_locale("en"):
        path = build_workbook(rworld.campaign, rworld.school_a, tmp_path / "split.xlsx",
                              ExportOptions(locale="en", include_raw=True, own_school=True))
    found = sheets(str(path))
    parts = [(rows, head) for name, rows, head in zip(found["sheets"], found["rows"], found["header_rows"])
             if name.startswith("Raw data")]
    assert [head for _, head in parts] == [2, 2, 2]
    assert sum(rows - head for rows, head in parts) == 18


class PluginValue:
    """A value of no type the writer knows: it must come out as its text, never as a formula."""

    def __str__(self) -> str:
        return "=cmd|' /C calc'!A0"


MIXED_COLUMNS = [export.Column("Text"), export.Column("Int", "int"), export.Column("Float", "float"),
                 export.Column("Share", "percent"), export.Column("Date", "date"), export.Column("Other", "other")]
MIXED_ROWS = [
    ["=1+1", 7, 2.5, 0.25, dt.date(2024, 5, 17), "x"],          # each column's own type: the fast path
    [None, None, None, None, None, None],
    [export.SUPPRESSED] * 6,
    [3, 7.5, 2, True, dt.datetime(2024, 5, 17, 8, 30), 4],     # other types go through write_cell
    [Markup("<b>"), "12", "=SUM(A1:A2)", False, "2024-05-17", PluginValue()],
]


def _data_cells(path):
    sheet = load_workbook(path).worksheets[0]
    return [[(c.value, c.data_type, c.number_format, bool(c.font.i)) for c in row]
            for row in sheet.iter_rows(min_row=2, max_col=len(MIXED_COLUMNS))]


def test_typed_columns_write_every_cell_as_write_cell_does(english, tmp_path):
    fast = export.WorkbookWriter(tmp_path / "fast.xlsx")
    fast.add_sheet(export.SheetSpec("Mixed", MIXED_COLUMNS, MIXED_ROWS))
    fast.close()
    reference = export.WorkbookWriter(tmp_path / "reference.xlsx")
    sheet = reference.book.add_worksheet("Mixed")
    for r, row in enumerate(MIXED_ROWS, start=1):
        for c, (value, column) in enumerate(zip(row, MIXED_COLUMNS)):
            reference.write_cell(sheet, r, c, value, column.kind)
    reference.close()

    cells = _data_cells(tmp_path / "fast.xlsx")
    assert cells == _data_cells(tmp_path / "reference.xlsx")
    typed, blank, hidden, _other, text = cells
    assert typed[:5] == [("=1+1", "s", "General", False), (7, "n", "#,##0", False), (2.5, "n", "0.00", False),
                         (0.25, "n", "0.0%", False), (dt.datetime(2024, 5, 17), "d", "dd/mm/yyyy", False)]
    assert all(value is None for value, *_ in blank)
    assert all(value == "hidden: fewer than 5 answers" and italic for value, _t, _f, italic in hidden)
    assert [(value, kind) for value, kind, *_ in text] == [
        ("<b>", "s"), ("12", "s"), ("=SUM(A1:A2)", "s"), (False, "b"), ("2024-05-17", "s"), (str(PluginValue()), "s")]


class Indicators:
    @hookimpl
    def export_indicators(self, campaign, org):
        return [IndicatorRow(key="views_sought_7plus", value=38 / 194 * 100, unit="%", order=1),
                IndicatorRow(name="Made-up indicator", code="9999", appendix="I", verified=True, value=2, order=3),
                IndicatorRow(key="online_safety_skills", value=export.SUPPRESSED, unit="%", order=2)]


def test_indicators_sheet_prints_only_confirmed_codes(tmp_path, postgres_url):
    from conftest import make_app
    app = make_app(tmp_path, postgres_url, extra_plugins=[Indicators()])
    with app.test_request_context():
        world = ReportWorld()
        book = _build(world, world.dept, tmp_path)
        db.session.remove()
    header, rows = _table(book["Indicators"])
    assert header == ("Indicator", "Appendix", "Code", "Value", "Unit", "Status", "Note", "How computed")
    first, second, third, from_module = rows   # the last one: the real school_dialogue plugin's figure
    assert "aged 7 and over" in from_module["Indicator"] and "responses / expected" in from_module["Note"]
    assert not first["Indicator"].startswith("Tỷ lệ")  # the catalogue's name, in the workbook's language
    assert "aged 7 and over" in first["Indicator"] and first["Code"] is None and "Unverified" in first["Status"]
    assert first["Value"] == pytest.approx(38 / 194)   # "%" indicators are shares in a percent format
    assert second["Code"] == "0605" and "confirmed" in second["Status"] and second["Value"].startswith("hidden")
    assert third["Code"] is None and "Unverified" in third["Status"] and "9999" in third["Note"]
    with app.app_context():
        db.engine.dispose()


class CodedSheet:
    """A module's sheet that keeps codes: one coded column and one abbreviation, under a name the
    core must make Excel-safe."""

    @hookimpl
    def export_sheets(self, campaign, org, options):
        columns = [export.Column("School"), export.Column("Kind", codes={"a": "Kind A", "b": "Kind B"}),
                   export.Column("Q7", "int", meaning="How safe do you feel?")]
        return [export.SheetSpec("Coded/sheet", columns, [["X", "a", 1], ["Y", "b", 2]], order=500,
                                 legend=[("NA", "Not asked")])]


def test_the_legend_sheet_lists_every_declared_code_under_the_sheet_name_as_written(tmp_path, postgres_url):
    from conftest import make_app
    app = make_app(tmp_path, postgres_url, extra_plugins=[CodedSheet()])
    with app.test_request_context():
        world = ReportWorld()
        book = _build(world, world.dept, tmp_path)
        db.session.remove()
    assert book.sheetnames[-1] == "Legend" and "Coded-sheet" in book.sheetnames
    header, rows = _table(book["Legend"])
    assert header == ("Sheet", "Column", "Code", "Meaning")
    assert [(r["Sheet"], r["Column"], r["Code"], r["Meaning"]) for r in rows] == [
        ("Coded-sheet", None, "NA", "Not asked"), ("Coded-sheet", "Kind", "a", "Kind A"),
        ("Coded-sheet", "Kind", "b", "Kind B"), ("Coded-sheet", "Q7", None, "How safe do you feel?")]
    with app.app_context():
        db.engine.dispose()


def test_a_workbook_with_nothing_coded_has_no_legend(rworld, tmp_path):
    assert "Legend" not in _build(rworld, rworld.dept, tmp_path).sheetnames
