"""Rules a questionnaire file must meet before anyone answers it: optional items in scales,
half-open bands, and `surveyapp validate` checking everything start-up checks."""
from __future__ import annotations

import textwrap

import pytest

from conftest import login, make_app, post
from respondent_helpers import answer_all
from surveyapp.hookspecs import hookimpl
from surveyapp.modules import AssessmentModule
from surveyapp.questionnaire import QuestionnaireError, check_answers, load_text
from surveyapp.scoring import score

HEAD = """\
schema_version: 1
id: parents.safety
version: "1"
title: {vi: T, en: T}
locales: [vi, en]
source: test
licence: test
scales:
  agree:
    - {value: 1, text: {vi: "1", en: "1"}}
    - {value: 2, text: {vi: "2", en: "2"}}
    - {value: 3, text: {vi: "3", en: "3"}}
    - {value: 4, text: {vi: "4", en: "4"}}
sections:
  - id: s
    title: {vi: S, en: S}
    items:
      - {id: a, type: likert, scale: agree, text: {vi: A, en: A}}
      - {id: b, type: likert, scale: agree, text: {vi: B, en: B}}
      - {id: c, type: likert, scale: agree, required: false, text: {vi: C, en: C}}
      - id: seen
        type: multi_choice
        text: {vi: Thấy, en: Seen}
        options: [{value: 0, text: {vi: X, en: X}}, {value: 1, text: {vi: Y, en: Y}}]
"""


def scale(extra: str = "", method: str = "sum", items: str = "[a, b, c]") -> str:
    return HEAD + textwrap.dedent(f"""\
        scoring:
          primary: total
          scales:
            - id: total
              label: {{vi: T, en: T}}
              method: {method}
              items: {items}
        """) + textwrap.indent(textwrap.dedent(extra), "      ")


