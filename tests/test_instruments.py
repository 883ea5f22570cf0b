"""Scoring tests for the mental-health screening instruments (plugins/mental_health/questionnaires).

Pure: load the YAML files, check answers and score them with the core engine; no Flask app.
Expected bands come from tables written here from reference/instruments.md, not from the files.
"""
from functools import lru_cache
from pathlib import Path

import pytest

from surveyapp.questionnaire import AnswerError, answers_from_list, check_answers, load_file
from surveyapp.scoring import ScoringError, score

QDIR = Path(__file__).resolve().parent.parent / "plugins" / "mental_health" / "questionnaires"

SCORED = ["phq_a", "phq9", "phq8", "gad7", "dass21", "asq"]
ALL = SCORED + ["sdq"]
ITEM_COUNT = {"phq_a": 13, "phq9": 9, "phq8": 8, "gad7": 7, "dass21": 21, "asq": 5}
ANONYMOUS = {"phq_a": False, "phq9": False, "asq": False, "phq8": True, "gad7": True, "dass21": True}
RISK_RULES = {
    "phq_a": ["item9_self_harm", "item12_suicidal_thoughts_month", "item13_suicide_attempt_ever"],
    "phq9": ["item9_self_harm"],
    "phq8": [], "gad7": [], "dass21": [],
    "asq": ["asq1_wished_dead", "asq2_better_off_dead", "asq3_suicidal_thoughts_week",
            "asq4_attempt_ever", "asq_acute"],
}

# (low, high, band, needs_review) - reference §2-§5
PHQ_BANDS = [(0, 4, "minimal", False), (5, 9, "mild", False), (10, 14, "moderate", False),
             (15, 19, "moderately_severe", True), (20, 27, "severe", True)]
PHQ8_BANDS = [(lo, min(hi, 24), band, False) for lo, hi, band, _ in PHQ_BANDS]  # anonymous: no review
GAD_BANDS = [(0, 4, "minimal", False), (5, 9, "mild", False), (10, 14, "moderate", False),
             (15, 21, "severe", False)]
TOTAL_BANDS = {"phq_a": PHQ_BANDS, "phq9": PHQ_BANDS, "phq8": PHQ8_BANDS, "gad7": GAD_BANDS}
CORE_ITEMS = {"phq_a": 9, "phq9": 9, "phq8": 8, "gad7": 7}

# DASS-21: published item numbers and Lovibond cut-offs on the doubled score
DASS_ITEMS = {
    "depression": [3, 5, 10, 13, 16, 17, 21],
    "anxiety": [2, 4, 7, 9, 15, 19, 20],
    "stress": [1, 6, 8, 11, 12, 14, 18],
}
_DASS_NAMES = ["normal", "mild", "moderate", "severe", "extremely_severe"]
DASS_BANDS = {
    "depression": list(zip([0, 10, 14, 21, 28], [9, 13, 20, 27, 42], _DASS_NAMES)),
    "anxiety": list(zip([0, 8, 10, 15, 20], [7, 9, 14, 19, 42], _DASS_NAMES)),
    "stress": list(zip([0, 15, 19, 26, 34], [14, 18, 25, 33, 42], _DASS_NAMES)),
}


@lru_cache(maxsize=None)
def load(name):
    return load_file(QDIR / f"{name}.yaml")


def run(name, values):
    """The CLI path: a list of values in item order -> checked answers -> score."""
    definition = load(name)
    return score(definition, check_answers(definition, answers_from_list(definition, values)))


def spread(total, n):
    """n item values of 0-3 summing to total, filled from the first item."""
    assert 0 <= total <= 3 * n
    values = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    return values + [0] * (n - len(values))


def expected_band(table, value):
    matches = [row for row in table if row[0] <= value <= row[1]]
    assert len(matches) == 1, f"test table has no single band for {value}"
    return matches[0]


def with_extras(name, core, extras=(0, 0, 0, 0)):
    return list(core) + (list(extras) if name == "phq_a" else [])


