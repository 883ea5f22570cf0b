"""A school's own questions added to a campaign, kept apart from the shared core items.

They are stored in ``campaign.settings["extra_items"][<school id>]`` as item
dicts validated with the questionnaire schema, shown on an extra last page,
and saved in the response's ``notes["extra"]``: never in the numbered answer
columns nor in the scores, so every cross-school comparison stays valid.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from .questionnaire import Definition, QuestionnaireError, load_data

EXTRA_TYPES = ("likert", "yes_no", "single_choice", "short_text", "long_text")
MAX_EXTRA_ITEMS = 5
SECTION_ID = "school_extra"
AGREE5 = [
    {"value": 1, "text": {"vi": "Hoàn toàn không đồng ý", "en": "Strongly disagree"}},
    {"value": 2, "text": {"vi": "Không đồng ý", "en": "Disagree"}},
    {"value": 3, "text": {"vi": "Phân vân", "en": "Not sure"}},
    {"value": 4, "text": {"vi": "Đồng ý", "en": "Agree"}},
    {"value": 5, "text": {"vi": "Hoàn toàn đồng ý", "en": "Strongly agree"}},
]


class ExtraItemError(ValueError):
    pass


def document(items: list[dict[str, Any]]) -> dict[str, Any]:
    """A one-section questionnaire document holding the school's items."""
    return {
        "schema_version": 1, "id": "extra.school", "version": "1",
        "title": {"vi": "Câu hỏi riêng của trường", "en": "Your school's own questions"},
        "locales": ["vi", "en"], "source": "school", "licence": "school",
        "respondent": "student", "anonymous": True, "scales": {"agree5": AGREE5},
        "sections": [{"id": SECTION_ID,
                      "title": {"vi": "Câu hỏi riêng của trường em", "en": "Your school's own questions"},
                      "items": items}],
    }


def validate_items(items: list[dict[str, Any]], reserved: set[str] = frozenset()) -> Definition:
    """Check the items with the questionnaire schema; raise ExtraItemError with a readable reason."""
    if len(items) > MAX_EXTRA_ITEMS:
        raise ExtraItemError(f"at most {MAX_EXTRA_ITEMS} questions of your own")
    for item in items:
        if item.get("type") not in EXTRA_TYPES:
            raise ExtraItemError(f"question type must be one of {', '.join(EXTRA_TYPES)}")
        if item.get("id") in reserved:
            raise ExtraItemError(f"item id {item.get('id')} is already used by the questionnaire")
        if item.get("show_if"):
            raise ExtraItemError("school questions cannot be conditional")
    try:
        return load_data(document(items), "school questions")
    except QuestionnaireError as exc:
        raise ExtraItemError("; ".join(f"{p.field}: {p.message}" for p in exc.problems)) from None


def extra_definition(items: list[dict[str, Any]]) -> Definition:
    return _cached(json.dumps(items, sort_keys=True, ensure_ascii=False))


@lru_cache(maxsize=256)
def _cached(serialised: str) -> Definition:
    return load_data(document(json.loads(serialised)), "school questions")


def build_item(kind: str, text_vi: str, text_en: str = "", options: list[str] | None = None,
               required: bool = False) -> dict[str, Any]:
    """An item dict from what a school admin types (one option per line for single choice)."""
    text_vi = (text_vi or "").strip()
    item: dict[str, Any] = {"type": kind, "required": bool(required),
                            "text": {"vi": text_vi, "en": (text_en or "").strip() or text_vi}}
    if kind == "likert":
        item["scale"] = "agree5"
    elif kind == "single_choice":
        labels = [o.strip() for o in options or [] if o.strip()]
        item["options"] = [{"value": n, "text": {"vi": label, "en": label}} for n, label in enumerate(labels, 1)]
    elif kind in ("short_text", "long_text"):
        item["max_length"] = 500
    return item
