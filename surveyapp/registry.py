"""Plugin discovery and the per-app registry of modules, questionnaires and scoring methods."""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable, Iterator

import pluggy

from . import hookspecs
from .contract import (CheckedHooks, PluginContractError, PluginManager, StartupError, checked_hooks,
                       checked_method, distribution_label, refuse_wrappers, results)
from .modules import AssessmentModule, ModulePlugin
from .questionnaire import Definition, Problem, QuestionnaireError, load_file
from .questionnaire.context import LoadContext, context_problems
from .scoring import BUILTIN_METHODS, ScoringMethod

__all__ = ["ENTRY_POINT_GROUP", "PluginContractError", "Registry", "StartupError", "build_plugin_manager",
           "build_registry", "validate_files"]

ENTRY_POINT_GROUP = "surveyapp.plugins"


def build_plugin_manager(disabled: Iterable[str] = (), extra_plugins: Iterable[Any] = ()) -> PluginManager:
    """Load every ``surveyapp.plugins`` entry point not disabled; fail on unknown hooks."""
    pm = PluginManager()
    pm.add_hookspecs(hookspecs)
    disabled = set(disabled)
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in disabled or pm.has_plugin(ep.name):
            continue
        who = distribution_label(ep)
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must say which one it is
            raise StartupError(f"{who}: failed to load {ep.value}: {type(exc).__name__}: {exc}") from exc
        _register(pm, plugin, ep.name, who)
    for plugin in extra_plugins:
        _register(pm, plugin, None, None)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginContractError(f"{pm.describe(exc.plugin)}: {exc}") from exc
    refuse_wrappers(pm)
    return pm


def _register(pm: PluginManager, plugin: Any, name: str | None, who: str | None) -> None:
    """Register a plugin and the ModulePlugin helpers it defines at module level."""
    name = pm.register(plugin, name=name)
    if who:
        pm.origins[name] = who
    if not isinstance(plugin, ModuleType):
        return
    for helper in [value for value in vars(plugin).values() if isinstance(value, ModulePlugin)]:
        helper_name = pm.register(helper, name=f"{name}:{helper.module.id}")
        pm.groups[helper_name] = name
        if who:
            pm.origins[helper_name] = who


@dataclass
class Registry:
    pm: PluginManager
    modules: dict[str, AssessmentModule] = field(default_factory=dict)
    questionnaires: dict[str, Definition] = field(default_factory=dict)
    scoring_methods: dict[str, ScoringMethod] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)   # module id -> the plugin that registered it

    @property
    def hook(self) -> CheckedHooks:
        """The plugins' hooks, every result checked at the boundary (``surveyapp.contract``)."""
        return checked_hooks(self.pm)

    def module_of(self, qid: str) -> AssessmentModule | None:
        return self.modules.get(qid.split(".", 1)[0])

    def questionnaires_for(self, module_id: str) -> list[Definition]:
        return [d for qid, d in sorted(self.questionnaires.items()) if d.module == module_id]


def build_registry(pm: PluginManager) -> Registry:
    """Modules, scoring methods and questionnaires, each checked against the plugin that
    registered it: a plugin registers only under its own module ids."""
    registry = Registry(pm)
    owned = register_modules(registry)
    register_methods(registry, owned)
    registry.questionnaires = _load_questionnaires(pm, registry, owned)
    _check_defaults(registry)
    return registry


def register_modules(registry: Registry) -> dict[Any, set[str]]:
    """Collect the module descriptors; return each plugin's own module ids."""
    owned: dict[Any, set[str]] = {}
    for found in results(registry.pm, "register_assessment_modules"):
        for module in found.value:
            if module.id in registry.modules:
                twice = module.id in owned.get(found.owner, set())
                raise PluginContractError(_duplicate_module(module.id, registry.owners[module.id], found.who, twice))
            registry.modules[module.id] = module
            registry.owners[module.id] = found.who
            owned.setdefault(found.owner, set()).add(module.id)
    return owned


def register_methods(registry: Registry, owned: dict[Any, set[str]]) -> None:
    registry.scoring_methods = dict(BUILTIN_METHODS)
    for found in results(registry.pm, "register_scoring_methods"):
        for name, function in found.value.items():
            _check_method_name(name, found, owned.get(found.owner, set()), registry)
            registry.scoring_methods[name] = checked_method(function, name, found.who)


