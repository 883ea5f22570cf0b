"""Attacks on answer counts of one item inside published groups (issue 13, the rest).

World (AttackWorld): SGD -> P01 -> {A (18: classes 6A:8, 7A:4, 8A:6), C (10), F (6)}
                            -> P02 -> {B (3), E (7)}
Every school of P01 is published, but the conditional item ``reported`` (asked only of a student who
says they were bullied) is answered by 2 students of A, 6 of C and 5 of F. Published as it stands,
A's item row shows the answers of two children, and ward P01 (13 answers) minus C and F gives them
again: the item needs its own primary hiding AND a complementary one, on every page and sheet.
"""
from __future__ import annotations

import re

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import select, update

from conftest import login
from surveyapp import privacy
from surveyapp.campaigns import definition_of
from surveyapp.export import ExportOptions, build_workbook
from surveyapp.extensions import db
from surveyapp.models import Response
from surveyapp.privacy import one_release
from surveyapp.reports import build_dashboard
from test_disclosure_attacks import AttackWorld
from test_disclosure_audit import campaigns as audit_campaigns

ITEM = "reported"
ANSWERED = {"A": 2, "C": 6, "F": 5, "B": 0, "E": 0}


class ItemWorld(AttackWorld):
    def __init__(self):
        super().__init__()
        definition = definition_of(self.campaign)
        column = getattr(Response, f"v{definition.items[ITEM].slot}")
        rows = Response.campaign_id == self.campaign.id
        db.session.execute(update(Response).where(rows).values({column: None}))
        schools = {"A": self.school_a, "C": self.school_c, "F": self.school_f, "B": self.school_b,
                   "E": self.school_e}
        for code, answered in ANSWERED.items():
            ids = db.session.execute(select(Response.id).where(rows, Response.school_id == schools[code].id)
                                     .order_by(Response.id).limit(answered)).scalars().all()
            if ids:  # half "yes", half "no": the answers an outsider must not learn
                db.session.execute(update(Response).where(Response.id.in_(ids)).values({column: 1}))
                db.session.execute(update(Response).where(Response.id.in_(ids[::2])).values({column: 0}))
        db.session.commit()
        self.schools = schools


@pytest.fixture
def iworld(ctx):
    return ItemWorld()


def _page_item(world, org):
    """The item's published (answered n, counts) on ``org``'s dashboard page, or None when hidden."""
    with one_release():
        board = build_dashboard(world.campaign, definition_of(world.campaign), org)
    dist = board.items.get(ITEM)
    if board.hidden or dist is None or dist.reason is not None:
        return None
    return dist.n, dict(dist.counts)


def test_a_published_school_does_not_show_an_item_two_children_answered(iworld):
    assert _page_item(iworld, iworld.school_a) is None
    assert _page_item(iworld, iworld.ward) is not None  # 13 answers: the ward's row stays


def test_ward_minus_published_siblings_does_not_give_the_hidden_item(iworld):
    """P01's item counts minus C's and F's would be A's: one of C, F must hide the item too."""
    ward = _page_item(iworld, iworld.ward)
    siblings = {code: _page_item(iworld, iworld.schools[code]) for code in ("C", "F")}
    assert None in siblings.values(), siblings
    assert ward is not None and ward[0] == 13
    # and the school rows of the module's own breakdown follow the same decision
    definition = definition_of(iworld.campaign)
    with one_release():
        figures = privacy.distributions(iworld.campaign, definition, iworld.ward, by="school")
    shown = {code for code in ("A", "C", "F")
             if figures[iworld.schools[code].id].value and figures[iworld.schools[code].id].value[ITEM].reason is None}
    assert "A" not in shown and len(shown) <= 1, shown


def test_the_hidden_item_keeps_its_reason_and_no_counts(iworld):
    definition = definition_of(iworld.campaign)
    with one_release():
        figures = privacy.distributions(iworld.campaign, definition, iworld.ward, by="school")
    dist = figures[iworld.school_a.id].value[ITEM]
    assert dist.reason == privacy.SMALL and dist.counts == {} and dist.mean is None
    assert dist.n == 2  # how many answered stays public, as response counts do
    everyone = next(i for i, d in figures[iworld.school_a.id].value.items() if i not in privacy.partial_items(definition))
    assert figures[iworld.school_a.id].value[everyone].reason is None  # items all 18 answered stay shown


def test_items_sheet_of_a_school_hides_the_item(iworld, tmp_path):
    with force_locale("en"):
        path = build_workbook(iworld.campaign, iworld.school_a, tmp_path / "a.xlsx",
                              ExportOptions(locale="en", own_school=True))
    book = load_workbook(path)
    code = definition_of(iworld.campaign).items[ITEM].item.code or ITEM
    rows = [row for row in book["Items"].iter_rows(values_only=True) if row and row[0] == code]
    assert rows
    assert all(not isinstance(v, (int, float)) for row in rows for v in row[3:]), rows


def test_the_item_decision_passes_the_audit(iworld):
    """The item's hidden set, as the exact rank test sees it: no hidden cell is determined."""
    from surveyapp.privacy.audit import audit_cells
    from surveyapp.privacy.items import item_release
    definition = definition_of(iworld.campaign)
    with one_release():
        release = item_release(iworld.campaign, definition, ITEM)
    assert release is not None and release.decision.hidden
    assert audit_cells(release.cells, release.decision) == []
    broken = type(release.decision)(release.decision.k, {c: r for c, r in release.decision.hidden.items()
                                                          if r != privacy.COMPLEMENTARY})
    assert audit_cells(release.cells, broken)  # without its complementary cells the audit catches it



