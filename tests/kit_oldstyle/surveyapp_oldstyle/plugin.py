"""Hook implementations of the ``oldstyle`` module, one plain hook per registration."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, render_template
from flask_babel import gettext

from surveyapp import privacy
from surveyapp.campaigns import schools_in
from surveyapp.export import Column, SheetSpec, hidden_value
from surveyapp.hookspecs import hookimpl
from surveyapp.modules import AssessmentModule, NavItem
from surveyapp.reports import ReportSection

HERE = Path(__file__).parent
MODULE = AssessmentModule(id="oldstyle", name={"vi": "Kiểu cũ", "en": "Old style"},
                          default_questionnaire="oldstyle.check")
bp = Blueprint("oldstyle", __name__, url_prefix="/oldstyle", template_folder=str(HERE / "templates"))


@bp.route("/")
def index():
    return render_template("oldstyle/index.html")


@hookimpl
def register_assessment_modules():
    return [MODULE]


@hookimpl
def register_questionnaires():
    return [HERE / "questionnaires" / "check.yaml"]


@hookimpl
def register_scoring_methods():
    return {"oldstyle.double_max": lambda values, params: 2.0 * max(values)}


@hookimpl
def register_translations():
    return [(str(HERE / "translations"), MODULE.id)]


@hookimpl
def register_blueprints():
    return [bp]


@hookimpl
def navigation_items(user):
    return [NavItem("oldstyle.index", gettext("Old style page"), order=90)]


@hookimpl
def after_submit_redirect(response, questionnaire, campaign, result):
    return None   # renamed since: the core shows help after a risk answer, modules add to it with respondent_help


@hookimpl
def report_sections(campaign, org, user):
    if campaign.module != MODULE.id:
        return []
    figure = privacy.single(privacy.counts(campaign, org, by=None), campaign)
    # HTML in a plain string, as plugins wrote it before sections were escaped
    return [ReportSection(title=gettext("Old style summary"), html=f"<p>{figure.n} answers</p>", order=70)]


@hookimpl
def export_sheets(campaign, org, options):
    if campaign.module != MODULE.id:
        return []
    per_school = privacy.band_counts(campaign, org, by="school")
    rows = []
    for school in schools_in(campaign):
        figure = per_school.get(school.id)
        if figure is None or not school.path.startswith(org.path):
            continue
        bands = [hidden_value(figure.reason) if figure.hidden else figure.value.get(b, 0) for b in ("low", "fine")]
        rows.append([school.code, school.name, figure.n, *bands])
    columns = [Column(gettext("School code")), Column(gettext("School"), width=30), Column("n", "int")]
    columns += [Column(band, "int") for band in ("low", "fine")]
    return [SheetSpec(gettext("Old style bands"), columns, rows, order=55)]