# -- the files themselves ------------------------------------------------------------------

def test_directory_holds_exactly_these_instruments():
    assert sorted(p.stem for p in QDIR.glob("*.yaml")) == sorted(ALL)


@pytest.mark.parametrize("name", ALL)
def test_metadata(name):
    model = load(name).model
    assert model.id == f"mental_health.{name}"
    assert model.schema_version == 1 and model.version == "1.0"
    assert {"vi", "en"} <= set(model.locales)
    assert model.respondent == "student"
    for text in (model.title, model.description):
        assert text.vi.strip() and text.en.strip()
    assert "http" in model.source and len(model.source) > 80
    assert len(model.licence) > 40
    assert model.translation.status == "not_validated"
    assert model.translation.note.vi.strip() and model.translation.note.en.strip()


@pytest.mark.parametrize("name", SCORED)
def test_item_count_anonymity_and_required(name):
    definition = load(name)
    assert len(definition.item_order) == ITEM_COUNT[name]
    assert definition.model.anonymous is ANONYMOUS[name]
    assert definition.model.withheld is None
    assert all(info.item.required for info in definition.items.values())


def _has_diacritics(text):
    return any(ord(ch) > 127 for ch in text)


@pytest.mark.parametrize("name", SCORED)
def test_every_item_and_option_has_vi_and_en(name):
    definition = load(name)
    for section in definition.sections:
        assert section.title.vi.strip() and section.title.en.strip()
    for item_id, info in definition.items.items():
        text = info.item.text
        assert text.vi.strip() and text.en.strip(), item_id
        assert text.vi != text.en and _has_diacritics(text.vi), f"{item_id}: Vietnamese text missing"
        assert info.options, item_id
        for option in info.options:
            assert option.text.vi.strip() and option.text.en.strip(), (item_id, option.value)
    scoring = definition.model.scoring
    for scale in scoring.scales:
        assert scale.label.vi.strip() and scale.label.en.strip()
        for band in scale.bands:
            assert band.label.vi.strip() and band.label.en.strip()
    for rule in scoring.risk:
        assert rule.label.vi.strip() and rule.label.en.strip()


@pytest.mark.parametrize("name", SCORED)
def test_value_ranges_and_reusable_scales(name):
    definition = load(name)
    for item_id, info in definition.items.items():
        if info.item.type == "yes_no":
            assert sorted(o.value for o in info.options) == [0, 1]
        else:
            assert info.item.type == "likert" and info.item.scale, f"{item_id}: use a reusable scale"
            assert definition.value_range(item_id) == (0, 3)


@pytest.mark.parametrize("name", SCORED)
def test_risk_rule_ids(name):
    assert [rule.id for rule in load(name).model.scoring.risk] == RISK_RULES[name]


def test_phq_a_item_order_and_wording():
    items = load("phq_a").items
    assert "irritable" in items["q1"].item.text.en
    assert "interest or pleasure" in items["q2"].item.text.en
    assert "appetite" in items["q4"].item.text.en and "tired" in items["q5"].item.text.en
    assert "school work" in items["q7"].item.text.en
    assert [items[f"q{i}"].item.type for i in range(10, 14)] == ["yes_no", "likert", "yes_no", "yes_no"]
    assert "past year" in items["q10"].item.text.en
    assert "past month" in items["q12"].item.text.en
    assert "EVER" in items["q13"].item.text.en


def test_phq9_keeps_adult_order():
    items = load("phq9").items
    assert "interest or pleasure" in items["q1"].item.text.en
    assert "depressed" in items["q2"].item.text.en and "irritable" not in items["q2"].item.text.en
    assert "better off dead" in items["q9"].item.text.en


@pytest.mark.parametrize("name", ["phq_a", "phq9", "phq8", "gad7"])
def test_total_scale_is_primary_over_core_items_only(name):
    scoring = load(name).model.scoring
    assert scoring.primary == "total"
    [total] = scoring.scales
    assert total.items == [f"q{i}" for i in range(1, CORE_ITEMS[name] + 1)]
    assert total.method == "sum" and total.multiplier == 1


