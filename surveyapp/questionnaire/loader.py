"""Read a questionnaire file and report every problem with file, line and field."""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .definition import MAX_SLOTS, Definition
from .schema import Questionnaire

Path_ = tuple  # a location inside the document: keys and list indexes


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false. In YAML 1.1 an English option "No" or "Yes"
    silently became a boolean, which is a trap in bilingual answer texts."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class QuestionnaireError(Exception):
    """Raised with the full list of problems of one file."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def field_name(path: Path_) -> str:
    parts = []
    for part in path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts) or "(document)"


def _build(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> Any:
    """Turn a composed YAML node into Python data, recording each path's line."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _DuplicateKey(path, key_node.start_mark.line + 1, "keys must be plain text")
            key = _scalar(key_node)
            if key in result:
                raise _DuplicateKey(path + (key,), key_node.start_mark.line + 1)
            result[key] = _build(value_node, path + (key,), lines)
            lines[path + (key,)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(child, path + (i,), lines) for i, child in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.ScalarNode) -> Any:
    constructor = _Loader("")
    try:
        return constructor.construct_object(node, deep=True)
    finally:
        constructor.dispose()


class _DuplicateKey(Exception):
    def __init__(self, path: Path_, line: int, message: str = "duplicate key"):
        self.path, self.line, self.message = path, line, message


def line_for(path: Path_, lines: dict[Path_, int]) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def parse_text(text: str, filename: str) -> tuple[Any, dict[Path_, int]]:
    lines: dict[Path_, int] = {}
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else 1
        raise QuestionnaireError([Problem(filename, line, "(syntax)", str(exc.problem or exc))])
    except (yaml.YAMLError, RecursionError) as exc:  # e.g. control characters, absurdly deep nesting
        raise QuestionnaireError([Problem(filename, 1, "(syntax)", _first_line(exc))]) from None
    if node is None:
        raise QuestionnaireError([Problem(filename, 1, "(document)", "the file is empty")])
    try:
        data = _build(node, (), lines)
    except _DuplicateKey as dup:
        raise QuestionnaireError([Problem(filename, dup.line, field_name(dup.path), dup.message)])
    except (yaml.YAMLError, RecursionError) as exc:
        raise QuestionnaireError([Problem(filename, 1, "(syntax)", _first_line(exc))]) from None
    return data, lines


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]


def pydantic_problems(exc: ValidationError, filename: str, lines: dict[Path_, int]) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and "[" in part))
        loc = tuple("in" if p == "in_" else "not" if p == "not_" else p for p in loc)
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown field (misspelt?)"
        elif error["type"] == "missing":
            message = "required field is missing"
        problems.append(Problem(filename, line_for(loc, lines), field_name(loc), message))
    return problems


