"""school_dialogue: anonymous student surveys, suggestion box, dialogue sessions and actions."""
from __future__ import annotations

from pathlib import Path

from surveyapp.hookspecs import hookimpl
from surveyapp.modules import AssessmentModule

HERE = Path(__file__).parent
MODULE = AssessmentModule(
    id="school_dialogue",
    name={"vi": "Đối thoại học đường", "en": "School dialogue"},
    description={"vi": "Học sinh góp ý ẩn danh; nhà trường đối thoại và trả lời.",
                 "en": "Students give their views anonymously; the school holds dialogues and answers."},
    default_questionnaire="school_dialogue.dialogue",
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