def test_dass_scales_match_published_item_lists():
    scoring = load("dass21").model.scoring
    assert scoring.primary is None
    scales = {s.id: s for s in scoring.scales}
    assert set(scales) == set(DASS_ITEMS)
    for scale_id, numbers in DASS_ITEMS.items():
        assert scales[scale_id].items == [f"q{n}" for n in numbers]
        assert scales[scale_id].method == "sum" and scales[scale_id].multiplier == 2
        assert scales[scale_id].bands[-1].max is None
    assert sorted(n for numbers in DASS_ITEMS.values() for n in numbers) == list(range(1, 22))


# -- PHQ-A / PHQ-9 / PHQ-8 / GAD-7 totals and bands -------------------------------------------

BOUNDARIES = [
    # (instrument, total, band, needs_review)
    *[(name, total, band, review) for name in ("phq_a", "phq9") for total, band, review in [
        (0, "minimal", False), (4, "minimal", False), (5, "mild", False), (9, "mild", False),
        (10, "moderate", False), (14, "moderate", False), (15, "moderately_severe", True),
        (19, "moderately_severe", True), (20, "severe", True), (27, "severe", True)]],
    *[("phq8", total, band, False) for total, band in [
        (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
        (15, "moderately_severe"), (19, "moderately_severe"), (20, "severe"), (24, "severe")]],
    *[("gad7", total, band, False) for total, band in [
        (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
        (15, "severe"), (21, "severe")]],
]


@pytest.mark.parametrize("name,total,band,review", BOUNDARIES)
def test_total_band_boundaries(name, total, band, review):
    result = run(name, with_extras(name, spread(total, CORE_ITEMS[name])))
    assert (result.total, result.band, result.needs_review) == (total, band, review)
    assert result.subscales == {}


@pytest.mark.parametrize("name", ["phq_a", "phq9", "phq8", "gad7"])
def test_every_possible_total_lands_in_the_right_band(name):
    n = CORE_ITEMS[name]
    for total in range(0, 3 * n + 1):
        core = spread(total, n)
        result = run(name, with_extras(name, core))
        _, _, band, review = expected_band(TOTAL_BANDS[name], total)
        assert (result.total, result.band, result.needs_review) == (total, band, review), total
        item9_risk = name in ("phq_a", "phq9") and core[8] >= 1
        assert result.risk is item9_risk, total


@pytest.mark.parametrize("name", ["phq_a", "phq9", "phq8", "gad7"])
def test_total_does_not_depend_on_which_items(name):
    n = CORE_ITEMS[name]
    forward, backward = spread(7, n), list(reversed(spread(7, n)))
    a, b = run(name, with_extras(name, forward)), run(name, with_extras(name, backward))
    assert a.total == b.total == 7 and a.band == b.band == "mild"


# -- PHQ-A supplementary questions and risk ------------------------------------------------

@pytest.mark.parametrize("total", [0, 4, 9, 14, 19, 24])
def test_phq_a_extras_never_change_total_or_band(total):
    core = spread(total, 8) + [0]  # item 9 = 0
    plain = run("phq_a", core + [0, 0, 0, 0])
    maxed = run("phq_a", core + [1, 3, 1, 1])
    assert (maxed.total, maxed.band, maxed.needs_review) == (plain.total, plain.band, plain.needs_review)
    assert plain.total == total
    assert plain.risk is False and maxed.risk is True


@pytest.mark.parametrize("values,total,rules", [
    ([0] * 8 + [1] + [0, 0, 0, 0], 1, ["item9_self_harm"]),
    ([0] * 8 + [2] + [0, 0, 0, 0], 2, ["item9_self_harm"]),
    ([0] * 8 + [3] + [0, 0, 0, 0], 3, ["item9_self_harm"]),
    ([0] * 9 + [0, 0, 1, 0], 0, ["item12_suicidal_thoughts_month"]),
    ([0] * 9 + [0, 0, 0, 1], 0, ["item13_suicide_attempt_ever"]),
    ([0] * 8 + [1] + [0, 0, 1, 1], 1, RISK_RULES["phq_a"]),
    ([0] * 9 + [1, 3, 0, 0], 0, []),             # past-year mood and difficulty are not risk items
    ([3] * 8 + [0] + [1, 3, 0, 0], 24, []),      # high total alone is not risk
])
def test_phq_a_risk_rules(values, total, rules):
    result = run("phq_a", values)
    assert result.total == total
    assert result.risk_rules == rules
    assert result.risk is bool(rules)


def test_phq_a_severe_without_risk_still_needs_review():
    result = run("phq_a", [3] * 8 + [0] + [0, 0, 0, 0])
    assert (result.total, result.band, result.risk, result.needs_review) == (24, "severe", False, True)


def test_phq_a_risk_with_minimal_total():
    result = run("phq_a", [0] * 8 + [1] + [0, 0, 0, 0])
    assert (result.band, result.needs_review, result.risk) == ("minimal", False, True)


@pytest.mark.parametrize("item9,risk", [(0, False), (1, True), (2, True), (3, True)])
def test_phq9_item9_risk(item9, risk):
    result = run("phq9", [0] * 8 + [item9])
    assert result.risk is risk
    assert result.risk_rules == (["item9_self_harm"] if risk else [])


def test_phq9_high_total_without_item9_is_not_risk():
    result = run("phq9", [3] * 8 + [0])
    assert (result.total, result.band, result.risk, result.needs_review) == (24, "severe", False, True)


@pytest.mark.parametrize("name", ["phq8", "gad7"])
def test_anonymous_instruments_never_flag(name):
    n = CORE_ITEMS[name]
    for values in ([3] * n, [0] * n, [1] * n, [0] * (n - 1) + [3]):
        result = run(name, values)
        assert result.risk is False and result.risk_rules == [] and result.needs_review is False


# -- DASS-21 --------------------------------------------------------------------------------

def dass_values(scale_id, raw):
    values = [0] * 21
    for number, value in zip(DASS_ITEMS[scale_id], spread(raw, 7)):
        values[number - 1] = value
    return values


DASS_BOUNDARIES = [
    # (scale, raw sum, doubled score, band)
    ("depression", 0, 0, "normal"), ("depression", 4, 8, "normal"), ("depression", 5, 10, "mild"),
    ("depression", 6, 12, "mild"), ("depression", 7, 14, "moderate"), ("depression", 10, 20, "moderate"),
    ("depression", 11, 22, "severe"), ("depression", 13, 26, "severe"),
    ("depression", 14, 28, "extremely_severe"), ("depression", 21, 42, "extremely_severe"),
    ("anxiety", 0, 0, "normal"), ("anxiety", 3, 6, "normal"), ("anxiety", 4, 8, "mild"),
    ("anxiety", 5, 10, "moderate"), ("anxiety", 7, 14, "moderate"), ("anxiety", 8, 16, "severe"),
    ("anxiety", 9, 18, "severe"), ("anxiety", 10, 20, "extremely_severe"),
    ("anxiety", 21, 42, "extremely_severe"),
    ("stress", 0, 0, "normal"), ("stress", 7, 14, "normal"), ("stress", 8, 16, "mild"),
    ("stress", 9, 18, "mild"), ("stress", 10, 20, "moderate"), ("stress", 12, 24, "moderate"),
    ("stress", 13, 26, "severe"), ("stress", 16, 32, "severe"), ("stress", 17, 34, "extremely_severe"),
    ("stress", 21, 42, "extremely_severe"),
]


@pytest.mark.parametrize("scale_id,raw,doubled,band", DASS_BOUNDARIES)
def test_dass_band_boundaries(scale_id, raw, doubled, band):
    result = run("dass21", dass_values(scale_id, raw))
    assert result.total is None and result.band is None
    sub = result.subscales[scale_id]
    assert (sub.score, sub.band) == (doubled, band)
    for other in set(DASS_ITEMS) - {scale_id}:
        assert (result.subscales[other].score, result.subscales[other].band) == (0, "normal")
    assert result.risk is False and result.needs_review is False


@pytest.mark.parametrize("scale_id", sorted(DASS_ITEMS))
def test_dass_every_raw_sum(scale_id):
    for raw in range(0, 22):
        sub = run("dass21", dass_values(scale_id, raw)).subscales[scale_id]
        assert sub.score == 2 * raw
        assert sub.band == expected_band(DASS_BANDS[scale_id], 2 * raw)[2], raw


ITEM_TO_SCALE = {n: scale_id for scale_id, numbers in DASS_ITEMS.items() for n in numbers}


@pytest.mark.parametrize("number", range(1, 22))
def test_dass_item_moves_only_its_subscale(number):
    values = [0] * 21
    values[number - 1] = 3
    result = run("dass21", values)
    moved = {scale_id: sub.score for scale_id, sub in result.subscales.items() if sub.score}
    assert moved == {ITEM_TO_SCALE[number]: 6}


def test_dass_all_max_and_item21_is_not_a_risk_item():
    result = run("dass21", [3] * 21)
    assert {k: (v.score, v.band) for k, v in result.subscales.items()} == {
        "depression": (42, "extremely_severe"), "anxiety": (42, "extremely_severe"),
        "stress": (42, "extremely_severe")}
    assert result.risk is False
    only_21 = run("dass21", [0] * 20 + [3])
    assert only_21.risk is False and only_21.subscales["depression"].score == 6


# -- ASQ ------------------------------------------------------------------------------------

def test_asq_negative_screen_hides_acuity():
    definition = load("asq")
    clean = check_answers(definition, answers_from_list(definition, [0, 0, 0, 0, None]))
    assert "q5" not in clean
    result = score(definition, clean)
    assert (result.risk, result.outcome, result.subscales["positives"].score) == (False, "negative", 0)


@pytest.mark.parametrize("item", [1, 2, 3, 4])
def test_asq_single_yes_is_positive(item):
    values = [0, 0, 0, 0]
    values[item - 1] = 1
    result = run("asq", values + [0])
    assert result.risk is True
    assert result.risk_rules == [RISK_RULES["asq"][item - 1]]
    assert result.outcome == "non_acute_positive"
    assert result.subscales["positives"].score == 1


@pytest.mark.parametrize("item", [1, 2, 3, 4])
def test_asq_acute_positive(item):
    values = [0, 0, 0, 0]
    values[item - 1] = 1
    result = run("asq", values + [1])
    assert result.risk_rules == [RISK_RULES["asq"][item - 1], "asq_acute"]
    assert result.outcome == "acute_positive"


def test_asq_all_yes():
    result = run("asq", [1, 1, 1, 1, 0])
    assert result.risk_rules == RISK_RULES["asq"][:4]
    assert result.subscales["positives"].score == 4 and result.outcome == "non_acute_positive"


def test_asq_acuity_ignored_when_negative():
    definition = load("asq")
    clean = check_answers(definition, answers_from_list(definition, [0, 0, 0, 0, 1]))
    assert "q5" not in clean  # hidden item dropped
    result = score(definition, clean)
    assert (result.risk, result.risk_rules, result.outcome) == (False, [], "negative")


def test_asq_acuity_required_when_positive():
    definition = load("asq")
    with pytest.raises(AnswerError) as info:
        check_answers(definition, answers_from_list(definition, [0, 0, 1, 0, None]))
    assert set(info.value.errors) == {"q5"}


def test_asq_acute_rule_cannot_fire_without_a_positive_screen():
    # Even if unchecked answers with a stray q5 reach the engine, a negative screen stays negative.
    result = score(load("asq"), {"q1": 0, "q2": 0, "q3": 0, "q4": 0, "q5": 1})
    assert (result.risk, result.outcome) == (False, "negative")


# -- bad input: rejected, never scored as 0 ----------------------------------------------------

def valid_values(name):
    return {"asq": [0, 0, 0, 0, None]}.get(name, [0] * ITEM_COUNT[name])


@pytest.mark.parametrize("name", SCORED)
@pytest.mark.parametrize("delta", [-1, 1])
def test_wrong_item_count(name, delta):
    definition = load(name)
    values = [0] * (ITEM_COUNT[name] + delta)
    with pytest.raises(AnswerError) as info:
        answers_from_list(definition, values)
    assert "answers" in info.value.errors


@pytest.mark.parametrize("name", SCORED)
@pytest.mark.parametrize("bad", [4, -1, "two", "2.5", True, 2.5, [1]])
def test_invalid_value_on_every_item(name, bad):
    definition = load(name)
    for index, item_id in enumerate(definition.item_order):
        if name == "asq" and item_id == "q5":
            continue  # hidden on a negative screen; checked separately below
        values = valid_values(name)
        values[index] = bad
        with pytest.raises(AnswerError) as info:
            check_answers(definition, answers_from_list(definition, values))
        assert item_id in info.value.errors, (item_id, bad)


@pytest.mark.parametrize("name,item_id,bad", [
    ("phq_a", "q10", 2), ("phq_a", "q12", 2), ("phq_a", "q13", 3), ("asq", "q1", 2),
])
def test_yes_no_takes_only_0_or_1(name, item_id, bad):
    definition = load(name)
    values = valid_values(name)
    values[definition.item_order.index(item_id)] = bad
    with pytest.raises(AnswerError) as info:
        check_answers(definition, answers_from_list(definition, values))
    assert item_id in info.value.errors


def test_asq_acuity_rejects_invalid_value_when_shown():
    definition = load("asq")
    with pytest.raises(AnswerError) as info:
        check_answers(definition, answers_from_list(definition, [1, 0, 0, 0, 4]))
    assert "q5" in info.value.errors


@pytest.mark.parametrize("name", SCORED)
@pytest.mark.parametrize("blank", [None, ""])
def test_missing_required_answer_on_every_item(name, blank):
    definition = load(name)
    for index, item_id in enumerate(definition.item_order):
        if name == "asq" and item_id == "q5":
            continue  # covered by test_asq_acuity_required_when_positive
        values = valid_values(name)
        values[index] = blank
        with pytest.raises(AnswerError) as info:
            check_answers(definition, answers_from_list(definition, values))
        assert info.value.errors == {item_id: "an answer is required"}


@pytest.mark.parametrize("name", SCORED)
def test_engine_refuses_incomplete_answers(name):
    definition = load(name)
    full = check_answers(definition, answers_from_list(definition, valid_values(name)))
    first_scored = next(iter(definition.model.scoring.scales)).items[0]
    partial = {k: v for k, v in full.items() if k != first_scored}
    assert partial == check_answers(definition, partial, partial=True)
    with pytest.raises(ScoringError):
        score(definition, partial)


def test_cli_strings_are_accepted_as_numbers():
    as_text = run("phq9", ["3", "3", "3", "3", "3", "0", "0", "0", "1"])
    as_int = run("phq9", [3, 3, 3, 3, 3, 0, 0, 0, 1])
    assert (as_text.total, as_text.band, as_text.risk) == (as_int.total, as_int.band, as_int.risk) \
        == (16, "moderately_severe", True)


# -- SDQ ---------------------------------------------------------------------------------------

def test_sdq_is_withheld():
    definition = load("sdq")
    model = definition.model
    assert model.withheld is not None
    assert "youthinmind" in model.withheld.vi and "youthinmind" in model.withheld.en
    assert model.sections == [] and definition.item_order == [] and model.scoring is None
    assert "sdqinfo" in model.source and "youthinmind" in model.licence
    result = score(definition, {})
    assert (result.total, result.risk) == (None, False)
