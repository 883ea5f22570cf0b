"""The questionnaire loader under random input: a Definition or a QuestionnaireError with
file/line/field problems, never another exception."""
from __future__ import annotations

import json
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveyapp.questionnaire import Definition, QuestionnaireError, load_text

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = (ROOT / "plugins" / "mental_health" / "questionnaires" / "phq8.yaml").read_text(encoding="utf-8")
LINES = SAMPLE.splitlines()
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FUZZ_SLOW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEYS = ["schema_version", "id", "version", "title", "locales", "source", "licence", "sections", "items", "type",
        "text", "scale", "scales", "scoring", "method", "bands", "risk", "show_if", "required", "reverse", "vi",
        "en", "value", "min", "max", "item", "eq", "all", "any", "not", "weights", "multiplier", "primary"]


def load(text: str):
    try:
        result = load_text(text, "fuzz.yaml")
    except QuestionnaireError as exc:
        assert exc.problems and all(str(p).startswith("fuzz.yaml") for p in exc.problems)
        return None
    assert isinstance(result, Definition)
    return result


def test_the_sample_itself_loads():
    assert load(SAMPLE) is not None


@FUZZ
@given(st.text(max_size=400))
def test_any_text(text):
    load(text)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(["drop", "dup", "swap", "edit", "indent"]),
                          st.integers(0, len(LINES) - 1), st.text(max_size=12)), min_size=1, max_size=6))
def test_a_real_file_with_random_edits(edits):
    lines = list(LINES)
    for kind, index, token in edits:
        index %= max(len(lines), 1)
        if not lines:
            break
        if kind == "drop":
            del lines[index]
        elif kind == "dup":
            lines.insert(index, lines[index])
        elif kind == "swap":
            lines[index], lines[-1] = lines[-1], lines[index]
        elif kind == "edit":
            lines[index] = lines[index][: len(lines[index]) // 2] + token
        else:
            lines[index] = "  " + lines[index]
    load("\n".join(lines))


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 100) | st.floats(allow_nan=True) | st.text(max_size=8)
    | st.sampled_from(KEYS),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(KEYS), children, max_size=5),
    max_leaves=30)


@FUZZ_SLOW
@given(st.dictionaries(st.sampled_from(KEYS), JSONISH, max_size=10))
def test_random_structures_with_the_schema_keys(data):
    load(yaml.safe_dump(data, allow_unicode=True))
    load(json.dumps(data))


@FUZZ_SLOW
@given(st.sampled_from(["sections", "scoring", "scales", "title", "locales"]), JSONISH)
def test_one_part_of_a_real_file_replaced(key, value):
    data = yaml.safe_load(SAMPLE)
    data[key] = value
    load(yaml.safe_dump(data, allow_unicode=True))


def test_deep_nesting_and_aliases_are_errors_not_crashes():
    load("a: " + "[" * 5000 + "]" * 5000)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(5))  # small: the loader expands aliases (see docs/security.md)
    load(bomb)
