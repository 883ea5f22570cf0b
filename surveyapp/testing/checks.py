"""``check_module``: the standard checks every assessment module must pass.

Each check drives the real app as its users would (the command line, a respondent over the
test client with CSRF on, the workbook read back with openpyxl) and asks the core, never a
copy of its rules, what should happen: the questionnaire loader for validity, the scoring
engine's bands for scores, the privacy layer's release for what is hidden.

    listed      the module and its questionnaires are in the registry and in ``surveyapp plugins``
    validates   the app starts and ``surveyapp validate`` passes the module's files
    answerable  a respondent answers a campaign of the module to the end
    scored      the response holds the scores and bands the questionnaire declares
    exported    the workbook builds; the module's sheets are in it, as declared, read back
    suppressed  with one response (a group the core hides) the module's sheets and report
                sections are the same whatever was answered; once another school has exactly the
                minimum number of answers (the core hides it too: subtraction), its rows are the
                same whatever its respondents answered
    translated  every string of the module has a Vietnamese translation; the respondent's page, the
                report with its sections and its own pages render in vi and en
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

CHECKS = ("listed", "validates", "answerable", "scored", "exported", "suppressed", "translated")
ROUND_CHECKS = ("answerable", "scored", "exported", "suppressed", "translated")   # need a respondent's answers


class Failed(Exception):
    """One check's failure: the message says what the module did and what the rule is."""


class Skipped(Exception):
    """The check cannot apply to this module (e.g. it has no questionnaire a respondent answers with a code)."""


class ConformanceError(AssertionError):
    """A module failed one or more checks; ``failures`` maps each failed check to its message."""

    def __init__(self, module_id: str, failures: dict[str, str]):
        self.module_id, self.failures = module_id, failures
        lines = "\n".join(f"  {check}: {message}" for check, message in failures.items())
        super().__init__(f"module '{module_id}' fails {len(failures)} conformance check(s):\n{lines}")


@dataclass
class Round:
    """One app, one campaign, one respondent: what the module showed afterwards."""

    answers: dict[str, Any]
    campaign_id: int | None = None
    school_id: int | None = None
    code: str | None = None
    sheets: dict[str, list[list[Any]]] = field(default_factory=dict)
    sections: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)
    crowded: tuple[dict, dict] = ({}, {})   # sheets and hidden schools once another school has k answers


def check_module(module_id: str, make_app: Callable[..., Any], *, checks: Iterable[str] = CHECKS,
                 questionnaire: str | None = None, answers: tuple[dict, dict] | None = None) -> dict[str, str]:
    """Run the standard checks on module ``module_id``; raise :class:`ConformanceError` naming
    every failed check, else return ``{check: "passed" or "skipped: why"}``.

    ``make_app()`` returns a fresh app on empty tables with the module installed (the
    ``surveyapp_make_app`` fixture); ``suppressed`` builds a second one. ``questionnaire``: the one
    to answer (default: the module's default, else its first). ``answers``: two answer sets
    ``(low, high)`` that differ (default: every item's lowest, then highest option)."""
    unknown = set(checks) - set(CHECKS)
    if unknown:
        raise ValueError(f"unknown check(s) {sorted(unknown)}; the checks are {', '.join(CHECKS)}")
    return ModuleChecker(module_id, make_app, list(checks), questionnaire, answers).run()


