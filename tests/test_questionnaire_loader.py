"""The questionnaire loader names file, line and field for every problem."""
from __future__ import annotations

import json
import textwrap

import pytest

from surveyapp import create_app
from surveyapp.cli import cli
from surveyapp.questionnaire import QuestionnaireError, load_file, load_text
from surveyapp.registry import StartupError

GOOD = textwrap.dedent("""\
    schema_version: 1
    id: demo.pulse
    version: "1.0"
    title: {vi: Nhịp trường, en: School pulse}
    locales: [vi, en]
    source: "Project's own example"
    licence: CC0
    scales:
      agree:
        - {value: 1, text: {vi: Không, en: No}}
        - {value: 2, text: {vi: Có, en: Yes}}
    sections:
      - id: s1
        title: {vi: Phần một, en: Part one}
        items:
          - id: q1
            type: likert
            scale: agree
            text: {vi: Em thấy an toàn, en: I feel safe}
          - id: q2
            type: short_text
            required: false
            show_if: {item: q1, eq: 1}
            text: {vi: Vì sao, en: Why}
    scoring:
      primary: total
      scales:
        - id: total
          label: {vi: Tổng, en: Total}
          items: [q1]
          bands:
            - {id: low, min: 1, max: 1, label: {vi: Thấp, en: Low}}
            - {id: high, min: 2, max: 2, label: {vi: Cao, en: High}}
    """)


def problems_of(text: str) -> list:
    with pytest.raises(QuestionnaireError) as info:
        load_text(text, "pulse.yaml")
    return info.value.problems


def test_good_file_loads_with_slots_in_item_order():
    definition = load_text(GOOD, "pulse.yaml")
    assert definition.id == "demo.pulse"
    assert definition.item_order == ["q1", "q2"]
    assert definition.items["q1"].slot == 1 and definition.items["q2"].slot is None


def test_misspelt_field_names_its_line_and_field():
    bad = GOOD.replace("        scale: agree\n", "        scael: agree\n")
    problems = problems_of(bad)
    messages = {(p.line, p.field, p.message) for p in problems}
    assert (18, "sections[0].items[0].scael", "unknown field (misspelt?)") in messages
    assert all(p.file == "pulse.yaml" for p in problems)


def test_missing_required_field_points_at_parent_line():
    bad = GOOD.replace("licence: CC0\n", "")
    problem = problems_of(bad)[0]
    assert problem.field == "licence" and "required" in problem.message


def test_missing_locale_text_is_reported():
    bad = GOOD.replace("{vi: Em thấy an toàn, en: I feel safe}", "{vi: Em thấy an toàn}")
    problem = problems_of(bad)[0]
    assert problem.field == "sections[0].items[0].text.en"
    assert problem.line == 19


def test_reference_to_later_item_is_rejected():
    bad = GOOD.replace("show_if: {item: q1, eq: 1}", "show_if: {item: q9, eq: 1}")
    problem = problems_of(bad)[0]
    assert problem.field == "sections[0].items[1].show_if.item" and "q9" in problem.message
    assert problem.line == 23


def test_yaml_syntax_error_gives_line():
    problem = problems_of(GOOD.replace("title: {vi: Phần một, en: Part one}", "title: {vi: Phần một"))[0]
    assert problem.field == "(syntax)" and problem.line >= 15


def test_duplicate_key_and_duplicate_item_ids():
    assert problems_of(GOOD.replace("licence: CC0\n", "licence: CC0\nlicence: MIT\n"))[0].message == "duplicate key"
    dup = GOOD.replace("      - id: q2\n", "      - id: q1\n")
    assert any("used twice" in p.message for p in problems_of(dup))


def test_overlapping_bands_and_risk_on_scores_are_rejected():
    overlapping = GOOD.replace("{id: high, min: 2, max: 2", "{id: high, min: 1, max: 2")
    assert any("overlaps" in p.message for p in problems_of(overlapping))
    risky = GOOD + "  risk:\n    - {id: r, when: {score: total, gte: 2}, label: {vi: R, en: R}}\n"
    assert any(p.field.endswith("when.score") for p in problems_of(risky))


