"""The boundary between the core and its plugins: every hook result is checked here.

The core never calls ``pm.hook.<name>`` itself: it calls ``checked_hooks(pm).<name>``
(``Registry.hook``), which calls each implementation, knows whose result it is and
checks it against the contract in ``docs/plugins.md``. A wrong result stops with one
line naming the distribution, its version, the hook and what was wrong, instead of a
traceback far from its cause.
"""
from __future__ import annotations

import math
import os
import re
import warnings
from functools import partial
from typing import Any, Callable, Iterable, Iterator

import pluggy

from .hookspecs import PROJECT_NAME

CORE_DISTRIBUTION = "surveyapp"


class StartupError(RuntimeError):
    """A plugin or one of its questionnaires is broken: the app must not start."""


class PluginContractError(StartupError):
    """A plugin broke the hook contract; the message is one line naming it."""


class PluginManager(pluggy.PluginManager):
    """A pluggy manager that remembers which distribution each plugin came from."""

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)
        self.origins: dict[str, str] = {}   # registered plugin name -> "distribution version"
        self.groups: dict[str, str] = {}    # a ModulePlugin's name -> its entry point's name

    def owner(self, plugin: Any) -> str:
        """Plugins that register together (an entry-point module and its ModulePlugin) own the
        same module ids."""
        name = self.get_name(plugin) or ""
        return self.groups.get(name, name)

    def describe(self, plugin: Any) -> str:
        """How error messages name a plugin: its distribution and version when installed."""
        origin = self.origins.get(self.get_name(plugin) or "")
        if origin:
            return origin
        name = getattr(plugin, "__name__", None) or f"{type(plugin).__module__}.{type(plugin).__qualname__}"
        return f"plugin {name}"


def distribution_label(entry_point) -> str:
    dist = getattr(entry_point, "dist", None)
    if dist is None:
        return f"plugin '{entry_point.name}' ({entry_point.value})"
    label = f"{dist.metadata['Name']} {dist.version}"
    # the core's own distribution ships several plugins: say which one
    return f"{label} [{entry_point.name}]" if dist.metadata["Name"] == CORE_DISTRIBUTION else label


def type_name(value: Any) -> str:
    return type(value).__name__


# -- calling hooks -------------------------------------------------------------------------

class Result:
    """One implementation's checked result, with the plugin that returned it."""

    __slots__ = ("owner", "who", "value")

    def __init__(self, owner: str, who: str, value: Any):
        self.owner, self.who, self.value = owner, who, value


def results(pm: PluginManager, hook_name: str, **kwargs: Any) -> Iterator[Result]:
    """Call each implementation of a hook (in pluggy's order) and check what it returns.

    Registration hooks run at start-up: an exception there is also reported as one line
    naming the plugin. Hooks called while serving let exceptions through unchanged."""
    caller = getattr(pm.hook, hook_name)
    check = CHECKS.get(hook_name)
    for impl in reversed(caller.get_hookimpls()):
        who = pm.describe(impl.plugin)
        arguments = {name: kwargs[name] for name in impl.argnames}
        try:
            value = impl.function(**arguments)
        except Exception as exc:
            if not hook_name.startswith("register_") or isinstance(exc, StartupError):
                raise
            raise PluginContractError(f"{who}: {hook_name} raised {type_name(exc)}: {exc}") from exc
        if value is None:
            continue
        if check is not None:
            value = check(value, Reporter(who, hook_name))
        yield Result(pm.owner(impl.plugin), who, value)


def implementations(pm: PluginManager, hook_name: str) -> Iterator[tuple[str, Callable[..., Any]]]:
    """Each implementation of a hook with the plugin it comes from, for a caller that must keep
    one plugin's failure from stopping the others (a daily sweep): ``call(**kwargs)`` runs it."""
    for impl in reversed(getattr(pm.hook, hook_name).get_hookimpls()):
        def call(impl=impl, **kwargs: Any) -> Any:
            return impl.function(**{name: kwargs[name] for name in impl.argnames})
        yield pm.describe(impl.plugin), call


def refuse_wrappers(pm: PluginManager) -> None:
    """The core calls each implementation itself (to know whose result it is), so a pluggy
    hook wrapper would silently never run: refuse it at start-up instead."""
    for hook_name in dir(pm.hook):
        caller = getattr(pm.hook, hook_name)
        for impl in caller.get_hookimpls() if hasattr(caller, "get_hookimpls") else []:
            if impl.hookwrapper or getattr(impl, "wrapper", False):
                raise PluginContractError(f"{pm.describe(impl.plugin)}: {hook_name} is a hook wrapper; "
                                          "surveyapp hooks take plain implementations only")


