"""Descriptors that plugins hand to the core."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass(frozen=True)
class AssessmentModule:
    """One assessment module. ``id`` is also the entry-point name, package,
    gettext domain, blueprint name, URL segment and table prefix."""

    id: str
    name: dict[str, str]                 # {"vi": ..., "en": ...}
    description: dict[str, str] = field(default_factory=dict)
    default_questionnaire: Optional[str] = None

    def label(self, locale: str) -> str:
        return self.name.get(locale) or self.name.get("vi") or self.id


@dataclass(frozen=True)
class NavItem:
    """A menu entry contributed by a plugin."""

    endpoint: str
    label: str
    order: int = 100
