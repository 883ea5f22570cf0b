"""school_dialogue: anonymous student surveys, suggestion box, dialogue sessions and actions."""
from __future__ import annotations

from surveyapp.hookspecs import hookimpl
from surveyapp.modules import AssessmentModule, ModulePlugin, NavItem

from . import models  # noqa: F401  (registers the plugin's tables)

MODULE = AssessmentModule(
    id="school_dialogue",
    name={"vi": "Đối thoại học đường", "en": "School dialogue"},
    description={"vi": "Học sinh góp ý ẩn danh; nhà trường đối thoại và trả lời.",
                 "en": "Students give their views anonymously; the school holds dialogues and answers."},
    default_questionnaire="school_dialogue.dialogue",
)
# module, questionnaires/, translations/, templates (through views.bp) and migrations/ by convention
PLUGIN = ModulePlugin(MODULE, __name__, blueprint="views:bp")


@hookimpl
def navigation_items(user):
    from flask_babel import gettext
    from surveyapp.access import ADMIN, AUDITOR, COUNSELLOR, VIEWER, has_role
    if not has_role(user, ADMIN, COUNSELLOR, VIEWER, AUDITOR):
        return []
    return [NavItem("school_dialogue.index", gettext("School dialogue"), order=30)]


@hookimpl
def report_sections(campaign, org, user, filters):
    from .report import sections
    return sections(campaign, org, user, filters)


@hookimpl
def export_sheets(campaign, org, options):
    from .sheets import sheets
    return sheets(campaign, org, options)


@hookimpl
def demo_loaded(department, schools, campaigns, rng):
    from .demo import load
    load(schools, campaigns, rng)


@hookimpl
def export_indicators(campaign, org):
    if campaign.module != MODULE.id:
        return []
    from .indicators import indicator_rows
    return indicator_rows(campaign, org)


@hookimpl
def register_notification_kinds():
    from .notices import KINDS
    return KINDS


@hookimpl
def notification_sweep(now):
    from .notices import reply_reminders
    reply_reminders(now)
