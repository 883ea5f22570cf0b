"""The official report (.docx, NĐ 30/2020 layout): its figures are the dashboard's, its hidden groups
the dashboard's, it opens in LibreOffice, and only people who may see the scope get it."""
from __future__ import annotations

import io

import pytest
from docx import Document

from conftest import login
from office import pdf_text, to_pdf
from surveyapp.reports import build_dashboard
from test_reports_world import rworld  # noqa: F401


def _download(client, campaign, org):
    response = client.get(f"/reports/campaign/{campaign.id}/report.docx?org={org.id}")
    assert response.status_code == 200, response.status_code
    assert response.mimetype.endswith("wordprocessingml.document")
    assert "bao-cao.docx" in response.headers["Content-Disposition"]
    return response.data


def _tables(document):
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]


def test_the_report_has_the_administrative_layout_and_the_dashboards_figures(client, rworld):
    login(client, "dept_admin")
    document = Document(io.BytesIO(_download(client, rworld.campaign, rworld.dept)))
    text = "\n".join(p.text for p in document.paragraphs)
    heading, participation, results, signature = _tables(document)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in heading[0][1]
    assert "Độc lập - Tự do - Hạnh phúc" in heading[0][1] and "SỞ GD&ĐT" in heading[0][0]
    assert "BÁO CÁO" in text and rworld.campaign.name in text
    assert "Nơi nhận:" in signature[0][0] and "(Ký, ghi rõ họ tên, đóng dấu)" in signature[0][1]
    board = build_dashboard(rworld.campaign, rworld.definition, rworld.dept)
    by_name = {row.org.name: row for row in board.children}
    assert {line[0] for line in participation[1:]} == set(by_name)
    for name, schools, n, expected, _rate in participation[1:]:
        row = by_name[name]
        assert (int(schools), int(n.replace(".", "")), int(expected.replace(".", ""))) == \
            (row.agg.schools, row.agg.n, row.agg.expected)
    assert len(document.inline_shapes) == 1   # the participation chart
    assert results[-1][0] == "Toàn phạm vi" and not any(cell.startswith("ẩn") for cell in results[-1])


def test_the_report_hides_what_the_dashboard_hides(client, rworld):
    login(client, "dept_admin")
    document = Document(io.BytesIO(_download(client, rworld.campaign, rworld.ward2)))
    results = _tables(document)[2]
    board = build_dashboard(rworld.campaign, rworld.definition, rworld.ward2)
    marks = {row.org.name: row.mark for row in board.children if row.hidden}
    assert set(marks) == {"THCS B", "GDTX Ê"}            # 3 answers, and its complement
    shown = {line[0]: line[1:] for line in results[1:]}
    for name, cells in shown.items():
        if name in marks:
            assert all(cell == marks[name] for cell in cells), (name, cells)
        else:
            assert not any(cell.startswith("ẩn") for cell in cells), (name, cells)


def test_the_report_prints_with_libreoffice(client, rworld, tmp_path):
    from pypdf import PdfReader
    login(client, "dept_admin")
    source = tmp_path / "bao-cao.docx"
    source.write_bytes(_download(client, rworld.campaign, rworld.dept))
    pdf = to_pdf(source, tmp_path)
    assert 1 <= len(PdfReader(str(pdf)).pages) <= 4
    first = " ".join(pdf_text(pdf, 1).split())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA" in first and "BÁO CÁO" in first and "Nơi nhận" in pdf_text(pdf)


@pytest.mark.parametrize("user, status", [("ward_admin", 200), ("school_b_admin", 404), ("counsellor", 403)])
def test_only_people_who_may_see_the_scope_get_the_report(client, rworld, user, status):
    login(client, user)
    response = client.get(f"/reports/campaign/{rworld.campaign.id}/report.docx?org={rworld.ward.id}")
    assert response.status_code == status