def problems(text: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as info:
        load_text(text, "parents.yaml")
    return [str(p) for p in info.value.problems]


# -- optional items in a scale -----------------------------------------------------------------

def test_an_optional_item_in_a_scale_without_a_rule_is_refused_at_its_line():
    assert problems(scale()) == [
        "parents.yaml:31: scoring.scales[0].items: item 'c' is optional (required: false): give the scale a "
        "'missing' rule (zero, skip or prorate)"]


def test_a_text_item_in_a_scale_is_refused():
    text = scale(items="[a, note]", extra="").replace(
        "sections:\n  - id: s\n    title: {vi: S, en: S}\n    items:\n",
        "sections:\n  - id: s\n    title: {vi: S, en: S}\n    items:\n"
        "      - {id: note, type: short_text, text: {vi: N, en: N}}\n")
    assert any("item 'note' is a text item" in p for p in problems(text))


@pytest.mark.parametrize("rule, answers, expected", [
    ("zero", {"a": 4, "b": 2}, 6),          # c counts as 0
    ("skip", {"a": 4, "b": 2}, 6),          # c left out of the sum
    ("prorate", {"a": 4, "b": 2}, 9),       # c counts as the mean of a and b (3)
    ("prorate", {"a": 4, "b": 2, "c": 1}, 7),
])
def test_missing_rules_score_an_unanswered_optional_item(rule, answers, expected):
    definition = load_text(scale(f"missing: {rule}\n"), "parents.yaml")
    assert score(definition, {**answers, "seen": 0}).total == expected


def test_skip_with_a_mean_leaves_the_item_out_of_the_base():
    definition = load_text(scale("missing: skip\n", method="mean"), "parents.yaml")
    assert score(definition, {"a": 4, "b": 2, "seen": 0}).total == 3


def test_an_empty_tick_set_is_an_answer_zero_ticks():
    definition = load_text(scale("missing: skip\n"), "parents.yaml")
    assert check_answers(definition, {"a": 1, "b": 1, "seen": []})["seen"] == 0
    assert check_answers(definition, {"a": 1, "b": 1, "seen": ["0", "1"]})["seen"] == 0b11


# -- bands -------------------------------------------------------------------------------------

def bands(lines: str, method: str = "mean") -> str:
    return scale("missing: skip\nbands:\n" + textwrap.indent(textwrap.dedent(lines), "  "), method=method)


def test_half_open_bands_put_the_boundary_in_the_upper_band():
    definition = load_text(bands("""\
        - {id: low, min: 1, below: 2.5, label: {vi: T, en: L}}
        - {id: high, min: 2.5, max: 4, label: {vi: C, en: H}}
        """), "parents.yaml")
    assert score(definition, {"a": 2, "b": 3, "seen": 0}).band == "high"     # exactly 2.5
    assert score(definition, {"a": 2, "b": 2, "c": 3, "seen": 0}).band == "low"   # 2.333...


@pytest.mark.parametrize("lines, message", [
    ("""\
     - {id: low, min: 1, below: 2.5, label: {vi: T, en: L}}
     - {id: high, min: 2.6, max: 4, label: {vi: C, en: H}}
     """, "leaves a gap between 2.5 and 2.6 before band 'high'"),
    ("""\
     - {id: low, min: 1, below: 2.5, label: {vi: T, en: L}}
     - {id: high, min: 2.4, max: 4, label: {vi: C, en: H}}
     """, "band 'high' overlaps band 'low'"),
    ("""\
     - {id: low, min: 1, max: 2.5, label: {vi: T, en: L}}
     - {id: high, min: 2.51, max: 4, label: {vi: C, en: H}}
     """, "leaves a gap between 2.5 and 2.51 before band 'high' (use 'below: 2.51'"),
    ("""\
     - {id: low, min: 1, max: 2, below: 2, label: {vi: T, en: L}}
     """, "give 'max' or 'below', not both"),
])
def test_bands_may_neither_overlap_nor_leave_gaps(lines, message):
    assert any(message in p for p in problems(bands(lines)))


def test_whole_number_scores_may_use_closed_bands_without_gaps():
    definition = load_text(bands("""\
        - {id: low, min: 0, max: 5, label: {vi: T, en: L}}
        - {id: high, min: 6, label: {vi: C, en: H}}
        """, method="sum"), "parents.yaml")
    assert score(definition, {"a": 3, "b": 3, "seen": 0}).band == "high"
    gap = bands("""\
        - {id: low, min: 0, max: 5, label: {vi: T, en: L}}
        - {id: high, min: 7, label: {vi: C, en: H}}
        """, method="sum")
    assert any("leaves a gap between 5 and 7" in p for p in problems(gap))


# -- the respondent never meets a 500 on the last page ------------------------------------------

class Parents:
    def __init__(self, path):
        self.path = path

    @hookimpl
    def register_assessment_modules(self):
        return [AssessmentModule(id="parents", name={"vi": "Cha mẹ", "en": "Parents"})]

    @hookimpl
    def register_questionnaires(self):
        return [self.path]


def test_an_optional_item_left_blank_in_a_skip_scale_submits(tmp_path, postgres_url):
    path = tmp_path / "safety.yaml"
    path.write_text(scale("missing: skip\n", method="mean"), encoding="utf-8")
    app = make_app(tmp_path, postgres_url, extra_plugins=[Parents(path)])
    from surveyapp.extensions import db
    from surveyapp.models import AccessCode, Response
    with app.test_request_context():
        from conftest import World
        dept_id = World().dept.id
    staff = app.test_client()
    login(staff, "dept_admin")
    created = post(staff, "/campaigns/new", {"name": "Parents", "questionnaire": "parents.safety",
                                             "scope": str(dept_id)})
    campaign_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    assert post(staff, f"/campaigns/{campaign_id}/status", {"status": "open"}).status_code == 302
    with app.app_context():
        code = db.session.query(AccessCode).filter_by(campaign_id=campaign_id).first().code
    # c left blank, no tick on "seen": both are fine, and the last page is not a 500
    done = answer_all(app.test_client(), code, {"a": "4", "b": "1"})
    assert "/done" in done.headers["Location"]
    with app.app_context():
        response = db.session.query(Response).filter_by(campaign_id=campaign_id).one()
        assert response.total == 2.5
        db.session.remove()
        db.engine.dispose()