class ModuleChecker:
    def __init__(self, module_id, make_app, checks, questionnaire, answers):
        self.module_id, self.make_app, self.wanted = module_id, make_app, checks
        self.qid, self.answer_sets = questionnaire, answers
        self.outcome: dict[str, str] = {}
        self.failures: dict[str, str] = {}

    # -- running --------------------------------------------------------------------------

    def run(self) -> dict[str, str]:
        app = self._start_app()
        if app is not None:
            try:
                self._first_app(app)
            finally:
                _close(app)
            if self._wants("suppressed"):
                self._second_app()
        if self.failures:
            raise ConformanceError(self.module_id, self.failures)
        return {check: self.outcome.get(check, "passed") for check in self.wanted}

    def _wants(self, check: str) -> bool:
        return check in self.wanted and check not in self.failures and check not in self.outcome

    def _check(self, check: str, function: Callable[..., Any], *args: Any) -> Any:
        if not self._wants(check):
            return None
        value, error = _guard(function, *args)
        if error:
            self.failures[check] = error
        return value

    def _start_app(self):
        try:
            return self.make_app()
        except Exception as exc:   # start-up refused the module: that is what 'validates' reports
            for check in self.wanted:
                self.failures[check] = f"the app does not start: {exc}" if check == "validates" else \
                    "not checked: the app does not start"
            return None

    def _first_app(self, app) -> None:
        with app.app_context():
            self._check("listed", self.listed, app)
            self._check("validates", self.validates, app)
            self._check("translated", self.translated_catalog, app)
        later = [check for check in ROUND_CHECKS if check in self.wanted]
        if "listed" in self.failures:
            for check in later:
                self.failures.setdefault(check, "not checked: the module is not listed")
            return
        if not later:
            return
        self.first = self._answered_round(app, 0)
        if self.first is None:
            return
        with app.app_context():
            self._check("scored", self.scored, app, self.first)
            self._check("exported", self.exported, app, self.first)
            if self._wants("suppressed") and not self.first.sheets:
                self._check("suppressed", self.exported, app, self.first)
        self._check("translated", self.translated_pages, app, self.first)
        self._check("translated", self.translated_module_pages, app)
        if self._wants("suppressed"):
            self.first.sections = self._check("suppressed", self._sections, app, self.first) or {}
            self.first.crowded = self._check("suppressed", self._crowd, app, self.first) or ({}, {})

    def _second_app(self) -> None:
        app = self.make_app()
        try:
            second = self._answered_round(app, 1)
            if second is not None:
                with app.app_context():
                    second.sheets = self._check("suppressed", self._module_sheets, app, second) or {}
                second.sections = self._check("suppressed", self._sections, app, second) or {}
                self._check("suppressed", self.suppressed, app, self.first, second)
                second.crowded = self._check("suppressed", self._crowd, app, second) or ({}, {})
                self._check("suppressed", self.complementary, self.first, second)
        finally:
            _close(app)

    def _answered_round(self, app, which: int) -> Round | None:
        """A respondent answers answer set ``which``; a failure fails every check that needs the answers."""
        try:
            round_, error = _guard(self._answer, app, which)
        except Skipped as exc:
            for check in ROUND_CHECKS:
                self.outcome.setdefault(check, f"skipped: {exc}")
            self.outcome.pop("translated", None)
            self._check("translated", self.translated_module_pages, app)
            if self._wants("translated"):
                self.outcome["translated"] = f"catalog and module pages passed; respondent pages skipped: {exc}"
            return None
        if error is None:
            return round_
        if which == 1:   # only the comparison needs the second respondent
            self.failures["suppressed"] = f"the second respondent: {error}"
            return None
        if "answerable" in self.wanted:
            self.failures["answerable"] = error
            error = "'answerable' failed"
        for check in ROUND_CHECKS:
            if check in self.wanted and check != "answerable":
                self.failures.setdefault(check, f"not checked: {error}")
        return None

    # -- listed ---------------------------------------------------------------------------

    def listed(self, app) -> None:
        from surveyapp import get_registry
        registry = get_registry(app)
        if self.module_id not in registry.modules:
            raise Failed(f"no module '{self.module_id}' is registered (modules: {', '.join(registry.modules)}); "
                         "is its entry point in the 'surveyapp.plugins' group and does register_assessment_modules "
                         "return it?")
        definitions = registry.questionnaires_for(self.module_id)
        if not definitions:
            raise Failed(f"module '{self.module_id}' registers no questionnaire")
        listing = _run_command(app, ["plugins"])
        expected = [f"module {self.module_id}:"] + [f"  {d.id}  v{d.version}  " for d in definitions]
        missing = [line.strip() for line in expected if line not in listing]
        if missing:
            raise Failed(f"'surveyapp plugins' does not list {', '.join(missing)}")

    # -- validates ------------------------------------------------------------------------

    def validates(self, app) -> None:
        from surveyapp import get_registry
        from surveyapp.registry import validate_files
        registry = get_registry(app)
        lines = list(validate_files(registry.pm, []))
        problems = [line for line, ok in lines if not ok]
        if problems:
            raise Failed("'surveyapp validate' reports " + "; ".join(problems))
        for definition in registry.questionnaires_for(self.module_id):
            if not any(ok and f"OK ({definition.id} v{definition.version}," in line for line, ok in lines):
                raise Failed(f"'surveyapp validate' does not check {definition.id}: is its file registered?")

    # -- answerable -----------------------------------------------------------------------

    def _answer(self, app, which: int) -> Round:
        from surveyapp.campaigns import takes_students
        from surveyapp.extensions import db
        from surveyapp.models import Response
        from .campaign import open_campaign
        from .world import World
        with app.test_request_context():
            definition = self._questionnaire(app)
            world = World()
            campaign = open_campaign(world, definition.id, name="Conformance")
            if not takes_students(campaign):
                raise Skipped(f"{definition.id} is filled in by signed-in staff (respondent "
                              f"'{definition.model.respondent}'); the kit answers questionnaires with access codes")
            answers = self._answers(definition)[which]
            code = _first_code(campaign, world)
            round_ = Round(answers, campaign.id, code.school_id, code.code)
        if not app.config.get("WTF_CSRF_ENABLED", True):
            raise Failed("the app has CSRF protection off (WTF_CSRF_ENABLED); the kit answers as a browser does")
        _answer_pages(app.test_client(), round_.code, answers)
        with app.app_context():
            stored = db.session.query(Response).filter_by(campaign_id=round_.campaign_id).count()
        if stored != 1:
            raise Failed(f"{stored} responses stored after one respondent answered every page of {definition.id}")
        return round_

    def _questionnaire(self, app):
        from surveyapp import get_registry
        registry = get_registry(app)
        module = registry.modules[self.module_id]
        answerable = [d.id for d in registry.questionnaires_for(self.module_id)
                      if d.model.respondent != "staff" and not d.model.withheld]
        default = module.default_questionnaire
        qid = self.qid or (default if default in answerable else None) or next(iter(answerable), default)
        definition = registry.questionnaires.get(qid)
        if definition is None or definition.module != self.module_id:
            raise Failed(f"no questionnaire '{qid}' in module '{self.module_id}'")
        if definition.model.withheld:
            raise Failed(f"{qid} is withheld: pass questionnaire= one that can be answered")
        return definition

    def _answers(self, definition) -> tuple[dict, dict]:
        if self.answer_sets is None:
            self.answer_sets = (extreme_answers(definition, low=True), extreme_answers(definition, low=False))
        if self.answer_sets[0] == self.answer_sets[1]:
            raise Failed("the two answer sets are the same: 'suppressed' needs two that differ")
        return self.answer_sets

    # -- scored ---------------------------------------------------------------------------

    def scored(self, app, round_: Round) -> None:
        from surveyapp.campaigns import definition_of
        from surveyapp.extensions import db
        from surveyapp.models import Campaign, Response
        from surveyapp.scoring import find_band
        campaign = db.session.get(Campaign, round_.campaign_id)
        definition = definition_of(campaign)
        response = db.session.query(Response).filter_by(campaign_id=campaign.id).one()
        scoring = definition.model.scoring
        if scoring is None:
            self.outcome["scored"] = f"skipped: {definition.id} declares no scoring"
            return
        stored = {scale.id: ((response.total, response.band) if scale.id == scoring.primary else
                             _pair((response.scores or {}).get(scale.id))) for scale in scoring.scales}
        for scale in scoring.scales:
            score, band = stored[scale.id]
            where = f"{definition.id} scale '{scale.id}'"
            if score is None:
                if scale.missing in ("skip", "prorate"):
                    continue   # nothing answered: no score is the declared rule
                raise Failed(f"{where}: the response has no score (a score_response hook or scoring method "
                             "left it out)")
            if not isinstance(score, (int, float)) or isinstance(score, bool) or not math.isfinite(score):
                raise Failed(f"{where}: the score {score!r} is not a finite number")
            if scale.bands:
                declared = find_band(scale.bands, float(score))
                if declared is None or band != declared.id:
                    raise Failed(f"{where}: score {score:g} is stored with band {band!r}, the questionnaire's "
                                 f"bands give {declared.id if declared else 'none (outside every band)'!r}")

    # -- exported -------------------------------------------------------------------------

    def exported(self, app, round_: Round) -> None:
        round_.sheets = self._module_sheets(app, round_)

    def _module_sheets(self, app, round_: Round) -> dict[str, list[list[Any]]]:
        """Build the department's workbook (English), read it back, return the module's sheets."""
        from flask_babel import force_locale
        from openpyxl import load_workbook

        from surveyapp.export import ExportOptions, build_workbook, resolved_options, safe_sheet_name
        from surveyapp.extensions import db
        from surveyapp.models import Campaign
        folder = Path(app.config["EXPORT_FOLDER"])
        path = folder / f"conformance-{round_.campaign_id}.xlsx"
        with app.test_request_context(), force_locale("en"):
            campaign = db.session.get(Campaign, round_.campaign_id)
            org = campaign.owner_org
            options = ExportOptions(locale="en")
            try:
                build_workbook(campaign, org, path, options)
            except Exception as exc:
                raise Failed(f"the workbook does not build: {type(exc).__name__}: {exc}") from exc
            specs = [spec for found in self._own_results(app, "export_sheets", campaign=campaign, org=org,
                                                        options=resolved_options(options, org))
                     for spec in found]
        book = load_workbook(path, read_only=True)
        sheets = {}
        for spec in specs:
            name = safe_sheet_name(spec.name, set())
            if name not in book.sheetnames:
                raise Failed(f"sheet '{spec.name}' is not in the workbook (sheets: {', '.join(book.sheetnames)})")
            rows = [list(row) for row in book[name].iter_rows(values_only=True)]
            headers = [column.header for column in spec.columns]
            if headers not in rows[:2]:
                raise Failed(f"sheet '{spec.name}' reads back without its header row {headers}")
            sheets[name] = rows
        book.close()
        return sheets

    def _own_results(self, app, hook: str, **kwargs: Any) -> list[Any]:
        """What the module's own plugin returns from ``hook`` (each implementation checked by the core)."""
        from surveyapp import get_registry
        from surveyapp.contract import results
        registry = get_registry(app)
        owner = registry.owners[self.module_id]
        return [found.value for found in results(registry.pm, hook, **kwargs) if found.who == owner]

    # -- suppressed -----------------------------------------------------------------------

    def _sections(self, app, round_: Round) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """The module's report sections for the department and for the school, in vi and en."""
        from flask_babel import force_locale
        from flask_login import login_user

        from surveyapp import privacy
        from surveyapp.extensions import db
        from surveyapp.models import Campaign, OrgUnit, User
        from surveyapp.reports import ReportFilter
        shown = {}
        for locale in ("vi", "en"):
            with app.test_request_context(), force_locale(locale):
                campaign = db.session.get(Campaign, round_.campaign_id)
                user = db.session.query(User).filter_by(username="dept_admin").one()
                login_user(user)
                for org in (campaign.owner_org, db.session.get(OrgUnit, round_.school_id)):
                    try:
                        filters = ReportFilter(org)
                        with privacy.filtered(filters):  # as the dashboard builds sections
                            found = self._own_results(app, "report_sections", campaign=campaign, org=org,
                                                      user=user, filters=filters)
                    except Exception as exc:
                        raise Failed(f"report_sections for {org.code} in {locale} raised "
                                     f"{type(exc).__name__}: {exc}") from exc
                    shown[(org.code, locale)] = [(str(s.title), str(s.html)) for sections in found for s in sections]
        return shown

    def suppressed(self, app, first: Round, second: Round) -> None:
        self._hidden_premise(app, second)
        if not first.sheets and not any(first.sections.values()):
            self.outcome["suppressed"] = "passed: the module publishes no sheet or report section of its own"
        for name, rows in first.sheets.items():
            other = second.sheets.get(name, [])
            for number, (before, after) in enumerate(zip(rows, other), start=1):
                if before != after:
                    raise Failed(f"sheet '{name}' row {number} changes with the answers of a group the core hides "
                                 f"(one response): {before} then {after}; take figures from surveyapp.privacy "
                                 "(counts, score_means, band_counts, distributions) and show Figure.mark")
            if len(rows) != len(other):
                raise Failed(f"sheet '{name}' has {len(rows)} rows after one answer set and {len(other)} after "
                             "the other: the answers of a hidden group show through")
        for key, sections in first.sections.items():
            if sections != second.sections.get(key):
                org, locale = key
                raise Failed(f"the report sections for {org} ({locale}) change with the answers of a group the "
                             f"core hides (one response): {sections} then {second.sections.get(key)}")

    def _crowd(self, app, round_: Round) -> tuple[dict[str, list[list[Any]]], dict[str, str]]:
        """Add a group of exactly the minimum size at another school, answering as the first respondent
        did. The core then hides that school too (the first could be worked out from it by subtraction).
        Return the module's sheets and {code: reason} of the schools the core hides."""
        from surveyapp.extensions import db
        from surveyapp.models import AccessCode, Campaign, OrgUnit
        from surveyapp.privacy import release_for
        from surveyapp.privacy.cells import org_cell
        with app.test_request_context():
            campaign = db.session.get(Campaign, round_.campaign_id)
            other = db.session.query(AccessCode).filter(AccessCode.campaign_id == campaign.id,
                                                        AccessCode.school_id != round_.school_id).first()
            k = release_for(campaign).k
        if other is None:
            return {}, {}
        for _ in range(k):
            _answer_pages(app.test_client(), other.code, round_.answers)
        with app.app_context():
            sheets = self._module_sheets(app, round_)
        with app.test_request_context():
            release = release_for(db.session.get(Campaign, round_.campaign_id))
            schools = db.session.query(OrgUnit).filter(OrgUnit.id.in_([round_.school_id, other.school_id]))
            hidden = {school.code: release.reason(org_cell(school.id), 1) for school in schools}
        return sheets, {code: reason for code, reason in hidden.items() if reason}

    def complementary(self, first: Round, second: Round) -> None:
        """Rows naming a school the core hides are the same whatever that school's respondents answered
        (the lowest options at the first app, the highest at the second)."""
        (before, hidden), after = first.crowded, second.crowded[0]
        for name, rows in before.items():
            for number, (row, other) in enumerate(zip(rows, after.get(name, [])), start=1):
                named = [code for code in hidden if code in row or code in other]
                if named and row != other:
                    code = named[0]
                    raise Failed(f"sheet '{name}' row {number} shows figures of school {code}, which the core hides "
                                 f"({hidden[code]}: a group the first school's answer could be worked out from), "
                                 f"changing with its answers: {row} then {other}; take figures from "
                                 "surveyapp.privacy and show Figure.mark")

    def _hidden_premise(self, app, round_: Round) -> None:
        """The core's own decision must hide the one response's groups, or the comparison proves nothing."""
        from surveyapp.extensions import db
        from surveyapp.models import Campaign
        from surveyapp.privacy import release_for
        from surveyapp.privacy.cells import CAMPAIGN, org_cell
        with app.test_request_context():
            campaign = db.session.get(Campaign, round_.campaign_id)
            release = release_for(campaign)
            for cell in (CAMPAIGN, org_cell(round_.school_id)):
                if not release.hidden(cell, 1):
                    raise Failed(f"the core publishes a group of one response (minimum group size {release.k}): "
                                 "run the checks with the default MIN_GROUP_SIZE")

    # -- translated -----------------------------------------------------------------------

    def translated_catalog(self, app) -> None:
        """Every string the module's code and templates translate has a Vietnamese translation, in its
        own catalog (compiled) or the core's."""
        from babel.messages.pofile import read_po

        from surveyapp.i18n import CORE_DIR, extract, untranslated
        root = self._module_root(app)
        wanted = {_msgid(message) for message in extract(root, self.module_id) if message.id}
        catalogs = [CORE_DIR / "vi" / "LC_MESSAGES" / "messages.po"]
        own = self._own_catalog(app)
        if own is not None:
            gaps = untranslated(own, "vi", self.module_id)
            if gaps:
                raise Failed(f"{own}: no Vietnamese translation for {_quoted(gaps)}")
            if not own.with_suffix(".mo").exists():
                raise Failed(f"{own} is not compiled: run 'surveyapp i18n-compile'")
            catalogs.insert(0, own)
        translated: set[Any] = set()
        for po_path in catalogs:
            with po_path.open("rb") as handle:
                translated |= {_msgid(m) for m in read_po(handle, locale="vi") if m.id and m.string and not m.fuzzy}
        missing = sorted(str(key[1]) for key in wanted - translated)
        if missing:
            where = f"its catalog {own}" if own else "no catalog (translations/vi/LC_MESSAGES/<module id>.po)"
            raise Failed(f"strings of {root} have no Vietnamese translation ({where}): {_quoted(missing)}")

    def _module_root(self, app) -> Path:
        """The folder of the plugin that registers the module (a ModulePlugin's root, else its file's)."""
        from surveyapp import get_registry
        from surveyapp.contract import results
        registry = get_registry(app)
        for found in results(registry.pm, "register_assessment_modules"):
            if any(module.id == self.module_id for module in found.value):
                plugin = registry.pm.get_plugin(found.owner)
                return Path(getattr(plugin, "root", None) or Path(plugin.__file__).parent)
        raise Failed(f"no plugin registers module '{self.module_id}'")

    def _own_catalog(self, app) -> Path | None:
        from surveyapp import get_registry
        from surveyapp.contract import results
        for found in results(get_registry(app).pm, "register_translations"):
            for directory, domain in found.value:
                if domain == self.module_id:
                    po_path = Path(directory) / "vi" / "LC_MESSAGES" / f"{domain}.po"
                    if not po_path.exists():
                        raise Failed(f"register_translations gives {directory} for '{domain}' but it has no "
                                     f"vi/LC_MESSAGES/{domain}.po")
                    return po_path
        return None

    def translated_pages(self, app, round_: Round) -> None:
        """The respondent's first page and the report with the module's sections, in vi and in en."""
        from surveyapp import get_registry
        from surveyapp.extensions import db
        from surveyapp.models import Campaign
        from .client import login
        with app.app_context():
            campaign = db.session.get(Campaign, round_.campaign_id)
            definition = get_registry(app).questionnaires[campaign.qversion.qid]
            owner = campaign.owner_org.code
        sections = self._sections(app, round_)
        staff = app.test_client()
        login(staff, "dept_admin")
        for locale in ("vi", "en"):
            title = definition.title(locale)
            page = _get(app.test_client(), f"/s/{round_.code}?lang={locale}", f"the respondent's first page in {locale}")
            if page.status_code != 200 or _escaped(title) not in page.get_data(as_text=True):
                raise Failed(f"the respondent's first page in {locale} ({page.status_code}) does not show the "
                             f"title '{title}'")
            report = _get(staff, f"/reports/campaign/{round_.campaign_id}?lang={locale}",
                          f"the campaign report in {locale}")
            html = report.get_data(as_text=True)
            if report.status_code != 200:
                raise Failed(f"the campaign report in {locale} answers {report.status_code}")
            for title, _html in sections[(owner, locale)]:
                if _escaped(title) not in html:
                    raise Failed(f"the campaign report in {locale} does not show the module's section '{title}'")

    def translated_module_pages(self, app) -> None:
        """The module's own pages answer in vi and in en, to a department admin."""
        from .client import login
        _ensure_world(app)
        staff = app.test_client()
        login(staff, "dept_admin")
        for locale in ("vi", "en"):
            for url in self._own_pages(app):
                shown = _get(staff, f"{url}?lang={locale}", f"the module's page {url} in {locale}")
                if shown.status_code >= 500:
                    raise Failed(f"the module's page {url} in {locale} answers {shown.status_code}")
                if shown.status_code == 200 and f'<html lang="{locale}"' not in shown.get_data(as_text=True):
                    raise Failed(f"the module's page {url} asked in {locale} is not in {locale} "
                                 "(does its template extend base.html?)")

    def _own_pages(self, app) -> list[str]:
        """The module's pages that take no argument (its blueprint's GET routes), as a department admin opens them."""
        with app.test_request_context():
            from flask import url_for
            return sorted({url_for(rule.endpoint) for rule in app.url_map.iter_rules()
                           if rule.endpoint.startswith(f"{self.module_id}.") and "GET" in (rule.methods or ())
                           and not rule.arguments})


