"""The attacks of issue 13, as an outsider with the outputs, a spreadsheet and a calculator would run them.

World (ReportWorld plus school F): SGD -> P01 -> {A (6A:8, 7A:4, 8A:6), C (10), F (6)}
                                       -> P02 -> {B (6A: 3), E (7)}
                                       -> D (no responses)
B is under the minimum group size (5); E is its only sibling, so E must be hidden too
(P02's total minus E would give B), on every page and in every sheet.
"""
from __future__ import annotations

import random

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import select

from conftest import login, post
from surveyapp import export
from surveyapp.campaigns import definition_of
from surveyapp.export import ExportOptions, build_workbook
from surveyapp.extensions import db
from surveyapp.models import ExportJob
from surveyapp.orgs import add_unit
from surveyapp.reports import build_dashboard
from test_reports_world import ReportWorld, add_responses



class AttackWorld(ReportWorld):
    def __init__(self):
        super().__init__()
        self.school_f = add_unit(code="F", name="THCS F", kind="school", parent=self.ward, levels=["thcs"])
        add_responses(self.campaign, self.definition, self.school_f, 6, random.Random(11))
        db.session.commit()


@pytest.fixture
def aworld(ctx):
    return AttackWorld()


def _book(world, org, tmp_path, name="book.xlsx", **options):
    with force_locale("en"):
        path = build_workbook(world.campaign, org, tmp_path / name, ExportOptions(locale="en", **options))
    return load_workbook(path)


def _rows_naming(sheet, code: str) -> list[tuple]:
    return [row for row in sheet.iter_rows(values_only=True) if code in row]


def _numbers_after(row: tuple, code: str) -> list:
    """The numeric cells of a row after its school code and name (figures, not labels)."""
    at = row.index(code)
    return [v for v in row[at + 2:] if isinstance(v, (int, float)) and not isinstance(v, bool)]


def test_module_sheets_hide_the_school_the_core_hides(aworld, tmp_path):
    """Ward P02 (n=10) minus a published E gives B's mean: every module sheet must hide E's results."""
    book = _book(aworld, aworld.dept, tmp_path)
    schools = book["Schools"]
    e_row = _rows_naming(schools, "E")[0]
    assert "cannot be worked out" in " ".join(str(v) for v in e_row if isinstance(v, str))
    for name in ("Section scores", "Items by school"):
        for row in _rows_naming(book[name], "E"):
            figures = _numbers_after(row, "E")
            assert figures == [] or (name == "Section scores" and figures == [7]), (name, row)


def test_school_page_respects_what_its_ward_page_hides(aworld):
    """Ward page minus the school pages would recover B: E's own page must hide its results too."""
    definition = definition_of(aworld.campaign)
    ward = build_dashboard(aworld.campaign, definition, aworld.ward2)
    assert {r.label for r in ward.children if r.hidden} == {"THCS B", "GDTX Ê"}
    board = build_dashboard(aworld.campaign, definition, aworld.school_e)
    assert board.hidden
    assert board.items == {}


def test_school_page_hides_items_of_a_hidden_school_in_html(client, aworld):
    login(client, "dept_admin")
    html = client.get(f"/reports/campaign/{aworld.campaign.id}?org={aworld.school_e.id}").get_data(as_text=True)
    assert "ẩn để không thể suy ra một nhóm nhỏ" in html  # the page is in Vietnamese


def test_raw_sheet_does_not_list_a_small_class(aworld, tmp_path):
    book = _book(aworld, aworld.school_a, tmp_path, include_raw=True, own_school=True)
    raw = book["Raw data"]
    rows = list(raw.iter_rows(values_only=True))[1:]  # row 1 is the sheet's note
    header = rows[0]
    classes = [row[header.index("Class")] for row in rows[1:]]
    assert len(classes) == 18
    assert "7A" not in classes  # 4 respondents: the class sheet hides it, so must the raw sheet
    published = {row[2] for row in book["Classes"].iter_rows(min_row=3, values_only=True)
                 if isinstance(row[-1], (int, float))}
    assert {c for c in classes if c} == published and published  # exactly the classes the sheet shows
    sizes = {"6A": 8, "7A": 4, "8A": 6}
    assert all(classes.count(name) == sizes[name] for name in published)
    dates = [row[header.index("Month")] for row in rows[1:]]
    assert all(isinstance(d, str) and len(d) == 7 for d in dates)


