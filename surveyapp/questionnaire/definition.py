"""A validated questionnaire with the indexes the app needs at run time."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Optional

from .schema import (CRITERION_MET, CRITERION_NA, CRITERION_NOT_MET, NO, TEXT_TYPES, YES,
                     Condition, Item, Option, Questionnaire, Section, Text)

# Numeric answers live in fixed columns v1..v96 of the response row (see models.py):
# one row per response aggregates ~3x faster than one row per answer.
MAX_SLOTS = 96

_YES_NO = [Option(value=YES, text=Text(vi="Có", en="Yes")), Option(value=NO, text=Text(vi="Không", en="No"))]


def criterion_options(item: Item) -> list[Option]:
    options = [Option(value=CRITERION_MET, text=Text(vi="Đạt", en="Met")),
               Option(value=CRITERION_NOT_MET, text=Text(vi="Không đạt", en="Not met"))]
    if item.allow_na:
        options.append(Option(value=CRITERION_NA, text=Text(vi="Không áp dụng", en="Not applicable")))
    return options


@dataclass
class ItemInfo:
    item: Item
    section: Section
    index: int              # position among all items (0-based), the order of `--answers`
    slot: Optional[int]     # 1-based column number for numeric answers, None for text
    options: list[Option]

    @cached_property
    def allowed_values(self) -> frozenset[int]:
        return frozenset(o.value for o in self.options)


class Definition:
    """Wraps the schema model; built once per file or per stored version."""

    def __init__(self, model: Questionnaire, content_hash: str, raw: Any):
        self.model = model
        self.hash = content_hash
        self.raw = raw
        self.path: Optional[Path] = None
        self.lines: dict[tuple, int] = {}   # document path -> line in the file it came from
        self.items: dict[str, ItemInfo] = {}
        slot = 0
        for section in model.sections:
            for item in section.items:
                stored = item.type not in TEXT_TYPES
                slot += 1 if stored else 0
                self.items[item.id] = ItemInfo(item, section, len(self.items),
                                               slot if stored else None, self._options(item))
        conditional = any(s.show_if for s in model.sections) or any(
            info.item.show_if is not None for info in self.items.values())
        # Most questionnaires show every item whatever the answers: no need to walk them
        # (this runs several times on every student request).
        self._always_visible = None if conditional else frozenset(self.items)

    def _options(self, item: Item) -> list[Option]:
        if item.type == "yes_no":
            return list(_YES_NO)
        if item.type == "criterion":
            return criterion_options(item)
        if item.options is not None:
            return list(item.options)
        if item.scale:
            return list(self.model.scales[item.scale])
        return []

    # -- convenience -----------------------------------------------------------
    @property
    def id(self) -> str:
        return self.model.id

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def module(self) -> str:
        return self.model.module

    @property
    def sections(self) -> list[Section]:
        return self.model.sections

    @cached_property
    def item_order(self) -> list[str]:
        return list(self.items)

    def title(self, locale: str) -> str:
        return self.model.title.get(locale)

    def option_label(self, item_id: str, value: int, locale: str) -> str:
        for option in self.items[item_id].options:
            if option.value == value:
                return option.text.get(locale)
        return str(value)

    def value_range(self, item_id: str) -> tuple[int, int]:
        info = self.items[item_id]
        if info.item.type == "number":
            return (info.item.min if info.item.min is not None else -(2**31),
                    info.item.max if info.item.max is not None else 2**31 - 1)
        values = [o.value for o in info.options if not (info.item.type == "criterion" and o.value == CRITERION_NA)]
        return min(values), max(values)

    def select_items(self, selector) -> list[str]:
        """Resolve a scale's ``items`` (a list, or a selector by type/section/mandatory)."""
        if isinstance(selector, list):
            return list(selector)
        chosen = []
        for item_id, info in self.items.items():
            if selector.type and info.item.type != selector.type:
                continue
            if selector.section and info.section.id != selector.section:
                continue
            if selector.mandatory is not None and info.item.mandatory != selector.mandatory:
                continue
            chosen.append(item_id)
        return chosen

    # -- visibility --------------------------------------------------------------
    def visible_items(self, answers: dict[str, Any]) -> set[str]:
        """Items shown for these answers. Conditions refer to earlier items only, so one pass
        in order suffices; answers to hidden items are ignored, so a stale answer can never
        make a follow-up question appear."""
        if self._always_visible is not None:
            return set(self._always_visible)
        visible: set[str] = set()
        effective: dict[str, Any] = {}
        for section in self.sections:
            if section.show_if and not evaluate(section.show_if, effective):
                continue
            for item in section.items:
                if item.show_if is None or evaluate(item.show_if, effective):
                    visible.add(item.id)
                    if item.id in answers:
                        effective[item.id] = answers[item.id]
        return visible

    def visible_sections(self, answers: dict[str, Any]) -> list[Section]:
        visible = self.visible_items(answers)
        return [s for s in self.sections if any(item.id in visible for item in s.items)]

def _compare(actual: Any, cond: Condition) -> bool:
    if cond.contains is not None:
        return isinstance(actual, int) and bool(actual & (1 << cond.contains))
    if actual is None:
        return cond.ne is not None
    if cond.eq is not None:
        return actual == cond.eq
    if cond.ne is not None:
        return actual != cond.ne
    if cond.in_ is not None:
        return actual in cond.in_
    if not isinstance(actual, (int, float)):
        return False
    for op, test in (("gt", float.__gt__), ("gte", float.__ge__), ("lt", float.__lt__), ("lte", float.__le__)):
        bound = getattr(cond, op)
        if bound is not None:
            return test(float(actual), float(bound))
    return False


def evaluate(cond: Condition, answers: dict[str, Any], scores: dict[str, Any] | None = None,
             context: dict[str, Any] | None = None) -> bool:
    """Evaluate a condition against item answers, computed scores and context values."""
    if cond.all is not None:
        return all(evaluate(c, answers, scores, context) for c in cond.all)
    if cond.any is not None:
        return any(evaluate(c, answers, scores, context) for c in cond.any)
    if cond.not_ is not None:
        return not evaluate(cond.not_, answers, scores, context)
    if cond.item is not None:
        return _compare(answers.get(cond.item), cond)
    if cond.score is not None:
        return _compare((scores or {}).get(cond.score), cond)
    return _compare((context or {}).get(cond.context), cond)