# -- helpers ------------------------------------------------------------------------------

def extreme_answers(definition, low: bool) -> dict[str, Any]:
    """Every item answered with its lowest (or highest) allowed value, as a form posts it."""
    from surveyapp.questionnaire.schema import CRITERION_NA, TEXT_TYPES
    answers: dict[str, Any] = {}
    for item_id, info in definition.items.items():
        item = info.item
        if item.type in TEXT_TYPES:
            answers[item_id] = "ok"
            continue
        if item.type == "number":
            values = list(definition.value_range(item_id))
        else:
            values = sorted(v for v in info.allowed_values if not (item.type == "criterion" and v == CRITERION_NA))
        value = str(values[0] if low else values[-1])
        answers[item_id] = [value] if item.type == "multi_choice" else value
    return answers


def _answer_pages(client, code: str, answers: dict[str, Any], max_pages: int = 50) -> None:
    """Answer every page as a browser does; fail with what the respondent saw."""
    from .client import csrf_token, page_items, start
    response = start(client, code)
    if response.status_code != 302:
        raise Failed(f"the start page answers {response.status_code}: {_text(response)}")
    location = response.headers["Location"]
    for number in range(1, max_pages + 1):
        page = client.get(location)
        if page.status_code != 200:
            raise Failed(f"page {number} ({location}) answers {page.status_code}: {_text(page)}")
        html = page.get_data(as_text=True)
        data: dict[str, Any] = {"csrf_token": csrf_token(client)}
        data.update({item: answers[item] for item in page_items(html) if item in answers})
        last = 'value="submit"' in html
        data["action"] = "submit" if last else "next"
        try:
            response = client.post(location, data=data)
        except Exception as exc:
            raise Failed(f"sending page {number} raised {type(exc).__name__}: {exc}") from exc
        if response.status_code != 302:
            raise Failed(f"page {number} ({location}) refused the answers {data}: {response.status_code} "
                         f"{_text(response)}")
        location = response.headers["Location"]
        if last or "/p/" not in location:
            return
    raise Failed(f"the survey did not end after {max_pages} pages")


