"""The shipped questionnaire data: safe-school criteria sets and the school-dialogue survey.

Pure tests (no Flask): load each file, check its shape, and run the outcome rules
through the scoring engine with answers built by small helpers.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from surveyapp.questionnaire import AnswerError, check_answers, load_file
from surveyapp.scoring import score

PLUGINS = Path(__file__).resolve().parents[1] / "plugins"
TT18 = PLUGINS / "safe_school" / "questionnaires" / "tt18_2023.yaml"
TT45 = PLUGINS / "safe_school" / "questionnaires" / "tt45_2021.yaml"
DIALOGUE = PLUGINS / "school_dialogue" / "questionnaires" / "dialogue.yaml"

MET, NOT_MET, NA = 1, 0, 2


@pytest.fixture(scope="module")
def tt18():
    return load_file(TT18)


@pytest.fixture(scope="module")
def tt45():
    return load_file(TT45)


@pytest.fixture(scope="module")
def dialogue():
    return load_file(DIALOGUE)


# -- helpers ----------------------------------------------------------------------

def criteria(definition, *, mandatory=None, allow_na=None) -> list[str]:
    """Criterion ids in file order, optionally filtered by the mandatory / allow_na flags."""
    return [item_id for item_id, info in definition.items.items()
            if info.item.type == "criterion"
            and (mandatory is None or info.item.mandatory == mandatory)
            and (allow_na is None or info.item.allow_na == allow_na)]


def criterion_answers(definition, *, unmet=(), na=()) -> dict[str, int]:
    """Every criterion met, except ``unmet`` (Không đạt) and ``na`` (Không áp dụng)."""
    return {item_id: NOT_MET if item_id in unmet else NA if item_id in na else MET
            for item_id in criteria(definition)}


def assess(definition, raw: dict, **context):
    """Validate like the web form does, then score."""
    return score(definition, check_answers(definition, raw), context=context)


def texts_of(definition):
    """Every localised string in a questionnaire, with a label saying where it is."""
    model = definition.model
    yield "title", model.title
    for name, options in model.scales.items():
        for option in options:
            yield f"scale {name}={option.value}", option.text
    for section in model.sections:
        yield f"section {section.id}", section.title
        if section.intro:
            yield f"section {section.id} intro", section.intro
        for item in section.items:
            yield item.id, item.text
            for extra in (item.help, item.evidence):
                if extra:
                    yield f"{item.id} help/evidence", extra
            for option in item.options or []:
                yield f"{item.id}={option.value}", option.text
    for scale in model.scoring.scales:
        yield f"scale {scale.id}", scale.label
        for band in scale.bands:
            yield f"scale {scale.id} band {band.id}", band.label
    for rule in model.scoring.risk:
        yield f"risk {rule.id}", rule.label
    if model.scoring.outcome:
        for result, label in model.scoring.outcome.labels.items():
            yield f"outcome {result}", label


# -- shared checks ----------------------------------------------------------------------

@pytest.mark.parametrize("path", [TT18, TT45, DIALOGUE], ids=lambda p: p.stem)
def test_every_string_has_vietnamese_and_english(path):
    missing = [where for where, text in texts_of(load_file(path))
               if not text.vi.strip() or not text.en.strip()]
    assert missing == []


@pytest.mark.parametrize("path", [TT18, TT45, DIALOGUE], ids=lambda p: p.stem)
def test_every_section_cites_a_source(path):
    definition = load_file(path)
    assert definition.model.source.strip()
    assert [s.id for s in definition.sections if not (s.source or "").strip()] == []


@pytest.mark.parametrize("path", [TT18, TT45], ids=lambda p: p.stem)
def test_criteria_are_complete_staff_forms(path):
    definition = load_file(path)
    assert definition.model.respondent == "staff" and definition.model.anonymous is False
    ids = criteria(definition)
    items = [definition.items[i].item for i in ids]
    assert all(item.code and item.evidence and item.provenance for item in items)
    assert len({item.code for item in items}) == len(items)
    # Nothing beyond the circular's text is claimed as verbatim.
    assert {item.provenance for item in items} == {"paraphrased"}
    # Only "(nếu có)" criteria may be marked not applicable.
    assert all("(nếu" in definition.items[i].item.text.vi for i in criteria(definition, allow_na=True))


# -- TT 18/2023 (phổ thông, GDTX) --------------------------------------------------------

def test_tt18_has_50_criteria_25_mandatory(tt18):
    assert tt18.id == "safe_school.tt18_2023"
    assert len(criteria(tt18)) == 50
    assert len(criteria(tt18, mandatory=True)) == 25
    facilities = [i for i in criteria(tt18) if tt18.items[i].section.id == "co_so_vat_chat"]
    assert len(facilities) == 17


def _tt18_case(definition, unmet_mandatory: int, unmet_optional: int, na_optional: int) -> dict:
    na = criteria(definition, mandatory=False, allow_na=True)[:na_optional]
    unmet = (criteria(definition, mandatory=True)[:unmet_mandatory]
             + criteria(definition, mandatory=False, allow_na=False)[:unmet_optional])
    assert len(na) == na_optional and len(unmet) == unmet_mandatory + unmet_optional
    return criterion_answers(definition, unmet=unmet, na=na)


@pytest.mark.parametrize("unmet_mandatory, unmet_optional, na, expected, pct", [
    (0, 0, 0, "dat", 100.0),            # all met
    (0, 10, 0, "dat", 80.0),            # 40/50 = 80 %, mandatory all met
    (0, 11, 0, "khong_dat", 78.0),      # 39/50
    (1, 0, 0, "khong_dat", 98.0),       # 49/50 but one mandatory unmet
    (0, 10, 2, "khong_dat", 38 / 48 * 100),   # n.a. out of the base: 79.2 %
    (0, 9, 2, "dat", 81.25),            # 39/48
], ids=["all-met", "40of50", "39of50", "mandatory-unmet", "38of48", "39of48"])
def test_tt18_outcome(tt18, unmet_mandatory, unmet_optional, na, expected, pct):
    result = assess(tt18, _tt18_case(tt18, unmet_mandatory, unmet_optional, na))
    assert result.outcome == expected
    assert result.total == pytest.approx(pct)
    assert result.subscales["applicable"].score == 50 - na
    assert result.subscales["mandatory_unmet"].score == unmet_mandatory


def test_tt18_not_applicable_mandatory_criterion_does_not_block(tt18):
    (mandatory_na, *_) = criteria(tt18, mandatory=True, allow_na=True)
    result = assess(tt18, criterion_answers(tt18, na=[mandatory_na]))
    assert result.outcome == "dat" and result.subscales["met"].score == 49


def test_tt18_not_applicable_refused_where_not_allowed(tt18):
    (plain, *_) = criteria(tt18, allow_na=False)
    with pytest.raises(AnswerError) as caught:
        check_answers(tt18, criterion_answers(tt18, na=[plain]))
    assert plain in caught.value.errors


# -- TT 45/2021 (mầm non) -------------------------------------------------------------

EXCLUSIONS = ["ex_abuse", "ex_serious_injury", "ex_staff_conduct", "ex_food_poisoning", "ex_epidemic"]


def _tt45_case(definition, mandatory_met: int, optional_met: int, exclusions=()) -> dict:
    mandatory = criteria(definition, mandatory=True)
    optional = criteria(definition, mandatory=False)
    answers = criterion_answers(definition, unmet=mandatory[mandatory_met:] + optional[optional_met:])
    answers.update({item_id: int(item_id in exclusions) for item_id in EXCLUSIONS})
    return answers


def test_tt45_shape(tt45):
    assert tt45.id == "safe_school.tt45_2021"
    assert tt45.sections[0].id == "exclusions"
    assert [i.id for i in tt45.sections[0].items] == EXCLUSIONS
    assert all(i.type == "yes_no" and i.required for i in tt45.sections[0].items)
    assert len(criteria(tt45)) >= 40 and len(criteria(tt45, mandatory=True)) >= 20
    assert len(tt45.sections) == 6  # exclusions + the five nội dung


@pytest.mark.parametrize("exclusion", EXCLUSIONS)
def test_tt45_any_exclusion_fails_even_with_everything_met(tt45, exclusion):
    result = assess(tt45, _tt45_case(tt45, 25, 25, [exclusion]), facility_type="truong_mam_non")
    assert result.subscales["exclusions_hit"].score == 1
    assert result.outcome == "khong_dat"


@pytest.mark.parametrize("facility, mandatory_met, optional_met, expected", [
    ("truong_mam_non", 20, 20, "dat"),          # 40 met incl. 20 mandatory
    ("nha_tre", 20, 20, "dat"),
    ("truong_mau_giao", 25, 25, "dat"),
    ("truong_mam_non", 20, 19, "khong_dat"),    # 39 met
    ("truong_mam_non", 19, 21, "khong_dat"),    # 40 met, only 19 mandatory
    ("nhom_tre_doc_lap", 15, 15, "dat"),        # 30 incl. 15 mandatory
    ("lop_doc_lap", 15, 15, "dat"),
    ("nhom_tre_doc_lap", 15, 14, "khong_dat"),  # 29 met
    ("lop_doc_lap", 14, 16, "khong_dat"),       # 30 met, only 14 mandatory
    ("truong_mau_giao", 15, 15, "khong_dat"),   # a school needs the school thresholds
    (None, 25, 25, "khong_dat"),                # unknown facility type: never Đạt
])
def test_tt45_thresholds_by_facility_type(tt45, facility, mandatory_met, optional_met, expected):
    context = {"facility_type": facility} if facility else {}
    result = assess(tt45, _tt45_case(tt45, mandatory_met, optional_met), **context)
    assert result.total == mandatory_met + optional_met
    assert result.subscales["mandatory_met"].score == mandatory_met
    assert result.outcome == expected


def test_tt45_exclusions_are_required(tt45):
    answers = _tt45_case(tt45, 25, 25)
    del answers["ex_epidemic"]
    with pytest.raises(AnswerError) as caught:
        check_answers(tt45, answers)
    assert list(caught.value.errors) == ["ex_epidemic"]


# -- school dialogue ---------------------------------------------------------------

def likert_ids(definition, section=None) -> list[str]:
    return [item_id for item_id, info in definition.items.items()
            if info.item.type == "likert" and (section is None or info.section.id == section)]


def dialogue_answers(definition, likert: int = 4, **overrides) -> dict:
    """A plausible student: every Likert item ``likert``, no bullying, no risks seen."""
    answers = {item_id: likert for item_id in likert_ids(definition)}
    answers.update({item_id: 0 for item_id in
                    ("bully_physical", "bully_verbal", "bully_exclusion", "bully_online", "witnessed")})
    answers["risks"] = [10]
    answers.update(overrides)
    return answers


def test_dialogue_shape(dialogue):
    model = dialogue.model
    assert dialogue.id == "school_dialogue.dialogue"
    assert model.respondent == "student" and model.anonymous is True
    assert 20 <= len(dialogue.items) <= 35
    assert 4 <= len(dialogue.sections) <= 6
    assert 1 <= sum(dialogue.items[i].item.reverse for i in likert_ids(dialogue)) <= 2
    # A mean scale never prorates, so every Likert item must be required.
    assert all(dialogue.items[i].item.required for i in likert_ids(dialogue))
    free_text = [info.item for info in dialogue.items.values() if info.item.type == "long_text"]
    assert 1 <= len(free_text) <= 2
    assert all(not item.required and item.max_length == 1000 for item in free_text)


def test_dialogue_one_scale_per_likert_section(dialogue):
    scales = {scale.id: scale for scale in dialogue.model.scoring.scales}
    sections_with_likert = {dialogue.items[i].section.id for i in likert_ids(dialogue)}
    per_section = {s.items.section for s in scales.values() if not isinstance(s.items, list) and s.items.section}
    assert per_section == sections_with_likert
    assert all(scale.method == "mean" and scale.bands
               for scale in scales.values() if not isinstance(scale.items, list) and scale.items.type == "likert")


def test_dialogue_no_bullying_hides_the_reporting_questions(dialogue):
    clean = check_answers(dialogue, dialogue_answers(dialogue, reported=1, report_helped=1))
    assert "reported" not in clean and "report_helped" not in clean


def test_dialogue_report_helped_only_after_reporting(dialogue):
    did_not_report = dialogue_answers(dialogue, bully_online=1, reported=0, report_helped=1,
                                      not_reported_why=[0, 2])
    clean = check_answers(dialogue, did_not_report)
    assert clean["reported"] == 0 and "report_helped" not in clean
    assert clean["not_reported_why"] == (1 << 0) | (1 << 2)

    did_report = dialogue_answers(dialogue, witnessed=2, reported=1, report_helped=2, not_reported_why=[1])
    clean = check_answers(dialogue, did_report)
    assert clean["report_helped"] == 2 and "not_reported_why" not in clean


def test_dialogue_reporting_questions_required_when_shown(dialogue):
    with pytest.raises(AnswerError) as caught:
        check_answers(dialogue, dialogue_answers(dialogue, bully_verbal=1))
    assert list(caught.value.errors) == ["reported"]
    with pytest.raises(AnswerError) as caught:
        check_answers(dialogue, dialogue_answers(dialogue, bully_verbal=1, reported=1))
    assert list(caught.value.errors) == ["report_helped"]


@pytest.mark.parametrize("reverse_answer, expected", [(2, 4.0), (4, 3.6), (1, 4.2)])
def test_dialogue_reverse_item_scores_reversed(dialogue, reverse_answer, expected):
    # thay_co has five items, one negatively worded (teacher_humiliate): 6 - answer.
    result = assess(dialogue, dialogue_answers(dialogue, teacher_humiliate=reverse_answer))
    assert result.subscales["relations"].score == pytest.approx(expected)


@pytest.mark.parametrize("likert, band", [(1, "low"), (2, "low"), (3, "medium"), (4, "high"), (5, "high")])
def test_dialogue_section_bands(dialogue, likert, band):
    reverse = [i for i in likert_ids(dialogue) if dialogue.items[i].item.reverse]
    overrides = {item_id: 6 - likert for item_id in reverse}  # reversed, every item scores `likert`
    result = assess(dialogue, dialogue_answers(dialogue, likert, **overrides))
    assert result.total == pytest.approx(likert) and result.band == band
    assert {name: r.band for name, r in result.subscales.items() if r.band} == {
        name: band for name in ("safety", "relations", "voice", "facilities", "help_known")}


def test_dialogue_bullying_counts_and_help_first(dialogue):
    calm = assess(dialogue, dialogue_answers(dialogue))
    assert calm.subscales["bullying_kinds"].score == 0 and not calm.risk
    hurt = assess(dialogue, dialogue_answers(dialogue, bully_verbal=2, bully_online=1, reported=0))
    assert hurt.subscales["bullying_kinds"].score == 2
    assert hurt.risk_rules == ["bullied_often"]


def test_dialogue_free_text_limit(dialogue):
    with pytest.raises(AnswerError) as caught:
        check_answers(dialogue, dialogue_answers(dialogue, message_bgh="x" * 1001))
    assert list(caught.value.errors) == ["message_bgh"]