class Reporter:
    """Called with a problem, stops with the one-line error; ``warn`` for what still works."""

    def __init__(self, who: str, hook_name: str):
        self.who, self.hook_name = who, hook_name

    def __call__(self, problem: str):
        raise PluginContractError(f"{self.who}: {self.hook_name} {problem}")

    def warn(self, problem: str) -> None:
        warnings.warn(f"{self.who}: {self.hook_name} {problem}", DeprecationWarning, stacklevel=2)


class CheckedHooks:
    """``pm.hook`` with every result checked: ``hooks.report_sections(...)`` returns the
    list of each plugin's (checked) result, or for a *firstresult* hook the first one."""

    def __init__(self, pm: PluginManager):
        self._pm = pm

    def __getattr__(self, hook_name: str) -> Callable[..., Any]:
        caller = getattr(self._pm.hook, hook_name)
        first = bool(caller.spec and caller.spec.opts.get("firstresult"))
        return partial(self._call, hook_name, first)

    def _call(self, hook_name: str, first: bool, **kwargs: Any) -> Any:
        found = results(self._pm, hook_name, **kwargs)
        if first:
            return next((r.value for r in found), None)
        return [r.value for r in found]


def checked_hooks(pm: PluginManager) -> CheckedHooks:
    return CheckedHooks(pm)


# -- what each hook must return --------------------------------------------------------------

def _is_text(value: Any) -> bool:
    """A string, or a lazy (translated on use) string."""
    return isinstance(value, str) or type_name(value) == "LazyString"


def _list_of(what: str, accepts: Callable[[Any], bool], each: Callable[[Any, Callable], Any] | None = None):
    def check(value: Any, fail: Callable[[str], None]) -> list:
        if not isinstance(value, (list, tuple)):
            fail(f"must return a list of {what}, got {type_name(value)}")
        checked = []
        for index, item in enumerate(value):
            if not accepts(item):
                fail(f"must return a list of {what}, got {type_name(item)} at [{index}]")
            checked.append(each(item, fail) if each else item)
        return checked
    return check


def _is_path(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike))


def _check_module(module: Any, fail: Callable[[str], None]) -> Any:
    from .questionnaire.schema import ID_PATTERN
    if not isinstance(module.id, str) or not re.match(ID_PATTERN, module.id):
        fail(f"module id must be lower-case letters, digits and '_', got {module.id!r}")
    for field_name in ("name", "description"):
        texts = getattr(module, field_name)
        required = ("vi", "en") if field_name == "name" else ()
        if not isinstance(texts, dict) or any(not isinstance(texts.get(key), str) or not texts.get(key)
                                              for key in required):
            fail(f"module '{module.id}': {field_name} must be a dict {{'vi': ..., 'en': ...}}, "
                 f"got {type_name(texts)}" + (f" {texts!r}" if isinstance(texts, dict) else ""))
    default = module.default_questionnaire
    if default is not None and not isinstance(default, str):
        fail(f"module '{module.id}': default_questionnaire must be a questionnaire id, got {type_name(default)}")
    return module


def _check_modules(value: Any, fail) -> list:
    from .modules import AssessmentModule
    return _list_of("AssessmentModule", lambda m: isinstance(m, AssessmentModule), _check_module)(value, fail)


def _check_methods(value: Any, fail) -> dict:
    if not isinstance(value, dict):
        fail(f"must return a dict {{'<module>.<name>': function}}, got {type_name(value)}")
    for name, function in value.items():
        if not isinstance(name, str) or not callable(function):
            fail(f"must return a dict {{'<module>.<name>': function}}, got {name!r}: {type_name(function)}")
    return dict(value)


def _check_translations(value: Any, fail) -> list:
    def is_pair(pair: Any) -> bool:
        return isinstance(pair, (list, tuple)) and len(pair) == 2 and _is_path(pair[0]) and isinstance(pair[1], str)
    return _list_of("(directory, domain) pairs", is_pair)(value, fail)


def _check_blueprints(value: Any, fail) -> list:
    from flask import Blueprint
    return _list_of("Flask blueprints", lambda b: isinstance(b, Blueprint))(value, fail)


def _check_section(section: Any, fail) -> Any:
    from markupsafe import escape
    if not _is_text(section.title) or not _is_text(section.html):
        fail(f"ReportSection.title and .html must be text, got {type_name(section.title)} and "
             f"{type_name(section.html)}")
    if section.n is not None and (isinstance(section.n, bool) or not isinstance(section.n, int)):
        fail(f"section '{section.title}': n must be an int or None, got {type_name(section.n)}")
    if not hasattr(section.html, "__html__") and "<" in str(section.html):
        fail.warn(f"section '{section.title}': html is plain text, so it is shown escaped; "
                  "pass markupsafe.Markup(render_template(...)) for HTML")
    section.html = escape(section.html)  # plain text is escaped; Markup (a rendered template) is kept
    return section


