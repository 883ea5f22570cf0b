"""Hook implementations of the example ``wellbeing`` module."""
from __future__ import annotations

from pathlib import Path

from surveyapp import privacy
from surveyapp.campaigns import schools_in
from surveyapp.export import Column, SheetSpec, hidden_value
from surveyapp.hookspecs import hookimpl
from surveyapp.modules import AssessmentModule

HERE = Path(__file__).parent
MODULE = AssessmentModule(id="wellbeing", name={"vi": "Sức khoẻ tinh thần lớp học", "en": "Class wellbeing"},
                          default_questionnaire="wellbeing.check")


@hookimpl
def register_assessment_modules():
    return [MODULE]


@hookimpl
def register_questionnaires():
    return [HERE / "questionnaires" / "check.yaml"]


@hookimpl
def register_scoring_methods():
    # A rule the data cannot express: the best of the answers, doubled.
    return {"wellbeing.double_max": lambda values, params: 2.0 * max(values)}


BANDS = ("low", "fine")


@hookimpl
def export_sheets(campaign, org, options):
    """Responses per band, school by school: the core's privacy layer hands the figures over with
    the campaign's hidden schools already hidden, so this module needs no suppression of its own."""
    if campaign.module != MODULE.id:
        return []
    per_school = privacy.band_counts(campaign, org, by="school")
    rows = []
    for school in schools_in(campaign):
        figure = per_school.get(school.id)
        if figure is None or not school.path.startswith(org.path):
            continue
        bands = [hidden_value(figure.reason) if figure.hidden else figure.value.get(b, 0) for b in BANDS]
        rows.append([school.code, school.name, figure.n, *bands])
    columns = [Column("School code"), Column("School", width=30), Column("Responses", "int")]
    columns += [Column(band, "int") for band in BANDS]
    return [SheetSpec("Wellbeing bands", columns, rows, order=50)]
