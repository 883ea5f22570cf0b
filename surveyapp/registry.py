"""Plugin discovery and the per-app registry of modules, questionnaires and scoring methods."""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Iterable

import pluggy

from . import hookspecs
from .modules import AssessmentModule
from .questionnaire import Definition, Problem, QuestionnaireError, load_file
from .scoring import BUILTIN_METHODS, ScoringMethod

ENTRY_POINT_GROUP = "surveyapp.plugins"


class StartupError(RuntimeError):
    """A plugin or one of its questionnaires is broken: the app must not start."""


def build_plugin_manager(disabled: Iterable[str] = (), extra_plugins: Iterable[Any] = ()) -> pluggy.PluginManager:
    """Load every ``surveyapp.plugins`` entry point not disabled; fail on unknown hooks."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    disabled = set(disabled)
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in disabled or pm.has_plugin(ep.name):
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must say which one it is
            raise StartupError(f"plugin '{ep.name}' ({ep.value}) failed to load: {exc}") from exc
        pm.register(plugin, name=ep.name)
    for plugin in extra_plugins:
        pm.register(plugin)
    pm.check_pending()
    return pm


@dataclass
class Registry:
    pm: pluggy.PluginManager
    modules: dict[str, AssessmentModule] = field(default_factory=dict)
    questionnaires: dict[str, Definition] = field(default_factory=dict)
    scoring_methods: dict[str, ScoringMethod] = field(default_factory=dict)

    @property
    def hook(self):
        return self.pm.hook

    def module_of(self, qid: str) -> AssessmentModule | None:
        return self.modules.get(qid.split(".", 1)[0])

    def questionnaires_for(self, module_id: str) -> list[Definition]:
        return [d for qid, d in sorted(self.questionnaires.items()) if d.module == module_id]


def build_registry(pm: pluggy.PluginManager) -> Registry:
    registry = Registry(pm)
    for modules in pm.hook.register_assessment_modules():
        for module in modules or []:
            if module.id in registry.modules:
                raise StartupError(f"two plugins register the assessment module '{module.id}'")
            registry.modules[module.id] = module
    registry.scoring_methods = dict(BUILTIN_METHODS)
    for methods in pm.hook.register_scoring_methods():
        for name, function in (methods or {}).items():
            if name in registry.scoring_methods or "." not in name:
                raise StartupError(f"scoring method '{name}' is a duplicate or lacks the '<module>.' prefix")
            registry.scoring_methods[name] = function
    registry.questionnaires = _load_questionnaires(pm, registry)
    return registry


def _load_questionnaires(pm: pluggy.PluginManager, registry: Registry) -> dict[str, Definition]:
    loaded: dict[str, Definition] = {}
    problems: list[Problem] = []
    for paths in pm.hook.register_questionnaires():
        for path in paths or []:
            try:
                definition = _load_cached(Path(path))
            except QuestionnaireError as exc:
                problems.extend(exc.problems)
                continue
            if definition.module not in registry.modules:
                problems.append(Problem(str(path), 1, "id", f"no registered module '{definition.module}'"))
            elif definition.id in loaded:
                problems.append(Problem(str(path), 1, "id", f"questionnaire id '{definition.id}' is registered twice"))
            else:
                problems += _unknown_methods(definition, registry, str(path))
                loaded[definition.id] = definition
    if problems:
        details = "\n".join(f"  {p}" for p in problems)
        raise StartupError(f"invalid built-in questionnaire file(s):\n{details}")
    return loaded


_FILE_CACHE: dict[tuple[str, int, int], Definition] = {}


def _load_cached(path: Path) -> Definition:
    """Parse each file once per process while it is unchanged (apps are built per test)."""
    try:
        stat = path.stat()
    except OSError:
        return load_file(path)  # reports the missing file as a questionnaire problem
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _FILE_CACHE:
        _FILE_CACHE[key] = load_file(path)
    return _FILE_CACHE[key]


def _unknown_methods(definition: Definition, registry: Registry, filename: str) -> list[Problem]:
    scoring = definition.model.scoring
    if not scoring:
        return []
    return [Problem(filename, 1, f"scoring.scales.{scale.id}.method", f"unknown scoring method '{scale.method}'")
            for scale in scoring.scales if scale.method not in registry.scoring_methods]
