"""Descriptors that plugins hand to the core."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .hookspecs import hookimpl


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


class ModulePlugin:
    """The registrations every module makes, by folder convention, so a module's ``plugin.py``
    holds only what is particular to it. Beside ``plugin.py`` (the entry-point module):

    - ``questionnaires/*.yaml`` (and ``*.json``): its questionnaire files;
    - ``translations/<locale>/LC_MESSAGES/<module id>.po``: its catalog, domain = module id;
    - ``templates/<module id>/...``: its templates (served through ``blueprint`` when given,
      else through a blueprint of its own with no routes);
    - ``migrations/versions/``: its Alembic branch (found from the package, as before).

    Put one at module level of the entry-point module; the core registers it with the module::

        PLUGIN = ModulePlugin(AssessmentModule(id="parent_voice", ...), __name__, blueprint="views:bp")
    """

    def __init__(self, module: AssessmentModule, import_name: str, blueprint: Optional[str] = None):
        import sys
        from pathlib import Path
        self.module = module
        self.package = import_name.rpartition(".")[0] or import_name
        self.root = Path(sys.modules[import_name].__file__).parent
        self.blueprint = blueprint   # "<submodule>:<attribute>", imported when blueprints are registered

    def __repr__(self) -> str:
        return f"ModulePlugin({self.module.id!r}, {self.package!r})"

    @hookimpl
    def register_assessment_modules(self):
        return [self.module]

    @hookimpl
    def register_questionnaires(self):
        folder = self.root / "questionnaires"
        return sorted([*folder.glob("*.yaml"), *folder.glob("*.json")])

    @hookimpl
    def register_translations(self):
        folder = self.root / "translations"
        return [(str(folder), self.module.id)] if folder.is_dir() else []

    @hookimpl
    def register_blueprints(self):
        if self.blueprint:
            import importlib
            submodule, _, attribute = self.blueprint.partition(":")
            return [getattr(importlib.import_module(f"{self.package}.{submodule}"), attribute or "bp")]
        templates = self.root / "templates"
        if not templates.is_dir():
            return []
        from flask import Blueprint
        return [Blueprint(f"{self.module.id}_templates", self.package, template_folder=str(templates))]

    @property
    def migration_versions(self):
        versions = self.root / "migrations" / "versions"
        return str(versions) if versions.is_dir() else None
