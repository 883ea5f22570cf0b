"""SVG charts (accessible, CSP-safe) and the CSV summaries (BOM, formula neutralising, suppression)."""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

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
    return [t.text for t in root.iter(f"{SVG}text")]


def test_bar_chart_labels_every_bar_and_marks_suppressed_groups():
    root = _parse(charts.bar_chart("Mean <by> school", [("A & B", 3.5, ""), ("C", None, "suppressed (n < 5)")]))
    assert root.find(f"{SVG}title").text == "Mean <by> school"
    assert _texts(root) == ["A & B", "3.5", "C", "suppressed (n < 5)"]
    assert len(root.findall(f"{SVG}rect")) == 1


def test_stacked_bar_shares_add_up_and_have_tooltips():
    root = _parse(charts.stacked_bar("Bands", ["low", "high"], [("A", [1, 3], ""), ("B", None, "hidden")]))
    rects = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    widths = [float(r.get("width")) for r in rects]
    assert sum(widths) == charts.BAR_W and widths[0] * 3 == widths[1]
    assert "A · high: 3 (75 %)" in rects[1].find(f"{SVG}title").text
    assert "hidden" in _texts(root) and "n=4" in _texts(root)


def test_gauge_and_trend():
    root = _parse(charts.gauge("Participation", 0.734, "73 of 100 expected"))
    assert "73 %" in _texts(root) and "73 of 100 expected" in _texts(root)
    assert len(root.findall(f"{SVG}path")) == 2
    assert "—" in _texts(_parse(charts.gauge("Participation", None)))
    line = _parse(charts.line_chart("Trend", [("HK I", 3.0), ("HK II", None), ("HK III", 4.0)]))
    assert len(line.findall(f"{SVG}circle")) == 2 and {"3.0", "4.0", "HK II"} <= set(_texts(line))
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
    assert response.data.startswith("\ufeff".encode("utf-8"))
    assert client.get(f"/reports/campaign/{rworld.campaign.id}/csv?org={rworld.dept.id}").status_code == 404
    assert client.get(f"/reports/campaign/{rworld.campaign.id}/csv?table=secret").status_code == 404
