"""safe_school: safe-school self-assessment (TT 18/2023, TT 45/2021), evidence, review, recognition."""
from __future__ import annotations

from pathlib import Path

from surveyapp.hookspecs import hookimpl
from surveyapp.modules import AssessmentModule

HERE = Path(__file__).parent
MODULE = AssessmentModule(
    id="safe_school",
    name={"vi": "Trường học an toàn, phòng, chống tai nạn thương tích",
          "en": "Safe school and injury prevention"},
    description={"vi": "Tự đánh giá theo tiêu chí, minh chứng, thẩm định và công nhận.",
                 "en": "Self-assessment against criteria, evidence, review and recognition."},
    default_questionnaire="safe_school.tt18_2023",
)


@hookimpl
def register_assessment_modules():
    return [MODULE]


@hookimpl
def register_questionnaires():
    return sorted((HERE / "questionnaires").glob("*.yaml"))


@hookimpl
def register_translations():
    return [(str(HERE / "translations"), MODULE.id)]
