"""The department dashboard: figures equal SQL, suppression, drill-down, scope, filters, comparison, speed."""
from __future__ import annotations

import random
import re

import pytest
from sqlalchemy import event, select

from conftest import login, make_app
from surveyapp.extensions import db
from surveyapp.models import RESPONSE_SUBMITTED, OrgUnit, Response, slot_column
from surveyapp.orgs import add_unit
from surveyapp.reports import MEAN_TYPES, ReportSection, _distributions, build_dashboard
from test_reports_world import ReportWorld, add_responses, rworld, sql_figures  # noqa: F401


def _by_code(rows):
    return {row.org.code: row for row in rows}


def test_city_figures_equal_sql_and_roll_up_the_tree(rworld):
    board = build_dashboard(rworld.campaign, rworld.definition, rworld.dept)
    w = rworld
    every = [w.school_a.id, w.school_b.id, w.school_c.id, w.school_e.id, w.school_d.id]
    n, mean = sql_figures(w.campaign.id, every)
    assert (board.total.n, board.total.schools) == (n, 5) == (38, 5)
    assert board.total.mean == pytest.approx(mean)
    children = _by_code(board.children)
    assert set(children) == {"P01", "P02", "D"}
    n01, mean01 = sql_figures(w.campaign.id, [w.school_a.id, w.school_c.id])
    assert children["P01"].agg.n == n01 == 28 and children["P01"].agg.mean == pytest.approx(mean01)
    # expected: A's class sizes (30 + 4 + 10), C's enrolment (no classes on record)
    assert children["P01"].agg.expected == 44 + 100
    assert children["D"].agg.n == 0 and children["D"].agg.rate == 0
    # laggards first: D (0 %) before the wards
    assert board.children[0].org.code == "D"


def test_small_group_and_its_complement_are_suppressed(rworld):
    ward2 = build_dashboard(rworld.campaign, rworld.definition, rworld.ward2)
    rows = _by_code(ward2.children)
    assert rows["B"].agg.n == 3 and rows["B"].hidden
    assert rows["E"].agg.n == 7 and rows["E"].hidden  # else B = P02 - E
    assert not ward2.hidden                                # the ward itself (10) is shown
    school = build_dashboard(rworld.campaign, rworld.definition, rworld.school_a)
    classes = {row.label: row for row in school.classes}
    assert classes["7A"].agg.n == 4 and classes["7A"].hidden
    assert classes["8A"].hidden and not classes["6A"].hidden  # 8A is the complement
    assert classes["6A"].agg.n == 8


def test_level_filter_keeps_only_that_level(rworld):
    board = build_dashboard(rworld.campaign, rworld.definition, rworld.dept, level="gdtx")
    assert board.total.n == 7 and board.total.schools == 1
    assert [row.org.code for row in board.children] == ["P02"]
    # the only gdtx school is E, hidden as B's complement: the level view hides it too, items included
    assert board.hidden and board.items == {} and [row.key for row in board.levels] == ["gdtx"]
    thcs = build_dashboard(rworld.campaign, rworld.definition, rworld.ward, level="thcs")
    assert not thcs.hidden and sum(d.n for d in thcs.items.values()) > 0
    levels = {row.key: row for row in build_dashboard(rworld.campaign, rworld.definition, rworld.dept).levels}
    assert levels["thcs"].agg.n == 31 and levels["gdtx"].agg.n == 7


def test_filtered_counts_equal_a_count_of_the_rows(rworld):
    """The COUNT(*) FILTER aggregates (option counts incl. multi-choice bits, bands) on this database."""
    w = rworld
    items = {i: info for i, info in w.definition.items.items() if info.slot and info.item.type != "number"}
    assert {info.item.type for info in items.values()} >= {"likert", "single_choice", "multi_choice", "yes_no"}
    slots = [slot_column(info.slot) for info in items.values()]
    rows = db.session.execute(select(Response.school_id, Response.band, *slots).where(
        Response.campaign_id == w.campaign.id, Response.status == RESPONSE_SUBMITTED)).all()
    per_school = _distributions(w.campaign.id, w.definition, group_column=Response.school_id)
    assert set(per_school) == {row[0] for row in rows}
    for school_id, got in per_school.items():
        mine = [row[2:] for row in rows if row[0] == school_id]
        for at, (item_id, info) in enumerate(items.items()):
            answers = [row[at] for row in mine if row[at] is not None]
            multi = info.item.type == "multi_choice"
            counts = {o.value: sum(1 for a in answers if (a & (1 << o.value) if multi else a == o.value))
                      for o in info.options}
            assert (got[item_id].n, got[item_id].counts) == (len(answers), counts), item_id
            if info.item.type in MEAN_TYPES and answers:
                assert got[item_id].mean == pytest.approx(sum(answers) / len(answers))
    ticked = [sum(got[i].counts.values()) for got in per_school.values()
              for i, info in items.items() if info.item.type == "multi_choice"]
    assert sum(ticked) > 0
    board = build_dashboard(w.campaign, w.definition, w.dept)
    bands = {key: sum(1 for row in rows if row[1] == key) for key, _label in board.measures.bands}
    assert board.total.bands == bands and sum(bands.values()) > 0


