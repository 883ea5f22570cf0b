"""The plugin contract: every hook a module plugin may implement.

Plugins mark their functions with ``surveyapp.hookspecs.hookimpl``. Every
argument is opt-in: an implementation names only the arguments it uses, so new
arguments can be added here without breaking existing plugins. Unless a hook
says *firstresult*, every implementation is called and the results collected
in a list; the core never relies on pluggy's call order (sections and sheets
carry an explicit ``order``).
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

    All results are collected; two modules with the same id stop start-up."""


@hookspec
def register_questionnaires() -> list[Any]:
    """Return paths (``pathlib.Path``) of the plugin's questionnaire files (YAML or JSON).

    Each file is validated against the questionnaire schema at start-up; an
    invalid file stops start-up with its file, line and field."""


@hookspec
def register_scoring_methods() -> dict[str, Callable[..., Any]]:
    """Return ``{"<module>.<name>": function}`` for scoring data cannot express.

    A method receives ``(values: list, params: dict)`` and returns a number; it
    is referenced from a questionnaire's ``scoring.scales[].method``."""


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


@hookspec
def report_sections(campaign: Any, org: Any, user: Any) -> list[Any]:
    """Return ``surveyapp.reports.ReportSection`` objects for a campaign report.

    The core sorts them by ``order`` and renders their HTML under the core's
    participation section. ``org`` is the organisation unit being viewed."""


@hookspec
def export_sheets(campaign: Any, org: Any, options: Any) -> list[Any]:
    """Return ``surveyapp.export.SheetSpec`` objects for the campaign workbook.

    Only the core writes the workbook: plugins hand it rows, headers, column
    kinds and chart requests. Sheets are sorted by ``order``."""


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