def _duplicate_module(module_id: str, first: str, second: str, twice: bool) -> str:
    if twice:
        return f"{first}: register_assessment_modules registers the module '{module_id}' twice"
    return f"the module '{module_id}' is registered by both {first} and {second}"


def _check_method_name(name: str, found, own_modules: set[str], registry: Registry) -> None:
    prefix = name.split(".", 1)[0] if "." in name else None
    if prefix is None:
        problem = f"scoring method '{name}' lacks the '<module>.' prefix"
    elif prefix not in own_modules:
        problem = f"scoring method '{name}' is outside the plugin's own modules ({_list(own_modules)})"
    elif name in registry.scoring_methods:
        problem = f"scoring method '{name}' is registered twice"
    else:
        return
    raise PluginContractError(f"{found.who}: register_scoring_methods: {problem}")


def _list(names: Iterable[str]) -> str:
    return ", ".join(sorted(names)) or "none registered"


def _check_defaults(registry: Registry) -> None:
    """A module's ``default_questionnaire`` must be one of its registered questionnaires."""
    for module in registry.modules.values():
        default = module.default_questionnaire
        if default is None:
            continue
        definition = registry.questionnaires.get(default)
        if definition is None or definition.module != module.id:
            known = _list(d.id for d in registry.questionnaires_for(module.id))
            raise PluginContractError(f"{registry.owners[module.id]}: register_assessment_modules: module "
                                      f"'{module.id}': default_questionnaire '{default}' is not one of its "
                                      f"questionnaires ({known})")


def _load_questionnaires(pm: PluginManager, registry: Registry, owned: dict) -> dict[str, Definition]:
    loaded: dict[str, Definition] = {}
    problems_by_plugin: dict[str, list[Problem]] = {}
    for found in results(pm, "register_questionnaires"):
        problems = problems_by_plugin.setdefault(found.who, [])
        context = LoadContext(modules=set(registry.modules), own_modules=owned.get(found.owner, set()),
                              methods=set(registry.scoring_methods), taken=loaded)
        for path in found.value:
            try:
                definition = _load_cached(Path(path))
            except QuestionnaireError as exc:
                problems.extend(exc.problems)
                continue
            found_problems = context_problems(definition, context, str(path))
            if found_problems:
                problems.extend(found_problems)
            else:
                loaded[definition.id] = definition
    reports = [f"invalid questionnaire file(s) of {who}:\n" + "\n".join(f"  {p}" for p in problems)
               for who, problems in problems_by_plugin.items() if problems]
    if reports:
        raise StartupError("\n".join(reports))
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


def validate_files(pm: PluginManager, names: list[str]) -> Iterator[tuple[str, bool]]:
    """What ``surveyapp validate`` prints: ``(line, ok)`` for each file, checked as start-up
    checks it (schema, modules and their owners, scoring methods), then whatever else would
    stop start-up (e.g. a module's default questionnaire). No names: every registered file."""
    registry = Registry(pm)
    owned = register_modules(registry)
    register_methods(registry, owned)
    registered: dict[Path, tuple[Any, str]] = {}   # resolved path -> (owner, the path as registered)
    for found in results(pm, "register_questionnaires"):
        registered.update((Path(path).resolve(), (found.owner, str(path))) for path in found.value)
    printed: set[str] = set()
    seen: dict[str, Definition] = {}
    for name in names or [as_registered for _owner, as_registered in registered.values()]:
        owner = registered.get(Path(name).resolve(), (None, name))[0]
        context = LoadContext(modules=set(registry.modules), methods=set(registry.scoring_methods),
                              own_modules=owned.get(owner, set()) if owner is not None else None, taken=seen)
        try:
            definition = load_file(name)
            problems = context_problems(definition, context, name)
        except QuestionnaireError as exc:
            problems = exc.problems
        for problem in problems:
            printed.add(str(problem))
            yield str(problem), False
        if not problems:
            seen[definition.id] = definition
            yield f"{name}: OK ({definition.id} v{definition.version}, {len(definition.items)} items)", True
    try:
        build_registry(pm)
    except StartupError as exc:
        lines = str(exc).splitlines()
        unseen = [line.strip() for line in lines if line.startswith("  ") and line.strip() not in printed]
        if len(lines) == 1 or unseen:   # a one-line contract error, or problems of files not named
            yield "\n".join(unseen or lines), False