def test_school_page_html_shows_the_mark_not_the_answers(client, iworld):
    code = definition_of(iworld.campaign).items[ITEM].item.code or ITEM
    login(client, "dept_admin")
    html = client.get(f"/reports/campaign/{iworld.campaign.id}?org={iworld.school_a.id}").get_data(as_text=True)
    row = re.search(rf"<tr><td[^>]*>{re.escape(code)}</td>.*?</tr>", html, re.S)
    assert row, "the item's row is listed, with its n"
    assert 'class="suppressed"' in row.group(0) and not re.search(r"\(\d+ ?%\)", row.group(0)), row.group(0)


# -- a school's own questions (campaign.settings["extra_items"], answers in notes["extra"]) ----------

def _with_extra(world, school, answered: dict[str, int]):
    """Two questions of the school's own: x_1 (yes/no), x_2 (optional yes/no); answered by the first
    ``answered[item]`` responses of the school."""
    from sqlalchemy.orm.attributes import flag_modified
    from surveyapp.extra_items import build_item
    items = [dict(build_item("yes_no", "Câu 1", required=True), id="x_1", core=False),
             dict(build_item("yes_no", "Câu 2"), id="x_2", core=False)]
    settings = dict(world.campaign.settings or {})
    settings["extra_items"] = {str(school.id): items}
    world.campaign.settings = settings
    flag_modified(world.campaign, "settings")
    rows = db.session.execute(select(Response).where(Response.campaign_id == world.campaign.id,
                                                     Response.school_id == school.id)).scalars().all()
    for index, row in enumerate(rows):
        extra = {item: index % 2 for item, n in answered.items() if index < n}
        row.notes = {"extra": extra}
    db.session.commit()


def _extra_section(world, school) -> str:
    from plugins.school_dialogue.report import _extra
    with one_release(), force_locale("en"):
        section = _extra(world.campaign, school, "en")
    return str(section.html)


def test_a_hidden_school_shows_no_answers_to_its_own_questions(iworld):
    """E (7 responses) is hidden so that B cannot be worked out: the module's section for E's own
    questions must not publish E's answers either (a module gets a hidden group back suppressed)."""
    _with_extra(iworld, iworld.school_e, {"x_1": 7, "x_2": 7})
    figures = privacy.extra_figures(iworld.campaign, iworld.school_e)
    assert {f.reason for f in figures.values()} == {privacy.COMPLEMENTARY}
    assert all(f.value is None and f.n == 7 for f in figures.values())
    html = _extra_section(iworld, iworld.school_e)
    assert "No: 4" not in html and "Yes: 3" not in html and "worked out" in html


def test_own_question_few_answered_is_hidden_in_a_published_school(iworld):
    _with_extra(iworld, iworld.school_a, {"x_1": 18, "x_2": 3})
    figures = privacy.extra_figures(iworld.campaign, iworld.school_a)
    assert figures["x_1"].reason is None and figures["x_1"].value == {0: 9, 1: 9}
    assert figures["x_2"].reason == privacy.SMALL and figures["x_2"].value is None and figures["x_2"].n == 3
    html = _extra_section(iworld, iworld.school_a)
    assert "Yes: 9" in html and "fewer than" in html


@st.composite
def answered_campaigns(draw):
    """A generated campaign (as the audit's) and, per atom, how many answered one item (0..n)."""
    schools, atoms = draw(audit_campaigns())
    return schools, atoms, {atom: draw(st.integers(0, n)) for atom, n in atoms.items()}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answered_campaigns())
def test_item_decisions_pass_the_exact_audit_on_generated_campaigns(data):
    """Whatever subset answered the item, its decision hides every small group of answerers, every
    group whose every page the release hides, and leaves no hidden figure determined."""
    from surveyapp.privacy.audit import audit_cells
    from surveyapp.privacy.cells import build_cells
    from surveyapp.privacy.decide import decide
    from surveyapp.privacy.items import _start
    from surveyapp.privacy.release import Release
    schools, atoms, answered = data
    cells = build_cells(schools, atoms)
    main = Release(0, 5, cells, decide(cells, 5), schools)
    item_cells = build_cells(schools, answered)
    start = _start(main, item_cells)
    decision = decide(item_cells, 5, start)
    assert audit_cells(item_cells, decision) == []
    assert all(decision.reason(c) for c in start)
    assert all(decision.reason(c) == privacy.SMALL for c, n in item_cells.counts.items() if 0 < n < 5)


def test_a_dialogue_sessions_suggested_items_follow_the_layers_decision(iworld):
    """The dialogue session pre-fills a school's weakest agree-scale items with their means, read
    through the layer: nothing for school B (3 answers, hidden), A's items for A (18 answers)."""
    from plugins.school_dialogue.sessions import weakest_items
    definition = definition_of(iworld.campaign)
    for school, shown in ((iworld.schools["B"], False), (iworld.schools["A"], True)):
        per_item = privacy.single(privacy.distributions(iworld.campaign, definition, school), iworld.campaign)
        assert bool(per_item.value) is shown, school.code
        suggested = weakest_items(iworld.campaign, school, "en")
        assert bool(suggested) is shown, (school.code, suggested)
        for row in suggested:
            assert per_item.value[row["item"]].n == row["n"] and not per_item.value[row["item"]].reason