def _check_help_block(block: Any, fail) -> Any:
    from markupsafe import escape
    return escape(block)  # plain text is escaped; Markup (a rendered template) is kept


def _check_sections(value: Any, fail) -> list:
    from .reports import ReportSection
    return _list_of("ReportSection", lambda s: isinstance(s, ReportSection), _check_section)(value, fail)


def _check_sheet(sheet: Any, fail) -> Any:
    from .export import EXPECTED_TYPE, Column
    kinds = tuple(EXPECTED_TYPE)
    if not isinstance(sheet.columns, (list, tuple)) or not all(isinstance(c, Column) for c in sheet.columns):
        fail(f"sheet '{sheet.name}': columns must be a list of Column")
    for column in sheet.columns:
        if column.kind not in kinds:
            fail(f"sheet '{sheet.name}': column '{column.header}' has kind '{column.kind}' "
                 f"(one of {', '.join(kinds)})")
    sheet.rows = _checked_rows(sheet.rows, len(sheet.columns), sheet.name, fail)
    return sheet


def _checked_rows(rows: Iterable, width: int, name: str, fail) -> Iterator[list]:
    """Rows stream (a generator may yield a million): each is checked as it is written."""
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, (list, tuple)):
            fail(f"sheet '{name}': row {number} must be a list of cells, got {type_name(row)}")
        if len(row) != width:
            fail(f"sheet '{name}': row {number} has {len(row)} cells for {width} columns")
        yield row


def _check_sheets(value: Any, fail) -> list:
    from .export import SheetSpec
    return _list_of("SheetSpec", lambda s: isinstance(s, SheetSpec), _check_sheet)(value, fail)


def _check_indicators(value: Any, fail) -> list:
    from .export import IndicatorRow
    return _list_of("IndicatorRow", lambda r: isinstance(r, IndicatorRow))(value, fail)


def _check_nav(value: Any, fail) -> list:
    from .modules import NavItem
    return _list_of("NavItem", lambda n: isinstance(n, NavItem) and _is_text(n.label))(value, fail)


def _check_score(value: Any, fail) -> Any:
    from .scoring import ScoreResult
    if not isinstance(value, ScoreResult):
        fail(f"must return a ScoreResult or None, got {type_name(value)}")
    return value


def _check_url(value: Any, fail) -> str:
    if not isinstance(value, str):
        fail(f"must return a URL (str) or None, got {type_name(value)}")
    return value


def _check_notification_kinds(value: Any, fail) -> list:
    from .notify import NotificationKind
    return _list_of("NotificationKind objects", lambda kind: isinstance(kind, NotificationKind))(value, fail)


def _check_notification_channels(value: Any, fail) -> list:
    from .notify.channels import Channel
    return _list_of("Channel objects", lambda channel: isinstance(channel, Channel))(value, fail)


def _check_questionnaires(value: Any, fail) -> list:
    if not isinstance(value, (list, tuple)):
        fail(f"must return a list of paths, got {type_name(value)}")
    return _list_of("paths", _is_path)(value, fail)


CHECKS: dict[str, Callable[[Any, Callable[[str], None]], Any]] = {
    "register_assessment_modules": _check_modules,
    "register_questionnaires": _check_questionnaires,
    "register_scoring_methods": _check_methods,
    "register_translations": _check_translations,
    "register_blueprints": _check_blueprints,
    "score_response": _check_score,
    "before_answering": _check_url,
    "respondent_help": _list_of("HTML blocks (markupsafe.Markup)", _is_text, _check_help_block),
    "report_sections": _check_sections,
    "export_sheets": _check_sheets,
    "export_indicators": _check_indicators,
    "navigation_items": _check_nav,
    "register_notification_kinds": _check_notification_kinds,
    "register_notification_channels": _check_notification_channels,
}


# -- scoring methods are checked where they are called -----------------------------------------

def checked_method(function: Callable, name: str, who: str) -> Callable[[list, dict], float]:
    """Wrap a plugin's scoring method so a wrong return names the method and its plugin."""
    def method(values: list, params: dict) -> float:
        result = function(values, params)
        if isinstance(result, bool) or not isinstance(result, (int, float)) or not math.isfinite(result):
            raise PluginContractError(f"{who}: scoring method '{name}' must return a finite number, "
                                      f"got {type_name(result)} {result!r}")
        return result
    method.__wrapped__ = function  # type: ignore[attr-defined]
    return method