def content_hash(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_data(data: Any, filename: str = "<data>", lines: dict | None = None) -> Definition:
    """Validate already-parsed data; raise QuestionnaireError listing every problem."""
    lines = lines or {}
    if not isinstance(data, dict):
        raise QuestionnaireError([Problem(filename, 1, "(document)", "the top level must be a mapping")])
    try:
        model = Questionnaire.model_validate(data)
    except ValidationError as exc:
        raise QuestionnaireError(pydantic_problems(exc, filename, lines)) from None
    problems = [Problem(filename, line_for(path, lines), field_name(path), message)
                for path, message in cross_check(model)]
    if problems:
        raise QuestionnaireError(problems)
    definition = Definition(model, content_hash(data), data)
    definition.lines = lines
    return definition


def load_text(text: str, filename: str) -> Definition:
    """Load a questionnaire file: the schema, then the rules a new or edited file must meet
    (stored versions are loaded with ``load_data`` alone, so tightening these never makes
    a campaign's stored questionnaire unreadable)."""
    data, lines = parse_text(text, filename)
    definition = load_data(data, filename, lines)
    problems = [Problem(filename, line_for(path, lines), field_name(path), message)
                for path, message in authoring_checks(definition)]
    if problems:
        raise QuestionnaireError(problems)
    return definition


def load_file(path: str | Path) -> Definition:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise QuestionnaireError([Problem(str(path), 1, "(encoding)", f"not UTF-8: {exc.reason}")])
    except OSError as exc:
        raise QuestionnaireError([Problem(str(path), 1, "(file)", exc.strerror or str(exc))])
    definition = load_text(text, str(path))
    definition.path = path
    return definition


# -- cross-reference checks ---------------------------------------------------

def cross_check(q: Questionnaire) -> list[tuple[Path_, str]]:
    problems: list[tuple[Path_, str]] = []
    seen_items: dict[str, Path_] = {}
    seen_sections: set[str] = set()
    stored = 0
    for s_index, section in enumerate(q.sections):
        s_path = ("sections", s_index)
        if section.id in seen_sections:
            problems.append((s_path + ("id",), f"section id '{section.id}' is used twice"))
        seen_sections.add(section.id)
        if section.show_if:
            problems += _check_condition(section.show_if, s_path + ("show_if",), seen_items, set())
        for i_index, item in enumerate(section.items):
            i_path = s_path + ("items", i_index)
            if item.id in seen_items:
                problems.append((i_path + ("id",), f"item id '{item.id}' is used twice"))
            if item.scale and item.scale not in q.scales:
                problems.append((i_path + ("scale",), f"unknown scale '{item.scale}'"))
            if item.show_if:
                problems += _check_condition(item.show_if, i_path + ("show_if",), seen_items, set())
            problems += _check_options(q, item, i_path)
            seen_items[item.id] = i_path
            if item.type not in ("short_text", "long_text"):
                stored += 1
    if stored > MAX_SLOTS:
        problems.append((("sections",), f"{stored} answer items; at most {MAX_SLOTS} are supported"))
    if q.scoring:
        problems += _check_scoring(q, seen_items, seen_sections)
    return problems + _check_respondent(q)


def _check_respondent(q: Questionnaire) -> list[tuple[Path_, str]]:
    """``respondent`` names a kind of surveyapp/data/respondent_kinds.yaml (its wording and help)."""
    from ..respondent_kinds import known
    if q.respondent in known():
        return []
    return [(("respondent",), f"unknown respondent kind '{q.respondent}' (known: {', '.join(known())})")]


def _check_options(q: Questionnaire, item, path: Path_) -> list[tuple[Path_, str]]:
    options = item.options if item.options is not None else q.scales.get(item.scale or "", None)
    if options is None:
        return []
    problems = []
    values = [o.value for o in options]
    if len(set(values)) != len(values):
        problems.append((path + ("options",), "option values must be distinct"))
    if item.type == "multi_choice" and any(v < 0 or v > 30 for v in values):
        problems.append((path + ("options",), "multi_choice option values must be 0..30"))
    if not options:
        problems.append((path + ("options",), "at least one option is needed"))
    return problems


def _check_condition(cond, path: Path_, items: dict, scores: set, allow_scores=False,
                     allow_context=False) -> list[tuple[Path_, str]]:
    problems = []
    for key in ("all", "any"):
        for i, sub in enumerate(getattr(cond, key) or []):
            problems += _check_condition(sub, path + (key, i), items, scores, allow_scores, allow_context)
    if cond.not_ is not None:
        problems += _check_condition(cond.not_, path + ("not",), items, scores, allow_scores, allow_context)
    if cond.item is not None and cond.item not in items:
        problems.append((path + ("item",), f"refers to unknown or later item '{cond.item}'"))
    if cond.score is not None and (not allow_scores or cond.score not in scores):
        problems.append((path + ("score",), f"refers to unknown score '{cond.score}'"))
    if cond.context is not None and not allow_context:
        problems.append((path + ("context",), "context conditions are only allowed in scoring outcome rules"))
    return problems


def _check_scoring(q: Questionnaire, items: dict, sections: set) -> list[tuple[Path_, str]]:
    problems = []
    scoring = q.scoring
    scale_ids: set[str] = set()
    for index, scale in enumerate(scoring.scales):
        path = ("scoring", "scales", index)
        if scale.id in scale_ids:
            problems.append((path + ("id",), f"scale id '{scale.id}' is used twice"))
        scale_ids.add(scale.id)
        if isinstance(scale.items, list):
            for j, item_id in enumerate(scale.items):
                if item_id not in items:
                    problems.append((path + ("items", j), f"unknown item '{item_id}'"))
        elif scale.items.section and scale.items.section not in sections:
            problems.append((path + ("items", "section"), f"unknown section '{scale.items.section}'"))
        for item_id in scale.weights:
            if item_id not in items:
                problems.append((path + ("weights", item_id), f"unknown item '{item_id}'"))
    if scoring.primary and scoring.primary not in scale_ids:
        problems.append((("scoring", "primary"), f"unknown scale '{scoring.primary}'"))
    for index, rule in enumerate(scoring.risk):
        problems += _check_condition(rule.when, ("scoring", "risk", index, "when"), items, scale_ids)
    if scoring.outcome:
        outcome = scoring.outcome
        for index, rule in enumerate(outcome.rules):
            problems += _check_condition(rule.when, ("scoring", "outcome", "rules", index, "when"), items,
                                         scale_ids, allow_scores=True, allow_context=True)
            if rule.result not in outcome.labels:
                problems.append((("scoring", "outcome", "rules", index, "result"),
                                 f"result '{rule.result}' has no label"))
        if outcome.default not in outcome.labels:
            problems.append((("scoring", "outcome", "default"), f"result '{outcome.default}' has no label"))
    return problems


# -- rules for files (start-up and ``surveyapp validate``) ----------------------------------

def authoring_checks(definition: Definition) -> list[tuple[Path_, str]]:
    problems: list[tuple[Path_, str]] = []
    scoring = definition.model.scoring
    for index, scale in enumerate(scoring.scales if scoring else []):
        path = ("scoring", "scales", index)
        for item_id in definition.select_items(scale.items):
            info = definition.items.get(item_id)
            if info is None:
                continue   # reported by cross_check
            if info.slot is None:
                problems.append((path + ("items",), f"item '{item_id}' is a text item: it has no value to score"))
            elif not info.item.required and scale.missing is None:
                problems.append((path + ("items",), f"item '{item_id}' is optional (required: false): give the "
                                                    "scale a 'missing' rule (zero, skip or prorate)"))
        problems += _band_gaps(scale, path)
    return problems


# Methods whose score is a whole number when weights and multiplier are whole numbers.
WHOLE_NUMBER_METHODS = ("sum", "count_equal", "count_not_equal", "max", "min")


def _band_gaps(scale, path: Path_) -> list[tuple[Path_, str]]:
    """A score between two bands would have no band (an error when a respondent submits)."""
    whole = all(float(w).is_integer() for w in [*scale.weights.values(), scale.multiplier]) and \
        scale.missing != "prorate"
    real_valued = not whole or scale.method in ("mean", "percent_equal")
    problems = []
    for index, (previous, band) in enumerate(zip(scale.bands, scale.bands[1:]), start=1):
        if previous.below is not None:
            top, gap = previous.below, band.min > previous.below
        elif previous.max is not None:
            top = previous.max
            if real_valued:
                gap = band.min > previous.max
            else:   # a whole-number score (or a plugin's method): a gap must hold a whole number
                gap = math.floor(previous.max) + 1 < band.min
        else:
            continue
        if gap:
            hint = f" (use 'below: {band.min:g}' on band '{previous.id}')" if previous.below is None else ""
            problems.append((path + ("bands", index, "min"), f"band '{previous.id}' leaves a gap between "
                                                             f"{top:g} and {band.min:g} before band '{band.id}'{hint}"))
    return problems
