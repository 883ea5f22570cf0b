"""Order and number formats an official can forward as they are (issue 18): units in the tree's
order by code (P01, P02, … never the order the rows were created in), grades as numbers (1, 2, …
10, 11, 12), shares in a percent format, means with fixed decimals. Read back from every demo
workbook of the department's scope."""
from __future__ import annotations

import pytest
from openpyxl import load_workbook

from demo_books import build_demo_books
from surveyapp.ordering import grade_key, natural_key

pytestmark = pytest.mark.slow


@pytest.fixture
def books(ctx, tmp_path):
    """The department's workbooks by questionnaire (two safe-school sets: general and preschool)."""
    from surveyapp.campaigns import definition_of
    found = {}
    for book in build_demo_books(tmp_path, locales=("vi",)):
        if book.scope.code == "SGD":
            qid = definition_of(book.campaign).id
            found[qid if qid.startswith("safe_school.") else book.campaign.module] = load_workbook(book.path)
    return found


def table(sheet) -> tuple[list[str], list[tuple]]:
    """(headers, data rows) under the optional note line."""
    rows = list(sheet.iter_rows())
    first = 1 if rows and sum(c.value is not None for c in rows[0]) == 1 and len(rows[0]) > 1 else 0
    return [c.value for c in rows[first]], rows[first + 1:]


def column(sheet, header: str) -> list:
    headers, rows = table(sheet)
    index = headers.index(header)
    return [row[index] for row in rows if row[index].value is not None]


def in_order(values, key) -> bool:
    return values == sorted(values, key=key)


def test_units_are_in_tree_order_by_code(books):
    for module, book in books.items():
        codes = [c.value for c in column(book["Theo đơn vị"], "Mã")]
        assert codes[0] == "SGD" and codes[1:4] == ["P01", "P02", "P03"], (module, codes)
        assert in_order(codes[1:], natural_key), (module, codes)


def test_classes_are_by_school_in_tree_order_then_grade_as_a_number(books):
    sheet = books["school_dialogue"]["Theo lớp"]
    codes = [c.value for c in column(sheet, "Mã trường")]
    schools = list(dict.fromkeys(codes))
    assert schools[0].startswith("P01-") and in_order(schools, natural_key), schools
    headers, rows = table(sheet)
    code_at, grade_at = headers.index("Mã trường"), headers.index("Khối")
    upper = [row[grade_at].value for row in rows if row[code_at].value == "SGD-THPT01"]
    assert upper and in_order(upper, grade_key) and upper[0] == 10, upper


def test_grade_rows_of_module_sheets_count_as_numbers(books):
    bands = next(name for name in books["mental_health"].sheetnames if name.startswith("Mức độ"))
    headers, rows = table(books["mental_health"][bands])
    grades = [row[1].value for row in rows if row[0].value == "Khối"]
    assert len(grades) > 3 and in_order(grades, grade_key), grades
    by_grade = [c.value for c in column(books["school_dialogue"]["Câu hỏi theo khối"], "Khối")]
    assert in_order(list(dict.fromkeys(by_grade)), grade_key), by_grade


def test_module_school_lists_are_in_tree_order(books):
    for module, name in (("safe_school.tt18_2023", "THAT - trường"),
                         ("safe_school.tt45_2021", "THAT - ma trận tiêu chí"),
                         ("school_dialogue", "Tham gia theo lớp"), ("school_dialogue", "Điểm theo phần")):
        codes = list(dict.fromkeys(c.value for c in column(books[module][name], "Mã trường")))
        assert in_order(codes, natural_key), (name, codes)


def test_shares_are_percent_formatted_and_means_have_fixed_decimals(books):
    safe = books["safe_school.tt18_2023"]["Trường"]
    share = column(safe, "Điểm trung bình: Tỉ lệ tiêu chí đạt (%)")
    numbers = [c for c in share if isinstance(c.value, (int, float))]
    assert numbers and all("%" in c.number_format and 0 <= c.value <= 1 for c in numbers), \
        [(c.value, c.number_format) for c in numbers[:3]]
    for module, book in books.items():
        for sheet in book.worksheets:
            headers, rows = table(sheet)
            for index, header in enumerate(headers):
                cells = [row[index] for row in rows if isinstance(row[index].value, float)]
                if not cells or not isinstance(header, str):
                    continue
                if header.startswith(("Tỷ lệ", "Tỉ lệ")) or "(%)" in header:
                    assert all("%" in c.number_format for c in cells), (module, sheet.title, header)
                if header.startswith("Điểm trung bình"):
                    assert all(c.number_format in ("0.00", "0.0%") for c in cells), (module, sheet.title, header)


def test_a_staff_form_has_no_class_or_grade_breakdown(books):
    """A safe-school self-assessment is one form per school: no classes sheet (it listed every class of
    every school, 228 rows of nothing), no class or grade column in its raw rows."""
    for qid in ("safe_school.tt18_2023", "safe_school.tt45_2021"):
        book = books[qid]
        assert "Theo lớp" not in book.sheetnames, (qid, book.sheetnames)
        headers, rows = table(book["Dữ liệu thô"])
        assert rows and "Lớp" not in headers and "Khối" not in headers, (qid, headers)
    for module in ("school_dialogue", "mental_health"):   # students answer class by class
        assert "Theo lớp" in books[module].sheetnames


def test_counselling_counts_read_as_words_and_months_as_mm_yyyy(books):
    import re
    headers, rows = table(books["mental_health"]["Số liệu tham vấn"])
    by_kind: dict = {}
    for row in rows:
        by_kind.setdefault(row[0].value, []).append(row[1].value)
    assert by_kind["Tháng"] and all(re.fullmatch(r"\d\d/\d{4}", month) for month in by_kind["Tháng"]), by_kind
    assert "Gia đình" in by_kind["Chủ đề"] and "family" not in by_kind["Chủ đề"], by_kind


def test_a_staff_forms_school_page_has_no_by_class_table(app, ctx):
    """The same rule on the dashboard: a school's self-assessment page listed every class of the
    school (expected 0, answered 0); a student survey's school page keeps its classes."""
    from conftest import login
    from demo_books import answered_school
    from sqlalchemy import select
    from surveyapp.campaigns import definition_of
    from surveyapp.demo import DEMO_PASSWORD, load_demo
    from surveyapp.extensions import db
    from surveyapp.models import Campaign
    load_demo(responses_per_class=2)
    client = app.test_client()
    login(client, "admin", DEMO_PASSWORD)
    client.get("/lang/en?next=/")
    seen = set()
    for campaign in db.session.execute(select(Campaign).order_by(Campaign.id)).scalars().all():
        staff = definition_of(campaign).model.respondent == "staff"
        page = client.get(f"/reports/campaign/{campaign.id}?org={answered_school(campaign).id}")
        assert page.status_code == 200
        assert ("By class" in page.get_data(as_text=True)) is not staff, (campaign.name, staff)
        seen.add(staff)
    assert seen == {True, False}