def test_page_shows_note_figures_charts_and_drill_down(client, rworld):
    login(client, "dept_admin")
    page = client.get(f"/reports/campaign/{rworld.campaign.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="suppression-note"' in html
    assert f"org={rworld.ward.id}" in html and "Phường Một" in html
    assert html.count("<svg") >= 4 and "<title>" in html
    assert "style=" not in html and "<script" not in html
    school = client.get(f"/reports/campaign/{rworld.campaign.id}?org={rworld.school_a.id}").get_data(as_text=True)
    row_7a = re.search(r"<tr><td>7A</td>.*?</tr>", school, re.S).group(0)
    assert ">4<" in row_7a and row_7a.count('class="suppressed"') >= 1
    assert "Phường Một" in school  # breadcrumb back up the tree


def test_scope_is_the_users_subtree(client, rworld):
    url = f"/reports/campaign/{rworld.campaign.id}"
    login(client, "ward_admin")
    own = client.get(url).get_data(as_text=True)
    assert "THCS A" in own and "THCS B" not in own            # defaults to the ward
    assert client.get(f"{url}?org={rworld.ward2.id}").status_code == 404
    assert client.get(f"{url}?org={rworld.dept.id}").status_code == 404
    assert client.get(f"{url}?org={rworld.school_a.id}").status_code == 200
    login(client, "school_b_admin")
    assert client.get(f"{url}?org={rworld.school_a.id}").status_code == 404
    login(client, "counsellor")
    assert client.get(url).status_code == 403
    assert client.get("/reports/campaign/99999").status_code in (403, 404)


def test_comparison_with_last_term(client, rworld):
    before = rworld.new_campaign("Đối thoại học kỳ I")
    add_responses(before, rworld.definition, rworld.school_a, 9, random.Random(3))
    db.session.commit()
    _n, mean_before = sql_figures(before.id, [rworld.school_a.id])
    login(client, "dept_admin")
    html = client.get(f"/reports/campaign/{rworld.campaign.id}?org={rworld.ward.id}&compare={before.id}"
                      ).get_data(as_text=True)
    assert "Đối thoại học kỳ I" in html
    row_a = re.search(r'<tr><td><a href="[^"]*org=%d[^"]*">THCS A</a>.*?</tr>' % rworld.school_a.id, html, re.S)
    shown = f"{mean_before:.2f}"
    assert row_a and (shown in row_a.group(0) or shown.replace(".", ",") in row_a.group(0))
    # the trend line has one point per campaign of the questionnaire
    assert "Đối thoại học kỳ I" in html and html.count("<circle") >= 2


def _count_statements(app, fetch) -> int:
    seen = []
    listener = lambda *args, **kwargs: seen.append(1)  # noqa: E731
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert fetch().status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def _add_schools(world, count: int, start: int, rng) -> None:
    for index in range(start, start + count):
        ward = (world.ward, world.ward2)[index % 2]
        school = add_unit(code=f"S{index}", name=f"Trường {index}", kind="school", parent=ward, levels=["thcs"])
        school.enrolment = 100
        add_responses(world.campaign, world.definition, school, 2 + index % 7, rng)
    db.session.commit()


def test_query_count_does_not_grow_with_schools(app, client, rworld):
    rng = random.Random(1)
    login(client, "dept_admin")
    _add_schools(rworld, 40, 0, rng)
    urls = [f"/reports/campaign/{rworld.campaign.id}", f"/reports/campaign/{rworld.campaign.id}?org={rworld.ward.id}"]
    with_40 = [_count_statements(app, lambda u=u: client.get(u)) for u in urls]
    _add_schools(rworld, 40, 40, rng)
    with_80 = [_count_statements(app, lambda u=u: client.get(u)) for u in urls]
    assert db.session.query(OrgUnit).filter_by(kind="school").count() == 85
    assert with_80 == with_40
    assert max(with_80) < 40


class Sections:
    from surveyapp.hookspecs import hookimpl

    @hookimpl
    def report_sections(self, campaign, org, user):
        from markupsafe import Markup
        return [ReportSection("Late section", Markup("<p>second &amp; last</p>"), order=200),
                ReportSection("Early section", Markup("<p>for {}</p>").format(org.code), order=10),
                ReportSection("Plain text", "<script>alert('plugin')</script>", order=300)]


def test_plugin_sections_are_shown_in_order(tmp_path, postgres_url):
    app = make_app(tmp_path, postgres_url, extra_plugins=[Sections()])
    with app.test_request_context():
        world = ReportWorld()
        url = f"/reports/campaign/{world.campaign.id}?org={world.ward.id}"
    client = app.test_client()
    login(client, "dept_admin")
    html = client.get(url).get_data(as_text=True)
    assert html.index("Early section") < html.index("Late section")
    assert "<p>for P01</p>" in html and "second &amp; last" in html
    # a plain string is text, not HTML: a plugin's <script> never reaches the page
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#39;plugin&#39;)&lt;/script&gt;" in html
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_every_report_page_says_when_its_figures_were_read(client, rworld):
    """Printed or on screen, a page of figures says as of when (the department's local time)."""
    import datetime as dt
    from zoneinfo import ZoneInfo
    from conftest import login
    login(client, "dept_admin")
    before = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y")
    for org in (rworld.dept, rworld.ward, rworld.school_a):
        html = client.get(f"/reports/campaign/{rworld.campaign.id}?org={org.id}").get_data(as_text=True)
        found = re.search(r'<span id="as-of">Số liệu tính đến (\d\d/\d\d/\d{4}) (\d\d:\d\d)</span>', html)
        assert found and found.group(1) == before, org.code
