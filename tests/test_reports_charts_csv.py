"""SVG charts (accessible, CSP-safe) and the CSV summaries (BOM, formula neutralising, suppression)."""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from conftest import login
from surveyapp import charts
from surveyapp.export import SUPPRESSED, csv_cell, summary_csv, suppressed_mark
from surveyapp.extensions import db
from test_reports_world import INJECTIONS, rworld, sql_figures  # noqa: F401

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title").text
    for element in root.iter():
        assert "style" not in element.attrib
    return root


def _texts(root) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def _labels(root) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text") if t.get("class") == "label"]


def test_bar_chart_labels_every_bar_and_marks_suppressed_groups():
    root = _parse(charts.bar_chart("Mean <by> school", [("A & B", 3.5, ""), ("C", None, "suppressed (n < 5)")]))
    assert root.find(f"{SVG}title").text == "Mean <by> school"
    assert _texts(root) == ["A & B", "3,50", "C", "suppressed (n < 5)", "0,00", "3,50"]   # vi outside a request
    assert len(root.findall(f"{SVG}rect")) == 1


def test_a_mean_bar_starts_at_the_bottom_of_its_scale_and_says_so():
    root = _parse(charts.bar_chart("Mean", [("A", 3.0, ""), ("B", 5.0, "")], axis=(1, 5)))
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths == [charts.BAR_W / 2, charts.BAR_W]           # 3 is half-way from 1 to 5, not 3/5
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "axis"] == ["1,00", "5,00"]


def test_long_labels_are_shown_in_full_and_never_alike():
    long = "Em cảm thấy an toàn khi ở trường, kể cả giờ ra chơi và trên đường đến trường mỗi ngày"
    root = _parse(charts.stacked_bar("Items", ["Không", "Có"], [(long, [1, 2], ""), (long, [2, 1], "")]))
    labels = _labels(root)
    assert labels[0] == long and len(set(labels)) == 2          # wrapped onto lines, not cut; a repeat is told apart
    assert len(list(root.iter(f"{SVG}tspan"))) > 2


def test_the_legend_wraps_so_its_last_entry_stays_inside_the_chart():
    names = [f"Mức độ rất dài số {i} của thang đo" for i in range(8)]
    root = _parse(charts.stacked_bar("Bands", names, [("A", [1] * 8, "")]))
    width = float(root.get("viewBox").split()[2])
    entries = [t for t in root.iter(f"{SVG}text") if t.get("class") == "legend"]
    assert [t.text for t in entries] == names
    assert all(float(t.get("x")) + 7 * len(t.text) <= width for t in entries)
    assert len({t.get("y") for t in entries}) > 1


def test_stacked_bar_shares_add_up_and_have_tooltips():
    root = _parse(charts.stacked_bar("Bands", ["low", "high"], [("A", [1, 3], ""), ("B", None, "hidden")]))
    rects = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    widths = [float(r.get("width")) for r in rects]
    assert sum(widths) == charts.BAR_W and widths[0] * 3 == widths[1]
    assert "A · high: 3 (75%)" in rects[1].find(f"{SVG}title").text
    assert "hidden" in _texts(root) and "n=4" in _texts(root)


def test_gauge_and_trend():
    root = _parse(charts.gauge("Participation", 0.734, "73 of 100 expected"))
    assert "73,4%" in _texts(root) and "73 of 100 expected" in _texts(root)
    assert len(root.findall(f"{SVG}path")) == 2
    assert "—" in _texts(_parse(charts.gauge("Participation", None)))
    line = _parse(charts.line_chart("Trend", [("HK I", 3.0), ("HK II", None), ("HK III", 4.0)]))
    assert len(line.findall(f"{SVG}circle")) == 2 and {"3,00", "4,00", "HK II"} <= set(_texts(line))
    assert line.find(f"{SVG}polyline") is not None


def test_csv_cells_neutralise_formulas_but_keep_numbers(ctx):
    assert [csv_cell(text, "text") for text in INJECTIONS] == ["'" + text for text in INJECTIONS]
    assert csv_cell("Trường THCS Lê Chân", "text") == "Trường THCS Lê Chân"
    assert (csv_cell(-3, "int"), csv_cell(0.25, "percent"), csv_cell(None, "int")) == ("-3", "25.0", "")
    assert csv_cell(SUPPRESSED, "float") == suppressed_mark() and "5" in suppressed_mark()


