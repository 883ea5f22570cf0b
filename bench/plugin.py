"""A bench-only plugin: a 30-item one-page survey and a one-item survey.

Registered with ``create_app(extra_plugins=[bench.plugin])``; never an entry
point, so the core and the normal app never see it."""
from __future__ import annotations

from pathlib import Path

from surveyapp.hookspecs import hookimpl
from surveyapp.modules import AssessmentModule

HERE = Path(__file__).parent
MODULE = AssessmentModule(id="bench", name={"vi": "Đo hiệu năng", "en": "Benchmark"},
                          default_questionnaire="bench.survey30")


@hookimpl
def register_assessment_modules():
    return [MODULE]


@hookimpl
def register_questionnaires():
    return sorted((HERE / "questionnaires").glob("*.yaml"))
