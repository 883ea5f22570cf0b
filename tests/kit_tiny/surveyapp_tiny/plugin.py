"""Hooks of the ``tiny`` module: a per-school sheet and a report section, figures through the privacy layer."""
from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from surveyapp import privacy
from surveyapp.campaigns import definition_of, schools_in
from surveyapp.export import Column, SheetSpec, hidden_value
from surveyapp.hookspecs import hookimpl
from surveyapp.i18n import module_translations
from surveyapp.modules import AssessmentModule, ModulePlugin
from surveyapp.reports import ReportSection

_ = module_translations("tiny").gettext
MODULE = AssessmentModule(id="tiny", name={"vi": "Mô-đun nhỏ", "en": "Tiny module"}, default_questionnaire="tiny.check")
PLUGIN = ModulePlugin(MODULE, __name__)


def mean_cell(figure):
    return hidden_value(figure.reason) if figure.hidden else figure.value["total"]


@hookimpl
def export_sheets(campaign, org, options):
    if campaign.module != MODULE.id:
        return []
    means = privacy.score_means(campaign, definition_of(campaign), org, by="school", scales=["total"])
    rows = [[school.code, means[school.id].n, mean_cell(means[school.id])]
            for school in schools_in(campaign) if school.id in means]
    columns = [Column(_("School code")), Column(_("Responses"), "int"), Column(_("Mean"), "float")]
    return [SheetSpec(_("Tiny means"), columns, rows, order=50)]


@hookimpl
def report_sections(campaign, org, user):
    if campaign.module != MODULE.id:
        return []
    figure = privacy.single(privacy.score_means(campaign, definition_of(campaign), org, None, ["total"]), campaign)
    html = Markup(render_template("tiny/section.html", figure=figure))
    return [ReportSection(title=_("Tiny section"), html=html, order=60)]
