"""The plugin contract: every hook a module plugin may implement.

Plugins mark their functions with ``surveyapp.hookspecs.hookimpl``. Every
argument is opt-in: an implementation names only the arguments it uses, so new
arguments can be added here without breaking existing plugins. Unless a hook
says *firstresult*, every implementation is called and the results collected
in a list; the core never relies on pluggy's call order (sections and sheets
carry an explicit ``order``).

Every result is checked at one boundary (``surveyapp/contract.py``): a wrong one stops with
one line naming the plugin's distribution, version, the hook and the fault. The objects are
documented field by field in ``docs/plugins.md``.
"""
from __future__ import annotations

from typing import Any, Callable

import pluggy

PROJECT_NAME = "surveyapp"
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_assessment_modules() -> list[Any]:
    """Return the plugin's module descriptors (``surveyapp.modules.AssessmentModule``).

    All results are collected; two modules with the same id stop start-up. A plugin registers
    questionnaires and scoring methods only under the module ids it registers itself."""


@hookspec
def register_questionnaires() -> list[Any]:
    """Return a list of paths (``pathlib.Path`` or ``str``) of the plugin's questionnaire files (YAML or JSON).

    Each file is validated against the questionnaire schema at start-up; an
    invalid file stops start-up with its file, line and field."""


@hookspec
def register_scoring_methods() -> dict[str, Callable[..., Any]]:
    """Return ``{"<module>.<name>": function}`` for scoring data cannot express.

    A method receives ``(values: list, params: dict)`` and returns a finite number (checked on
    every call); it is referenced from a questionnaire's ``scoring.scales[].method``. The
    values' encodings (a multi-choice answer is a bitmask) are in ``docs/plugins.md``."""


@hookspec(firstresult=True)
def score_response(questionnaire: Any, answers: dict) -> Any:
    """Override the data-driven scoring of a whole response. *firstresult*.

    Return a ``surveyapp.scoring.ScoreResult`` or ``None`` to let the core
    score it from the questionnaire's ``scoring`` section."""


@hookspec(firstresult=True)
def before_answering(campaign: Any, access_code: Any) -> str | None:
    """Return a URL a respondent must visit before answering starts (e.g. consent). *firstresult*.

    Called on the start page while the device has no draft for this access code;
    ``None`` lets answering start. Implementations act only on their own module's campaigns."""


@hookspec
def submission_completed(response: Any, questionnaire: Any, campaign: Any, result: Any) -> None:
    """React to a response after it is committed (alerts, notifications). Returns nothing.

    ``response`` is the stored ``Response``, read from the database on first attribute
    access (a submission whose hooks do not look at it costs no second read); ``result``
    holds its scores. Also called for a page with a risk answer stored on its own (its
    draft already sent or gone): then ``response.notes == {"partial": True}`` and
    ``result`` may have risk flags but no totals."""


@hookspec
def respondent_help(campaign: Any, school: Any) -> list[Any]:
    """Return extra HTML blocks (``markupsafe.Markup``) for the help page shown after a risk answer.

    The core alone decides that help is shown (any risk rule met, on every path) and
    shows the helpline, the school counsellor and each rule's ``help`` text; a module may
    add e.g. a way to ask the counsellor. ``campaign`` is None for help after a request
    that is not a survey. Implementations act only on their own module's campaigns."""


@hookspec(firstresult=True, warn_on_impl=DeprecationWarning(
    "after_submit_redirect is no longer called: the core shows help after every risk answer at "
    "/s/done; add help page content with respondent_help"))
def after_submit_redirect(response: Any, questionnaire: Any, campaign: Any, result: Any) -> str | None:
    """Deprecated, never called. Kept so that a plugin written for it still starts (with a
    warning): whether help follows a submission is the core's decision alone, on every path,
    at one neutral address; a module adds to that page through ``respondent_help``."""


@hookspec
def report_sections(campaign: Any, org: Any, user: Any, filters: Any) -> list[Any]:
    """Return ``surveyapp.reports.ReportSection`` objects for a campaign report.

    The core sorts them by ``order`` and shows them under the core's participation section.
    ``html`` is escaped unless it is ``markupsafe.Markup`` (e.g. a rendered template).
    ``org`` is the organisation unit being viewed; ``filters`` (``ReportFilter``) what the reader
    chose. The figures a section reads through ``surveyapp.privacy`` already honour it."""


@hookspec
def export_sheets(campaign: Any, org: Any, options: Any) -> list[Any]:
    """Return ``surveyapp.export.SheetSpec`` objects for the campaign workbook.

    Only the core writes the workbook: plugins hand it rows, headers, column
    kinds and chart requests. Sheets are sorted by ``order``; every row has exactly one
    cell per column (checked as it is written)."""


@hookspec
def register_blueprints() -> list[Any]:
    """Return Flask blueprints (with their ``template_folder``) to register."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add click commands or groups to the ``surveyapp`` command group ``cli``."""


@hookspec
def register_translations() -> list[tuple[str, str]]:
    """Return ``(translations_directory, gettext_domain)`` pairs merged into the app's catalogs."""


@hookspec
def navigation_items(user: Any) -> list[Any]:
    """Return ``surveyapp.modules.NavItem`` entries for the signed-in ``user``'s menu."""


@hookspec
def demo_loaded(department: Any, schools: list, campaigns: list, rng: Any) -> None:
    """Add module-specific demo content after ``surveyapp demo`` created units, users and campaigns."""


@hookspec
def startup(app: Any) -> None:
    """Last step of ``create_app``: the app is configured, plugins and questionnaires loaded."""


@hookspec
def export_indicators(campaign: Any, org: Any) -> list[Any]:
    """Return ``surveyapp.export.IndicatorRow`` figures for the workbook's indicators sheet.

    The sheet reports upward (child-situation statistics, TT 13/2021/TT-BLĐTBXH).
    Give each row a ``key`` from ``surveyapp/indicators.yaml`` when the indicator is
    listed there (name, appendix and code then come from the file), else a
    ``name``. The core prints a code only when the file confirms it and marks every
    other row "unverified". Values must already respect the minimum group size
    (``surveyapp.export.SUPPRESSED`` for a hidden figure); ``org`` is the workbook's
    scope. Rows are sorted by ``order``."""


@hookspec
def register_notification_kinds() -> list[Any]:
    """Return ``surveyapp.notify.NotificationKind`` objects: the module's notifications and their
    fixed wording (translated strings with ``%(school)s``, ``%(campaign)s``, ``%(due)s``,
    ``%(count)s``, ``%(link)s``). Ids start with the module id; urgent kinds cannot be switched off."""


@hookspec
def register_notification_channels() -> list[Any]:
    """Return ``surveyapp.notify.Channel`` objects delivering notifications besides e-mail
    (webhook, SMS gateway, Zalo). They get the core's composed text, outbox retries and dead letters."""


@hookspec
def notification_sweep(now: Any) -> None:
    """Once a day in the notification worker: enqueue time-driven notifications (reminders,
    overdue replies) with ``surveyapp.notify.enqueue`` and a dedup key holding the date.
    ``now`` is the naive UTC time (injected in tests)."""
