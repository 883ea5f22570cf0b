"""Every demo workbook printed to PDF with LibreOffice, as an official would: the cover on one page,
a summary of the city's schools on at most two pages, and no raw level code in a summary sheet."""
from __future__ import annotations

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from office import pages_by_footer, to_pdf
from surveyapp.demo import load_demo
from surveyapp.export import ExportOptions, build_workbook
from surveyapp.extensions import db
from surveyapp.models import Campaign, OrgUnit
from surveyapp.questionnaire.schema import SCHOOL_LEVELS

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_workbooks(ctx, tmp_path):
    load_demo(responses_per_class=3)
    city = db.session.execute(select(OrgUnit).filter_by(code="SGD")).scalar_one()
    books = []
    for campaign in db.session.execute(select(Campaign).order_by(Campaign.id)).scalars():
        books.append(build_workbook(campaign, city, tmp_path / f"campaign-{campaign.id}.xlsx", ExportOptions()))
    return books


def test_demo_workbooks_print_on_few_pages_one_page_wide(demo_workbooks, tmp_path):
    for book in demo_workbooks:
        names = load_workbook(book, read_only=True).sheetnames
        pages = pages_by_footer(to_pdf(book, tmp_path), names)
        cover, schools = names[0], next(n for n in names if n in ("Trường", "Schools"))
        assert pages[cover] == 1, (book.name, pages)
        assert 1 <= pages[schools] <= 2, (book.name, pages)
        assert all(pages[name] >= 1 for name in names), (book.name, pages)   # every sheet printed


def test_summary_sheets_show_words_not_codes(demo_workbooks):
    for book in demo_workbooks:
        workbook = load_workbook(book, read_only=True)
        for name in ("Trường", "Theo cấp học"):
            if name not in workbook.sheetnames:
                continue
            cells = {str(c) for row in workbook[name].iter_rows(values_only=True) for c in row if c is not None}
            assert not cells & set(SCHOOL_LEVELS), (book.name, name, cells & set(SCHOOL_LEVELS))
