"""Check and convert answer values; shared by the web forms, the CLI and imports."""
from __future__ import annotations

from typing import Any

from .definition import Definition
from .schema import CRITERION_NA, TEXT_TYPES


class AnswerError(ValueError):
    """One or more answers are invalid; ``errors`` maps item id to a message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ValueError("must be a whole number")


def check_value(definition: Definition, item_id: str, value: Any) -> Any:
    """Return the stored form of one answer, or raise ValueError with a plain message."""
    info = definition.items[item_id]
    item = info.item
    if item.type in TEXT_TYPES:
        if not isinstance(value, str):
            raise ValueError("must be text")
        text = value.strip()
        limit = item.max_length or (200 if item.type == "short_text" else 4000)
        if len(text) > limit:
            raise ValueError(f"at most {limit} characters")
        return text
    if item.type == "multi_choice":
        chosen = value if isinstance(value, list) else [value]
        allowed = info.allowed_values
        mask = 0
        for choice in chosen:
            number = _as_int(choice)
            if number not in allowed:
                raise ValueError(f"{number} is not one of the options")
            mask |= 1 << number
        return mask
    number = _as_int(value)
    if item.type == "number":
        low, high = definition.value_range(item_id)
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        return number
    allowed = info.allowed_values
    if number not in allowed:
        if item.type == "criterion" and number == CRITERION_NA:
            raise ValueError("'not applicable' is not allowed for this criterion")
        raise ValueError(f"{number} is not one of the allowed values {sorted(allowed)}")
    return number


def is_blank(value: Any, item_type: str | None = None) -> bool:
    """No answer. An empty tick set on a multi_choice item IS an answer: zero ticks (mask 0)."""
    if item_type == "multi_choice" and value == []:
        return False
    return value is None or value == "" or value == []


def check_answers(definition: Definition, raw: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validate a whole response. Hidden items are dropped; required visible items must be present.

    With ``partial`` (drafts, page saves) missing required answers are not errors.
    Raises AnswerError with every problem at once."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for item_id in raw:
        if item_id not in definition.items:
            errors[item_id] = "unknown item"
    for item_id, info in definition.items.items():
        value = raw.get(item_id)
        if is_blank(value, info.item.type):
            continue
        try:
            clean[item_id] = check_value(definition, item_id, value)
        except ValueError as exc:
            errors[item_id] = str(exc)
    visible = definition.visible_items(clean)
    clean = {k: v for k, v in clean.items() if k in visible}
    if not partial:
        for item_id in visible:
            item = definition.items[item_id].item
            if item.required and is_blank(clean.get(item_id), item.type) and item_id not in errors:
                errors[item_id] = "an answer is required"
    if errors:
        raise AnswerError(errors)
    return clean


def answers_from_list(definition: Definition, values: list[Any]) -> dict[str, Any]:
    """Map a list of values in item order (the CLI's ``--answers``) to item ids."""
    order = definition.item_order
    if len(values) != len(order):
        raise AnswerError({"answers": f"expected {len(order)} values in item order "
                                      f"({', '.join(order)}), got {len(values)}"})
    return {item_id: value for item_id, value in zip(order, values) if value is not None}
