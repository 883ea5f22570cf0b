"""Checks a questionnaire file can only pass against the installed plugins.

Start-up and ``surveyapp validate`` both run these, so they report the same problems
with the same ``file:line: field`` as the schema checks."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .definition import Definition
from .loader import Problem, field_name, line_for


@dataclass
class LoadContext:
    modules: set[str]                    # every registered module id
    methods: set[str]                    # every scoring method name (built-in and plugins')
    own_modules: Optional[set[str]] = None   # the registering plugin's modules; None: not known
    taken: dict[str, Definition] = field(default_factory=dict)   # questionnaire ids already loaded


def context_problems(definition: Definition, context: LoadContext, filename: str) -> list[Problem]:
    found: list[tuple[tuple, str]] = []
    module = definition.module
    if module not in context.modules:
        found.append((("id",), f"no registered module '{module}'"))
    elif context.own_modules is not None and module not in context.own_modules:
        own = ", ".join(sorted(context.own_modules)) or "none"
        found.append((("id",), f"module '{module}' belongs to another plugin (this plugin's modules: {own})"))
    if definition.id in context.taken:
        found.append((("id",), f"questionnaire id '{definition.id}' is registered twice"))
    scoring = definition.model.scoring
    for index, scale in enumerate(scoring.scales if scoring else []):
        if scale.method not in context.methods:
            known = ", ".join(sorted(context.methods))
            found.append((("scoring", "scales", index, "method"),
                          f"unknown scoring method '{scale.method}' (known: {known})"))
    return [Problem(filename, line_for(path, definition.lines), field_name(path), message)
            for path, message in found]
