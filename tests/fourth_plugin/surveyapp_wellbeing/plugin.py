"""Hook implementations of the example ``wellbeing`` module.

What is particular to this module lives here; the rest is by folder convention through
``ModulePlugin``: ``questionnaires/``, ``translations/vi/LC_MESSAGES/wellbeing.po``,
``templates/wellbeing/``. Every figure comes from ``surveyapp.privacy``, which hands it over
with the campaign's hidden groups already hidden: this module has no suppression of its own.
"""
from __future__ import annotations

from flask import render_template
from flask_babel import get_locale
from markupsafe import Markup

from surveyapp import privacy
from surveyapp.campaigns import definition_of, schools_in
from surveyapp.export import Column, SheetSpec, hidden_value
from surveyapp.hookspecs import hookimpl
from surveyapp.i18n import module_translations
from surveyapp.modules import AssessmentModule, ModulePlugin
from surveyapp.reports import ReportSection

_ = module_translations("wellbeing").gettext
MODULE = AssessmentModule(id="wellbeing", name={"vi": "Sức khoẻ tinh thần lớp học", "en": "Class wellbeing"},
                          default_questionnaire="wellbeing.check")
PLUGIN = ModulePlugin(MODULE, __name__)   # module, questionnaires, translations, templates
BANDS = ("low", "fine")
SCALE = "best"


@hookimpl
def register_scoring_methods():
    # A rule the data cannot express: the best of the answers, doubled.
    return {"wellbeing.double_max": lambda values, params: 2.0 * max(values)}


def cell(figure, value):
    """A published figure's value, or the core's mark for a hidden one."""
    return hidden_value(figure.reason) if figure.hidden else value


def own_schools(campaign, org):
    return [school for school in schools_in(campaign) if school.path.startswith(org.path)]


@hookimpl
def export_sheets(campaign, org, options):
    if campaign.module != MODULE.id:
        return []
    return [bands_sheet(campaign, org), means_sheet(campaign, org)]


def bands_sheet(campaign, org) -> SheetSpec:
    """Responses per band, school by school."""
    per_school = privacy.band_counts(campaign, org, by="school")
    rows = []
    for school in own_schools(campaign, org):
        figure = per_school.get(school.id)
        if figure is not None:
            rows.append([school.code, school.name, figure.n,
                         *[cell(figure, (figure.value or {}).get(band, 0)) for band in BANDS]])
    columns = [Column(_("School code")), Column(_("School"), width=30), Column(_("Responses"), "int")]
    columns += [Column(band, "int") for band in BANDS]
    return SheetSpec(_("Wellbeing bands"), columns, rows, order=50)


def means_sheet(campaign, org) -> SheetSpec:
    """The mean score per school."""
    means = privacy.score_means(campaign, definition_of(campaign), org, by="school", scales=[SCALE])
    rows = [[school.code, school.name, means[school.id].n,
             cell(means[school.id], (means[school.id].value or {}).get(SCALE))]
            for school in own_schools(campaign, org) if school.id in means]
    columns = [Column(_("School code")), Column(_("School"), width=30), Column(_("Responses"), "int"),
               Column(_("Mean score"), "float")]
    return SheetSpec(_("Wellbeing means"), columns, rows, order=51,
                     note=_("Schools with too few answers are hidden, as in the core's sheets."))


@hookimpl
def report_sections(campaign, org, user):
    """The dashboard's wellbeing block for the unit being viewed."""
    if campaign.module != MODULE.id or org is None:
        return []
    definition = definition_of(campaign)
    locale = str(get_locale())
    mean = privacy.single(privacy.score_means(campaign, definition, org, None, [SCALE]), campaign)
    bands = privacy.single(privacy.band_counts(campaign, org, by=None), campaign)
    labels = {band.id: band.label.get(locale) for scale in definition.model.scoring.scales if scale.id == SCALE
              for band in scale.bands}
    html = Markup(render_template("wellbeing/section.html", mean=mean, bands=bands, labels=labels, scale=SCALE))
    return [ReportSection(title=_("Class wellbeing"), html=html, order=60)]