def test_validate_command_exit_codes(tmp_path):
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    installed = GOOD.replace("id: demo.pulse", "id: school_dialogue.pulse")  # validate, like start-up,
    good.write_text(installed, encoding="utf-8")                             # wants an installed module
    bad.write_text(installed.replace("type: likert", "tpye: likert"), encoding="utf-8")
    from click.testing import CliRunner
    runner = CliRunner()
    ok = runner.invoke(cli, ["validate", str(good)])
    assert ok.exit_code == 0 and "OK (school_dialogue.pulse" in ok.output
    failed = runner.invoke(cli, ["validate", str(bad)])
    assert failed.exit_code == 1
    assert f"{bad}:17: sections[0].items[0].tpye: unknown field (misspelt?)" in failed.output


def test_load_file_reports_unreadable_and_non_utf8(tmp_path):
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("title: Trường".encode("utf-16"))
    with pytest.raises(QuestionnaireError) as info:
        load_file(latin)
    assert info.value.problems[0].field in ("(encoding)", "(syntax)")
    with pytest.raises(QuestionnaireError):
        load_file(tmp_path / "missing.yaml")


def test_app_refuses_to_start_with_an_invalid_builtin_questionnaire(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(GOOD.replace("id: demo.pulse", "id: mental_health.broken").replace("type: likert", "type: likret"),
                      encoding="utf-8")

    class BrokenPlugin:
        from surveyapp.hookspecs import hookimpl

        @hookimpl
        def register_questionnaires(self):
            return [broken]

    with pytest.raises(StartupError) as info:
        create_app({"ENV": "testing", "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"},
                   extra_plugins=[BrokenPlugin()])
    assert str(broken) in str(info.value) and "sections[0].items[0].type" in str(info.value)


def test_score_command_prints_the_json_contract(run_cli):
    result = run_cli(["score", "mental_health.phq9", "--answers", json.dumps([1, 1, 2, 2, 1, 1, 1, 0, 1])])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["questionnaire"] == "mental_health.phq9" and data["version"] == "1.0"
    assert (data["total"], data["band"], data["risk"]) == (10, "moderate", True)
    assert data["subscales"] == {}


def test_score_command_subscales_for_dass21(run_cli):
    result = run_cli(["score", "mental_health.dass21", "--answers", json.dumps([1] * 21)])
    data = json.loads(result.output)
    assert data["subscales"]["depression"] == {"score": 14, "band": "moderate"}
    assert data["subscales"]["anxiety"] == {"score": 14, "band": "moderate"}
    assert data["subscales"]["stress"] == {"score": 14, "band": "normal"}
    assert data["total"] is None and data["risk"] is False


@pytest.mark.parametrize("args, message", [
    (["mental_health.phq9", "--answers", "[1,2]"], "expected 9 values"),
    (["mental_health.phq9", "--answers", "[0,0,0,0,0,0,0,0,4]"], "q9: 4 is not one of the allowed values"),
    (["mental_health.phq9", "--answers", "[0,0,0,0,0,0,0,0,null]"], "required"),
    (["mental_health.phq9", "--answers", "not json"], "not valid JSON"),
    (["mental_health.nothing", "--answers", "[]"], "unknown questionnaire"),
    (["mental_health.sdq", "--answers", "[]"], "not available"),
])
def test_score_command_bad_input(run_cli, args, message):
    result = run_cli(["score", *args])
    assert result.exit_code != 0
    assert message in result.output


def test_visibility_follows_show_if_and_every_item_shows_without_conditions():
    conditional = load_text(GOOD, "pulse.yaml")
    assert conditional.visible_items({"q1": 1}) == {"q1", "q2"}
    assert conditional.visible_items({"q1": 2}) == {"q1"}
    without = GOOD.replace("        show_if: {item: q1, eq: 1}\n", "")
    assert "show_if" not in without
    plain = load_text(without, "pulse.yaml")
    shown = plain.visible_items({"q1": 2})
    assert shown == {"q1", "q2"}
    shown.discard("q2")  # a caller changing its copy changes nothing for the next one
    assert plain.visible_items({}) == {"q1", "q2"}
    assert [s.id for s in plain.visible_sections({})] == ["s1"]
