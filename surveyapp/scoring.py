"""The data-driven scoring engine. Pure Python: no Flask, no database.

A questionnaire's ``scoring`` section declares scales (method, items,
reverse-scored items, weights, multiplier, bands), risk rules over item values
and an optional outcome classification. A missing answer is an error unless the scale
declares a ``missing`` rule (zero, skip or prorate); it never silently counts as 0.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .questionnaire.definition import Definition, evaluate
from .questionnaire.schema import Band, ScaleDef

ScoringMethod = Callable[[list, dict], float]


class ScoringError(ValueError):
    """The answers cannot be scored (missing or invalid values, unknown method)."""


@dataclass
class ScaleResult:
    score: Optional[float]
    band: Optional[str]
    needs_review: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"score": _plain(self.score), "band": self.band}


@dataclass
class ScoreResult:
    total: Optional[float] = None
    band: Optional[str] = None
    subscales: dict[str, ScaleResult] = field(default_factory=dict)
    risk: bool = False
    risk_rules: list[str] = field(default_factory=list)
    needs_review: bool = False
    outcome: Optional[str] = None

    def as_json(self) -> dict[str, Any]:
        return {
            "total": _plain(self.total), "band": self.band,
            "subscales": {k: v.as_json() for k, v in self.subscales.items()},
            "risk": self.risk, "risk_rules": self.risk_rules,
            "needs_review": self.needs_review, "outcome": self.outcome,
        }


def _plain(number: Optional[float]) -> Any:
    if number is None:
        return None
    return int(number) if float(number).is_integer() else round(number, 4)


# -- built-in methods -------------------------------------------------------------

def _sum(values: list, params: dict) -> float:
    return float(sum(values))


def _mean(values: list, params: dict) -> float:
    return sum(values) / len(values) if values else 0.0


def _count_equal(values: list, params: dict) -> float:
    return float(sum(1 for v in values if v == params["value"]))


def _percent_equal(values: list, params: dict) -> float:
    """Share (0-100) of values equal to ``value``, leaving ``exclude`` values out of the base."""
    excluded = params.get("exclude", [])
    excluded = excluded if isinstance(excluded, list) else [excluded]
    base = [v for v in values if v not in excluded]
    return 100.0 * sum(1 for v in base if v == params["value"]) / len(base) if base else 0.0


def _count_not_equal(values: list, params: dict) -> float:
    return float(sum(1 for v in values if v != params["value"]))


# Built-in methods whose score is a percentage (0-100): reports show it as a share, in a percent format.
PERCENT_METHODS = frozenset({"percent_equal"})

BUILTIN_METHODS: dict[str, ScoringMethod] = {
    "sum": _sum, "mean": _mean, "count_equal": _count_equal,
    "count_not_equal": _count_not_equal, "percent_equal": _percent_equal,
    "max": lambda values, params: float(max(values)) if values else 0.0,
    "min": lambda values, params: float(min(values)) if values else 0.0,
}


def find_band(bands: list[Band], score: float) -> Optional[Band]:
    for band in bands:
        if band.contains(score):
            return band
    return None


def _scale_values(definition: Definition, scale: ScaleDef, answers: dict, visible: set[str]) -> tuple[list, int]:
    """The scale's item values (reversed, weighted) and how many visible items have no answer."""
    values, unanswered = [], 0
    for item_id in definition.select_items(scale.items):
        if item_id not in visible:
            continue
        value = answers.get(item_id)
        if value is None:
            if scale.missing is None:
                raise ScoringError(f"scale '{scale.id}': item '{item_id}' has no answer (no 'missing' rule)")
            if scale.missing == "zero":
                values.append(0)
            else:
                unanswered += 1
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ScoringError(f"scale '{scale.id}': item '{item_id}' is not a number")
        info = definition.items[item_id]
        if info.item.reverse:
            low, high = definition.value_range(item_id)
            value = low + high - value
        values.append(value * scale.weights.get(item_id, 1))
    if unanswered and scale.missing == "prorate" and values:
        values += [sum(values) / len(values)] * unanswered
    return values, unanswered


def score_scale(definition: Definition, scale: ScaleDef, answers: dict, visible: set[str],
                methods: dict[str, ScoringMethod]) -> ScaleResult:
    method = methods.get(scale.method)
    if method is None:
        raise ScoringError(f"scale '{scale.id}': unknown scoring method '{scale.method}'")
    values, unanswered = _scale_values(definition, scale, answers, visible)
    if unanswered and not values:
        return ScaleResult(None, None)   # skip/prorate with nothing answered: no score, not 0
    score = method(values, dict(scale.params)) * scale.multiplier
    if scale.bands:
        band = find_band(scale.bands, score)
        if band is None:
            raise ScoringError(f"scale '{scale.id}': score {score:g} is outside every band")
        return ScaleResult(score, band.id, band.needs_review)
    return ScaleResult(score, None)


def score(definition: Definition, answers: dict[str, Any], *, methods: dict[str, ScoringMethod] | None = None,
          context: dict[str, Any] | None = None) -> ScoreResult:
    """Score validated answers (item id -> stored value) by the questionnaire's rules."""
    scoring = definition.model.scoring
    result = ScoreResult()
    if scoring is None:
        return result
    all_methods = {**BUILTIN_METHODS, **(methods or {})}
    visible = definition.visible_items(answers)
    answers = {k: v for k, v in answers.items() if k in visible}  # hidden answers never count
    scores: dict[str, float] = {}
    for scale in scoring.scales:
        scale_result = score_scale(definition, scale, answers, visible, all_methods)
        scores[scale.id] = scale_result.score
        if scale.id == scoring.primary:
            result.total, result.band = scale_result.score, scale_result.band
        else:
            result.subscales[scale.id] = scale_result
        result.needs_review |= scale_result.needs_review
    # Risk comes from item values only; the schema forbids score conditions here.
    result.risk_rules = [rule.id for rule in scoring.risk if evaluate(rule.when, answers)]
    result.risk = bool(result.risk_rules)
    if scoring.outcome:
        result.outcome = scoring.outcome.default
        for rule in scoring.outcome.rules:
            if evaluate(rule.when, answers, scores, context):
                result.outcome = rule.result
                break
    return result