def test_department_raw_export_is_refused(aworld, tmp_path):
    with pytest.raises(export.RawDataRefused):
        _book(aworld, aworld.dept, tmp_path, include_raw=True)
    with pytest.raises(export.RawDataRefused):  # a school's raw rows only for the school itself
        _book(aworld, aworld.school_a, tmp_path, include_raw=True)


def test_department_posting_a_school_id_gets_no_free_text(app, client, aworld):
    from surveyapp.jobs import run_job
    app.config["EXPORT_IN_THREAD"] = False
    login(client, "dept_admin")
    response = post(client, f"/exports/campaign/{aworld.campaign.id}", {"org": str(aworld.school_a.id)})
    assert response.status_code == 302
    job_id = db.session.execute(select(ExportJob.id).order_by(ExportJob.id.desc())).scalars().first()
    job = run_job(job_id)
    assert job.status == "done", job.message
    book = load_workbook(job.path)
    texts = [str(c.value) for s in book.worksheets for r in s.iter_rows() for c in r if c.value]
    assert not any("HYPERLINK" in t or "@SUM" in t for t in texts)
    assert "Comments" not in book.sheetnames and "Ý kiến" not in book.sheetnames


def test_school_own_workbook_masks_free_text_in_the_core_comments_sheet(aworld, tmp_path):
    from surveyapp.models import Response
    row = db.session.execute(select(Response).where(Response.school_id == aworld.school_c.id)).scalars().first()
    texts = dict(row.texts or {})
    texts["suggest_safety"] = "Gọi em 0912 345 678 hoặc em@example.com"
    row.texts = texts
    db.session.commit()
    book = _book(aworld, aworld.school_c, tmp_path, own_school=True)
    cells = [str(c.value) for r in book["Comments"].iter_rows() for c in r if c.value]
    assert not any("0912 345 678" in c or "em@example.com" in c for c in cells)
    assert any("[phone]" in c and "[e-mail]" in c for c in cells)


def test_complementary_choice_is_stable_on_ties():
    """Equal siblings: the same one is hidden whatever the order the rows come in."""
    from surveyapp.privacy.suppress import Relation, suppress
    seen = set()
    for seed in range(30):
        cells = {"total": 20, "a": 4, "b": 8, "c": 8}
        parts = ["a", "b", "c"]
        random.Random(seed).shuffle(parts)
        decision = suppress(dict(cells), [Relation("total", tuple(parts))], k=5)
        seen.add(frozenset(decision.hidden))
    assert seen == {frozenset({"a", "b"})}


def test_complementary_cell_is_not_labelled_as_small(aworld, tmp_path):
    book = _book(aworld, aworld.dept, tmp_path)
    schools = book["Schools"]
    b_marks = [v for v in _rows_naming(schools, "B")[0] if isinstance(v, str) and "hidden" in v]
    e_marks = [v for v in _rows_naming(schools, "E")[0] if isinstance(v, str) and "hidden" in v]
    assert b_marks and all("fewer than 5" in v for v in b_marks)
    assert e_marks and not any("fewer than" in v or "n <" in v for v in e_marks)


def test_the_school_itself_gets_its_masked_free_text_and_raw_rows_through_the_form(app, client, aworld):
    from surveyapp.jobs import run_job
    app.config["EXPORT_IN_THREAD"] = False
    login(client, "school_admin")  # a role at school A itself
    response = post(client, f"/exports/campaign/{aworld.campaign.id}",
                    {"org": str(aworld.school_a.id), "include_raw": "1"})
    assert response.status_code == 302
    job_id = db.session.execute(select(ExportJob.id).order_by(ExportJob.id.desc())).scalars().first()
    job = run_job(job_id)
    assert job.status == "done", job.message
    names = load_workbook(job.path).sheetnames
    assert any(n in names for n in ("Comments", "Ý kiến")) and any(n.startswith(("Raw", "Dữ liệu")) for n in names)


def test_a_ward_asking_for_raw_rows_is_told_why(client, aworld):
    login(client, "ward_admin")
    response = post(client, f"/exports/campaign/{aworld.campaign.id}",
                    {"org": str(aworld.ward.id), "include_raw": "1"})
    assert response.status_code == 403
    assert "chỉ được cấp cho chính trường" in response.get_data(as_text=True)
    assert db.session.execute(select(ExportJob.id)).first() is None
