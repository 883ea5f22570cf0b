"""The audit over the demo's real outputs: workbooks read back with openpyxl, dashboard pages parsed.

``surveyapp demo --scale`` builds the city; for every student campaign the department
workbook and every dashboard page (city, wards, schools) are read as an outsider
would, each figure mapped to the group it describes. Then (1) no group is shown in
one place and hidden in another, and (2) the exact rank test proves no hidden
group's sum follows from the shown ones. A release whose complementary cells are
removed must be caught by the same audit.
"""
from __future__ import annotations

import re

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import select

from conftest import login
from surveyapp.campaigns import definition_of
from surveyapp.export import ExportOptions, build_workbook
from surveyapp.extensions import db
from surveyapp.models import Campaign, ClassGroup, OrgUnit
from surveyapp.privacy import audit, release as release_module
from surveyapp.privacy.suppress import SMALL, Decision

ROW = re.compile(r'<tr><td><a href="[^"]*?org=(\d+)(?:&amp;level=(\w+))?[^"]*">.*?</tr>', re.S)
CLASS_ROW = re.compile(r"<tr><td>([^<]+)</td>(.*?)</tr>", re.S)


def _is_hidden(value) -> bool:
    return isinstance(value, str) and value.startswith("hidden")


def _is_figure(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Claims:
    """What the outputs say about each group: shown (a figure) or hidden (a mark)."""

    def __init__(self, release):
        self.release = release
        self.shown, self.hidden = set(), set()
        self.sections = 0  # rows read from the modules' tables on the pages

    def add(self, cell, values) -> None:
        canonical = self.release.cells.alias.get(cell)
        if canonical is None:
            return  # a group with no responses: nothing to show or hide
        if any(_is_hidden(v) for v in values):
            self.hidden.add(canonical)
        elif any(_is_figure(v) for v in values):
            self.shown.add(canonical)

    def leaks(self) -> list:
        members = self.release.cells.members
        return audit.exposed([members[c] for c in self.shown], {c: members[c] for c in self.hidden})


def _table(sheet, header_row=2):
    rows = list(sheet.iter_rows(values_only=True))
    return rows[header_row - 1], rows[header_row:]


def _read_workbook(book, claims: Claims, dept, codes: dict, classes: dict, names: dict) -> None:
    org, grade, klass = claims.release.org, claims.release.grade, claims.release.klass
    header, rows = _table(book["Schools"])
    for row in rows:
        claims.add(org(codes[row[1]]), row[7:])
    header, rows = _table(book["Units"])
    for row in rows:
        claims.add(org(codes[row[1]]), row[7:])
    for row in _table(book["School levels"])[1]:
        claims.add(org(dept.id, row[0]), row[5:])
    for row in _table(book["Classes"])[1]:
        claims.add(klass(classes[(row[0], row[2])]), row[7:])
    for row in _table(book["Items"], 1)[1]:
        claims.add(org(dept.id), row[3:])
    for name in book.sheetnames:
        sheet = book[name]
        if name in ("Section scores", "Items by school"):
            for row in _table(sheet)[1]:
                if row[0]:
                    claims.add(org(codes[row[0]]), row[3:])
        elif name == "Items by grade":
            for row in _table(sheet)[1]:
                claims.add(grade(dept.id, int(row[0])), row[5:])
        elif name.startswith("Bands"):
            for row in _table(sheet)[1]:
                if row[0] == "School" and row[1] in names:
                    claims.add(org(names[row[1]]), row[3:])
                elif row[0] == "Grade":
                    claims.add(grade(dept.id, int(row[1])), row[3:])


def _read_page(html: str, claims: Claims, node, classes: dict, codes_by_id: dict, names: dict) -> None:
    org, klass = claims.release.org, claims.release.klass
    for match in ROW.finditer(html):
        org_id, level = int(match.group(1)), match.group(2)
        marks = ["hidden"] if 'class="suppressed"' in match.group(0) else [1.0]
        claims.add(org(org_id, level if org_id == node.id else None) if level else org(org_id), marks)
    claims.add(org(node.id), ["hidden"] if '<p class="suppressed">' in html else [1.0])
    if node.kind == "school" and "By class" in html:
        table = html.split("By class", 1)[1].split("</table>", 1)[0]
        for name, cells in CLASS_ROW.findall(table):
            key = (codes_by_id[node.id], name)
            if key in classes:
                claims.add(klass(classes[key]), ["hidden"] if 'class="suppressed"' in cells else [1.0])
    _read_module_sections(html, claims, node, classes, codes_by_id, names)


SECTION = re.compile(r"<h([34])>By (school|grade|class)</h\1>(.*?)</table>", re.S)


def _read_module_sections(html: str, claims: Claims, node, classes: dict, codes_by_id: dict, names: dict) -> None:
    """The modules' own tables on the page: band shares by school and grade (mental health), scores by
    grade and class (school dialogue), each row a group of the same release."""
    org, grade, klass = claims.release.org, claims.release.grade, claims.release.klass
    for _level, kind, table in SECTION.findall(html):
        for label, cells in CLASS_ROW.findall(table.split("</thead>", 1)[-1]):
            label = label.strip()
            marks = ["hidden"] if "suppressed" in cells else [1.0]
            claims.sections += 1
            if kind == "school" and label in names:
                claims.add(org(names[label]), marks)
            elif kind == "grade" and label.isdigit():
                claims.add(grade(node.id, int(label)), marks)
            elif kind == "class" and node.kind == "school" and (codes_by_id[node.id], label) in classes:
                claims.add(klass(classes[(codes_by_id[node.id], label)]), marks)


def _lookups():
    orgs = db.session.execute(select(OrgUnit)).scalars().all()
    codes = {o.code: o.id for o in orgs}
    names = {}
    for o in orgs:
        names[o.name] = None if o.name in names else o.id  # only unique names identify a school
    groups = db.session.execute(select(ClassGroup.id, ClassGroup.name, OrgUnit.code)
                                .join(OrgUnit, ClassGroup.school_id == OrgUnit.id)).all()
    return orgs, codes, {k: v for k, v in names.items() if v}, {(code, name): cid for cid, name, code in groups}


def _item_claims(campaign) -> dict[str, Claims]:
    """One Claims per item some respondents leave unanswered, on that item's own decision."""
    from surveyapp.privacy import item_release, partial_items
    definition = definition_of(campaign)
    found = {}
    for item_id in partial_items(definition):
        item = item_release(campaign, definition, item_id)
        if item is not None:
            found[definition.items[item_id].item.code or item_id] = Claims(item)
    return found


def _read_items(html: str, items: dict[str, Claims], node) -> None:
    """The page's item rows: answer counts shown, or the mark, for the page's own group."""
    for code, claims in items.items():
        row = re.search(rf"<tr><td[^>]*>{re.escape(code)}</td><td>.*?</tr>", html, re.S)
        if row:
            claims.add(("org", node.id), ["hidden"] if 'class="suppressed"' in row.group(0) else [1])


def _audit_campaign(app, client, campaign, tmp_path, items: dict | None = None) -> Claims:
    orgs, codes, names, classes = _lookups()
    dept = next(o for o in orgs if o.parent_id is None)
    claims = Claims(release_module.compute_release(campaign))
    with force_locale("en"):
        path = build_workbook(campaign, dept, tmp_path / f"c{campaign.id}.xlsx", ExportOptions(locale="en"))
    _read_workbook(load_workbook(path), claims, dept, codes, classes, names)
    codes_by_id = {v: k for k, v in codes.items()}
    for node in orgs:
        html = client.get(f"/reports/campaign/{campaign.id}?org={node.id}&all=1").get_data(as_text=True)
        _read_page(html, claims, node, classes, codes_by_id, names)
        _read_items(html, items if items is not None else {}, node)
    return claims


def _signed_in(app):
    from surveyapp.demo import DEMO_PASSWORD
    client = app.test_client()
    login(client, "admin", DEMO_PASSWORD)
    client.get("/lang/en?next=/")
    return client


@pytest.fixture
def demo_city(app, run_cli):
    result = run_cli(["demo", "--scale", "150", "--seed", "7"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        return [c.id for c in db.session.execute(select(Campaign)).scalars()
                if definition_of(c).model.respondent == "student"]


def test_no_demo_output_shows_what_another_hides_or_lets_it_be_worked_out(app, demo_city, tmp_path):
    client = _signed_in(app)
    audited = 0
    with app.test_request_context():
        for campaign_id in demo_city:
            campaign = db.session.get(Campaign, campaign_id)
            items = _item_claims(campaign)
            claims = _audit_campaign(app, client, campaign, tmp_path, items)
            assert claims.hidden and claims.shown, "the demo has small groups and published ones"
            assert claims.sections, "the modules' own tables were read too"
            assert not (claims.shown & claims.hidden), "a group shown in one output and hidden in another"
            assert claims.leaks() == []
            for code, item in items.items():  # answer counts of an item only some answer: its own decision
                assert not (item.shown & item.hidden), code
                assert item.leaks() == [], code
                audited += bool(item.shown)
    assert audited, "the pages' rows of optional or conditional items were read and audited"


def test_the_audit_catches_a_release_without_complementary_cells(app, demo_city, tmp_path, monkeypatch):
    real = release_module.decide

    def broken(cells, k):
        decision = real(cells, k)
        return Decision(k, {cell: why for cell, why in decision.hidden.items() if why == SMALL})

    monkeypatch.setattr(release_module, "decide", broken)
    monkeypatch.setattr(release_module, "_DECISIONS", type(release_module._DECISIONS)())  # no reused decision
    client = _signed_in(app)
    with app.test_request_context():
        campaign = db.session.get(Campaign, demo_city[0])
        assert _audit_campaign(app, client, campaign, tmp_path).leaks() != []
