"""The comparison with an earlier round as a workbook: the page's figures, each round's hidden cells
hidden, and the change of a hidden cell hidden too (else now - change = the hidden mean)."""
from __future__ import annotations

import io
import random
import re

import openpyxl
import pytest

from conftest import login
from surveyapp.extensions import db
from surveyapp.reports import build_dashboard, comparison
from test_reports_world import add_responses, rworld  # noqa: F401


@pytest.fixture
def two_rounds(rworld):
    before = rworld.new_campaign("Đối thoại học kỳ I")
    add_responses(before, rworld.definition, rworld.school_a, 9, random.Random(3))
    add_responses(before, rworld.definition, rworld.school_c, 12, random.Random(4))
    add_responses(before, rworld.definition, rworld.school_b, 8, random.Random(5))
    db.session.commit()
    return rworld, before


def _download(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response, openpyxl.load_workbook(io.BytesIO(response.data))


def test_the_comparison_workbook_has_the_pages_figures_and_hides_what_either_round_hides(client, two_rounds):
    w, before = two_rounds
    login(client, "dept_admin")
    client.get("/lang/en?next=/")
    query = f"org={w.ward2.id}&compare={before.id}"
    page = client.get(f"/reports/campaign/{w.campaign.id}?{query}").get_data(as_text=True)
    link = re.search(r'href="([^"]*compare\.xlsx[^"]*)"', page)
    assert link, "no comparison download on the page"
    response, book = _download(client, link.group(1).replace("&amp;", "&"))
    name = re.search(r'filename="([^"]+)"', response.headers["Content-Disposition"]).group(1)
    assert name.endswith("_so-sanh.xlsx") and "_P02_" in name
    sheet = book.worksheets[0]
    assert "&P" in sheet.oddFooter.right.text and "Figures as of" in sheet.oddHeader.right.text   # print setup
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows
    rows = list(sheet.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r[0] == "Name")
    header, body = rows[header_at], {r[1]: r for r in rows[header_at + 1:]}
    at = {title: header.index(title) for title in header}
    mean_now = next(i for i, t in enumerate(header) if t.startswith("Mean:"))
    mean_before, change = at["Mean before"], at["Change"]
    board = build_dashboard(w.campaign, w.definition, w.ward2)
    previous = comparison(w.campaign, before, w.ward2, None, [w.ward2.id] + [r.org.id for r in board.children])
    checked_hidden = 0
    for row in board.children:
        cells, earlier = body[row.org.code], previous.get(row.org.id)
        assert cells[at[header[3]]] == row.agg.n                      # responses: as on the page
        if row.hidden:
            assert isinstance(cells[mean_now], str)                  # the mark, never the figure
        else:
            assert cells[mean_now] == pytest.approx(row.agg.mean)
        if earlier is not None and earlier.hidden:
            assert isinstance(cells[mean_before], str)
        elif earlier is not None:
            assert cells[mean_before] == pytest.approx(earlier.agg.mean)
        if row.hidden or (earlier is not None and earlier.hidden):
            assert isinstance(cells[change], str)                    # now - change would give the hidden mean
            checked_hidden += 1
        elif earlier is not None:
            assert cells[change] == pytest.approx(row.agg.mean - earlier.agg.mean)
    assert checked_hidden >= 1   # B (3 responses now) is hidden, and so its change
    assert isinstance(body[w.school_b.code][change], str) and body[w.ward2.code][0] == w.ward2.name
    secret = next(r for r in board.children if r.org.id == w.school_b.id).agg.mean
    numbers = [v for r in rows for v in r if isinstance(v, float)]
    assert secret is not None and not any(v == pytest.approx(secret) for v in numbers)   # anywhere in the file


def test_the_comparison_download_is_scoped_and_needs_an_earlier_round(client, two_rounds):
    w, before = two_rounds
    login(client, "school_b_admin")
    url = f"/reports/campaign/{w.campaign.id}/compare.xlsx?org={w.school_a.id}&compare={before.id}"
    assert client.get(url).status_code == 404
    login(client, "dept_admin")
    assert client.get(f"/reports/campaign/{w.campaign.id}/compare.xlsx?org={w.dept.id}").status_code == 404


def test_the_pages_change_column_is_written_in_the_locales_style(client, two_rounds):
    w, before = two_rounds
    login(client, "dept_admin")
    page = client.get(f"/reports/campaign/{w.campaign.id}?org={w.ward.id}&compare={before.id}").get_data(as_text=True)
    row_a = re.search(r'<tr><td><a href="[^"]*org=%d[^"]*">THCS A</a>.*?</tr>' % w.school_a.id, page, re.S).group(0)
    board = build_dashboard(w.campaign, w.definition, w.ward)
    now = next(r for r in board.children if r.org.id == w.school_a.id).agg.mean
    earlier = comparison(w.campaign, before, w.ward, None, [w.school_a.id])[w.school_a.id].agg.mean
    change = round(now - earlier, 2)
    shown = f"{abs(change):.2f}".replace(".", ",")   # vi: decimal comma, sign only when not zero
    assert (("+" if change > 0 else "-" if change < 0 else "") + shown) in row_a
    assert not re.search(r"[-−]0,00", page)