def test_schools_csv_matches_sql_and_suppresses(rworld):
    rworld.school_c.name = "+cmd"
    db.session.commit()
    text = summary_csv(rworld.campaign, rworld.dept, "schools", locale="en")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    header, body = rows[0], {row[1]: row for row in rows[1:]}
    assert header[:7] == ["Unit", "School code", "School", "Levels", "Responses", "Expected", "Participation (%)"]
    n, mean = sql_figures(rworld.campaign.id, [rworld.school_a.id])
    assert body["A"][4] == str(n) and float(body["A"][7]) == round(mean, 3)
    assert body["C"][2] == "'+cmd"
    assert body["B"][4] == "3" and body["B"][7] == "hidden: fewer than 5 answers"
    assert body["E"][7] == "hidden so that a small group cannot be worked out"  # else B = P02 - E


def test_csv_download_is_scoped(client, rworld):
    login(client, "ward_admin")
    url = f"/reports/campaign/{rworld.campaign.id}/csv?table=units&org={rworld.ward.id}"
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    import datetime as dt
    from surveyapp.labels import slug
    expected = f'{slug(rworld.campaign.name)}_P01_{dt.date.today().isoformat()}_units.csv'
    assert f'filename={expected}' in response.headers["Content-Disposition"].replace('"', "")
    assert response.data.startswith("\ufeff".encode("utf-8"))
    assert client.get(f"/reports/campaign/{rworld.campaign.id}/csv?org={rworld.dept.id}").status_code == 404
    assert client.get(f"/reports/campaign/{rworld.campaign.id}/csv?table=secret").status_code == 404


def test_vietnamese_csv_opens_with_numbers_in_a_vietnamese_locale_spreadsheet(rworld, tmp_path):
    """Opened by LibreOffice with Vietnamese regional settings (vi-VN: ';' lists, ',' decimals),
    every figure lands as the same number, none as text or a thousand times larger."""
    import subprocess
    from openpyxl import load_workbook
    from office import soffice
    text = summary_csv(rworld.campaign, rworld.dept, "schools", locale="vi")
    source = tmp_path / "truong.csv"
    source.write_bytes(text.encode("utf-8"))
    # Filter options: separator ';' (59), quote '"' (34), UTF-8 (76), from line 1, default column
    # formats, language vi-VN (LCID 1066): what a Vietnamese user's spreadsheet applies.
    subprocess.run([soffice(), f"-env:UserInstallation=file://{tmp_path / 'lo'}", "--headless",
                    "--infilter=CSV:59,34,76,1,,1066", "--convert-to", "xlsx", "--outdir", str(tmp_path),
                    str(source)], check=True, capture_output=True, timeout=240)
    sheet = load_workbook(tmp_path / "truong.xlsx").active
    rows = {row[1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    n, mean = sql_figures(rworld.campaign.id, [rworld.school_a.id])
    assert rows["A"][4] == n and isinstance(rows["A"][4], int)
    assert isinstance(rows["A"][7], float) and rows["A"][7] == pytest.approx(mean, abs=0.0005)
    rate = rows["A"][6]
    assert isinstance(rate, float) and 0 < rate <= 100
    assert str(rows["B"][7]).startswith("ẩn") or "5" in str(rows["B"][7])   # the suppression mark, as text


def test_csv_dialect_follows_the_language(rworld):
    vi = summary_csv(rworld.campaign, rworld.dept, "units", locale="vi")
    en = summary_csv(rworld.campaign, rworld.dept, "units", locale="en")
    vi_rows = list(csv.reader(io.StringIO(vi[1:]), delimiter=";"))
    en_rows = list(csv.reader(io.StringIO(en[1:])))
    assert len(vi_rows[0]) == len(en_rows[0]) > 5
    for vi_row, en_row in zip(vi_rows[1:], en_rows[1:]):
        assert [cell.replace(",", ".") for cell in vi_row[3:]] == en_row[3:]
    assert any("," in cell for row in vi_rows[1:] for cell in row[3:])


def test_download_names_say_campaign_scope_and_date():
    import datetime as dt
    from surveyapp.labels import download_name
    name = download_name("Đối thoại học đường — năm học 2025-2026", "SGD", "xlsx", dt.date(2026, 12, 4))
    assert name == "doi-thoai-hoc-duong-nam-hoc-2025-2026_SGD_2026-12-04.xlsx"
    assert download_name("Ý kiến", "p01-thcs", "csv", dt.date(2026, 1, 2), "schools") == \
        "y-kien_P01-THCS_2026-01-02_schools.csv"
