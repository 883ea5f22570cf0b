"""The dashboard's charts on a 1366×768 screen: every chart captioned, every category label in full and
distinct, every legend entry (the last included) inside its chart."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from surveyapp.models import Campaign

from .conftest import shot
from .test_staff_journeys import sign_in

pytestmark = pytest.mark.browser
LAPTOP = {"width": 1366, "height": 768}

MEASURE = """() => [...document.querySelectorAll('svg.chart')].map(svg => {
  const box = svg.getBoundingClientRect();
  const inside = t => { const r = t.getBoundingClientRect();
    return r.left >= box.left - 1 && r.right <= box.right + 1 && r.top >= box.top - 1 && r.bottom <= box.bottom + 1; };
  const figure = svg.closest('figure');
  return {
    title: svg.querySelector('title').textContent,
    caption: figure && figure.querySelector('figcaption') ? figure.querySelector('figcaption').textContent : '',
    labels: [...svg.querySelectorAll('text.label')].map(t => t.textContent),
    labelsInside: [...svg.querySelectorAll('text.label')].every(inside),
    legend: [...svg.querySelectorAll('text.legend')].map(t => ({text: t.textContent, inside: inside(t)})),
  };
})"""


def test_dashboard_charts_are_captioned_labelled_in_full_with_whole_legends(live_server, context_factory):
    campaigns = live_server.query(lambda: [(c.id, c.module) for c in
                                           live_server.app.extensions["sqlalchemy"].session.execute(
                                               select(Campaign).order_by(Campaign.id)).scalars()])
    page = context_factory(viewport=LAPTOP).new_page()
    sign_in(page, live_server, "admin")
    seen = 0
    for campaign_id, module in campaigns:
        page.goto(f"{live_server.url}/reports/campaign/{campaign_id}")
        charts = page.evaluate(MEASURE)
        assert charts, module
        for chart in charts:
            where = (module, chart["title"])
            assert chart["caption"].strip(), f"no caption: {where}"
            assert chart["labelsInside"], f"a label runs outside its chart: {where}"
            assert len(chart["labels"]) == len(set(chart["labels"])), f"two categories look alike: {where}"
            assert not any(label.endswith("…") for label in chart["labels"]), f"a label is cut: {where}"
            for entry in chart["legend"]:
                assert entry["inside"], f"legend entry {entry['text']!r} clipped: {where}"
            seen += bool(chart["legend"])
        shot(page, f"dashboard-1366-{module}")
    assert seen >= 2   # charts with a legend were measured


def test_a_trend_of_rounds_with_long_names_keeps_every_label_inside_its_chart(context_factory):
    """A trend chart labels each point with its campaign's name, and names run long ("Đợt khảo
    sát nhắc lại của học kỳ hai …"); the first label used to run out of the chart's left edge."""
    from surveyapp import charts
    name = "Đợt khảo sát nhắc lại của học kỳ hai năm học 2026–2027 toàn thành phố"
    page = context_factory(viewport=LAPTOP).new_page()
    for rounds in (1, 2, 3, 6, 12):
        chart = charts.line_chart("Mean score by campaign", [(f"{name} ({i})", 3.0 + i / 10) for i in range(rounds)],
                                  axis=(1, 5))
        page.set_content(f"<!doctype html><meta charset=utf-8><body style='margin:0;width:1000px'>"
                         f"<figure><figcaption>trend</figcaption>{chart}</figure>")
        [measured] = page.evaluate(MEASURE)
        assert measured["labelsInside"], f"a label runs outside the chart with {rounds} rounds"
        assert len(set(measured["labels"])) == rounds
