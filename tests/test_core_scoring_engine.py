"""The generic scoring engine: methods, reverse items, weights, multipliers, bands, risk, outcome."""
from __future__ import annotations

import textwrap

import pytest

from surveyapp.questionnaire import AnswerError, check_answers, load_text
from surveyapp.scoring import ScoringError, score


def build(scoring: str, items: str = "") -> object:
    text = textwrap.dedent("""\
        schema_version: 1
        id: demo.engine
        version: "1"
        title: {vi: T, en: T}
        locales: [vi, en]
        source: test
        licence: test
        scales:
          five:
            - {value: 1, text: {vi: "1", en: "1"}}
            - {value: 2, text: {vi: "2", en: "2"}}
            - {value: 3, text: {vi: "3", en: "3"}}
            - {value: 4, text: {vi: "4", en: "4"}}
            - {value: 5, text: {vi: "5", en: "5"}}
        sections:
          - id: s
            title: {vi: S, en: S}
            items:
              - {id: a, type: likert, scale: five, text: {vi: A, en: A}}
              - {id: b, type: likert, scale: five, reverse: true, text: {vi: B, en: B}}
              - {id: c, type: yes_no, text: {vi: C, en: C}}
        """) + textwrap.indent(textwrap.dedent(items), "      ") + textwrap.dedent(scoring)
    return load_text(text, "engine.yaml")


SUM = """\
scoring:
  primary: total
  scales:
    - id: total
      label: {vi: T, en: T}
      items: [a, b]
      weights: {a: 2}
      multiplier: 10
      bands:
        - {id: low, min: 0, max: 59, label: {vi: L, en: L}}
        - {id: high, min: 60, label: {vi: H, en: H}, needs_review: true}
  risk:
    - {id: c_yes, when: {item: c, eq: 1}, label: {vi: R, en: R}}
"""


@pytest.mark.parametrize("a, b, c, total, band, risk", [
    (1, 5, 0, (2 * 1 + 1) * 10, "low", False),      # b=5 reversed to 1
    (2, 5, 0, (2 * 2 + 1) * 10, "low", False),
    (3, 5, 1, (2 * 3 + 1) * 10, "high", True),       # 70 -> high, needs review
    (5, 1, 0, (2 * 5 + 5) * 10, "high", False),
])
def test_weights_reverse_multiplier_bands_risk(a, b, c, total, band, risk):
    definition = build(SUM)
    result = score(definition, check_answers(definition, {"a": a, "b": b, "c": c}))
    assert (result.total, result.band, result.risk) == (total, band, risk)
    assert result.needs_review == (band == "high")


def test_mean_count_and_percent_methods():
    definition = build("""\
scoring:
  scales:
    - {id: avg, label: {vi: M, en: M}, method: mean, items: [a, b]}
    - {id: fives, label: {vi: F, en: F}, method: count_equal, params: {value: 5}, items: [a, b]}
    - {id: share, label: {vi: P, en: P}, method: percent_equal, params: {value: 5, exclude: [3]}, items: [a, b]}
""")
    result = score(definition, check_answers(definition, {"a": 5, "b": 3, "c": 0}))
    assert result.subscales["avg"].score == 4.0          # (5 + reverse(3)=3) / 2
    assert result.subscales["fives"].score == 1
    assert result.subscales["share"].score == 100.0      # the 3 is left out of the base


def test_score_outside_every_band_is_an_error_not_a_label():
    from surveyapp.questionnaire import QuestionnaireError, load_data
    gap = SUM.replace("min: 60, label", "min: 80, label")
    with pytest.raises(QuestionnaireError, match="leaves a gap between 59 and 80"):
        build(gap)   # a file with a gap is refused ...
    stored = build(SUM).raw
    stored["scoring"]["scales"][0]["bands"][1]["min"] = 80
    # ... but a version stored before that rule (loaded with load_data, as the database's are)
    # still never gets a made-up band
    definition = load_data(stored, "stored version")
    with pytest.raises(ScoringError, match="outside every band"):
        score(definition, check_answers(definition, {"a": 3, "b": 5, "c": 0}))  # 70


def test_missing_answers_are_errors_never_zero():
    definition = build(SUM)
    with pytest.raises(AnswerError) as info:
        check_answers(definition, {"a": 3})
    assert set(info.value.errors) == {"b", "c"}
    with pytest.raises(ScoringError, match="has no answer"):
        score(definition, {"a": 3, "c": 0})


def test_hidden_items_are_neither_required_nor_scored():
    definition = build(SUM.replace("items: [a, b]", "items: [a, b, d]"),
                       items="- {id: d, type: likert, scale: five, show_if: {item: c, eq: 1}, text: {vi: D, en: D}}\n")
    hidden = check_answers(definition, {"a": 1, "b": 5, "c": 0, "d": 5})
    assert "d" not in hidden
    assert score(definition, hidden).total == 30
    with pytest.raises(AnswerError):
        check_answers(definition, {"a": 1, "b": 5, "c": 1})


def test_outcome_rules_first_match_wins_with_context():
    definition = build("""\
scoring:
  scales:
    - {id: total, label: {vi: T, en: T}, items: [a]}
  outcome:
    id: result
    rules:
      - {when: {item: c, eq: 1}, result: excluded}
      - {when: {all: [{score: total, gte: 4}, {context: kind, in: [big]}]}, result: passed}
    default: failed
    labels:
      excluded: {vi: X, en: X}
      passed: {vi: P, en: P}
      failed: {vi: F, en: F}
""")
    answers = check_answers(definition, {"a": 5, "b": 1, "c": 0})
    assert score(definition, answers, context={"kind": "big"}).outcome == "passed"
    assert score(definition, answers, context={"kind": "small"}).outcome == "failed"
    excluded = check_answers(definition, {"a": 5, "b": 1, "c": 1})
    assert score(definition, excluded, context={"kind": "big"}).outcome == "excluded"