def _guard(function: Callable[..., Any], *args: Any) -> tuple[Any, str | None]:
    """``(result, None)``, or ``(None, message)`` when the check failed or the module's code raised."""
    try:
        return function(*args), None
    except Skipped:
        raise
    except Failed as exc:
        return None, str(exc)
    except Exception as exc:   # the module's own code raised: say what surfaced
        return None, f"{type(exc).__name__}: {exc}"


def _get(client, url: str, what: str):
    try:
        return client.get(url)
    except Exception as exc:   # the module's code raised while the page was drawn
        raise Failed(f"{what} raised {type(exc).__name__}: {exc}") from exc


def _ensure_world(app) -> None:
    """The demo tree, unless a round of answers built it already."""
    from surveyapp.extensions import db
    from surveyapp.models import User
    from .world import World
    with app.test_request_context():
        if db.session.query(User).filter_by(username="dept_admin").first() is None:
            World()


def _first_code(campaign, world):
    """The access code of class 6A of school A, else the campaign's first (its grades may differ)."""
    from surveyapp.extensions import db
    from surveyapp.models import AccessCode
    codes = db.session.query(AccessCode).filter_by(campaign_id=campaign.id).order_by(AccessCode.id).all()
    if not codes:
        raise Failed(f"a campaign of {campaign.qversion.qid} has no access code in the demo tree (lower-secondary "
                     "schools A and B, grades 6 and 7): check the questionnaire's applies_to")
    return next((c for c in codes if c.class_group_id == world.class_a6.id), codes[0])


def _text(response) -> str:
    import re
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(body.split())[:300]


def _escaped(text: str) -> str:
    from markupsafe import escape
    return str(escape(text))


def _pair(stored: Any) -> tuple[Any, Any]:
    return (stored.get("score"), stored.get("band")) if isinstance(stored, dict) else (None, None)


def _msgid(message) -> tuple[Any, Any]:
    return (message.context, message.id)


def _quoted(names: Iterable[str]) -> str:
    names = list(names)
    shown = ", ".join(f"'{n}'" for n in names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _run_command(app, args: list[str]) -> str:
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from surveyapp.cli import cli
    result = CliRunner().invoke(cli, args, obj=ScriptInfo(create_app=lambda: app))
    if result.exit_code != 0:
        raise Failed(f"'surveyapp {' '.join(args)}' exits {result.exit_code}: {result.output.strip()}")
    return result.output


def _close(app) -> None:
    from .app import close_app
    close_app(app)
