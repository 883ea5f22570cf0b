"""mental_health: screening with validated instruments, self-referral, confidential counselling."""
from __future__ import annotations

from pathlib import Path

from surveyapp.hookspecs import hookimpl
from surveyapp.modules import AssessmentModule

HERE = Path(__file__).parent
MODULE = AssessmentModule(
    id="mental_health",
    name={"vi": "Tham vấn học đường và sức khoẻ tâm thần", "en": "School counselling and mental health"},
    description={"vi": "Sàng lọc ẩn danh, tự tìm hỗ trợ và hồ sơ tham vấn bảo mật.",
                 "en": "Anonymous screening, self-referral and confidential counselling records."},
    default_questionnaire="mental_health.phq8",
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
