"""Hook implementations of the example ``wellbeing`` module."""
from __future__ import annotations

from pathlib import Path

from surveyapp.export import Column, SheetSpec
from surveyapp.hookspecs import hookimpl
from surveyapp.modules import AssessmentModule
from surveyapp.reports import band_counts

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


@hookimpl
def export_sheets(campaign, org, options):
    if campaign.module != MODULE.id:
        return []
    counts = band_counts(campaign.id).get(campaign.id, {})
    rows = [[band, n] for band, n in sorted(counts.items())]
    return [SheetSpec("Wellbeing bands", [Column("Band"), Column("Responses", "int")], rows, order=50)]
