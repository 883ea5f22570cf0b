"""mental_health: screening with validated instruments, self-referral, confidential counselling.

Thin hook implementations; the work is in ``cases`` (records), ``flow`` (the
student side), ``screening``/``stats`` (aggregates) and ``views``.
"""
from __future__ import annotations

from surveyapp.hookspecs import hookimpl
from surveyapp.modules import AssessmentModule, ModulePlugin

from . import models  # noqa: F401  (registers the plugin's tables)

MODULE = AssessmentModule(
    id="mental_health",
    name={"vi": "Tham vấn học đường và sức khoẻ tâm thần", "en": "School counselling and mental health"},
    description={"vi": "Sàng lọc ẩn danh, tự tìm hỗ trợ và hồ sơ tham vấn bảo mật.",
                 "en": "Anonymous screening, self-referral and confidential counselling records."},
    default_questionnaire="mental_health.phq8",
)
# module, questionnaires/, translations/, templates (through views.bp) and migrations/ by convention
PLUGIN = ModulePlugin(MODULE, __name__, blueprint="views:bp")


@hookimpl
def before_answering(campaign, access_code):
    from .flow import gate_url
    return gate_url(campaign, access_code)


@hookimpl
def submission_completed(response, campaign, result):
    from .flow import on_submitted
    on_submitted(response, campaign, result)


@hookimpl
def respondent_help(campaign, school):
    from .flow import help_blocks
    return help_blocks(campaign, school)


@hookimpl
def report_sections(campaign, org, user, filters):
    from .views.reports import screening_section
    return screening_section(campaign, org, user)


@hookimpl
def export_sheets(campaign, org, options):
    from .sheets import sheets_for
    return sheets_for(campaign, org, options)


@hookimpl
def navigation_items(user):
    from .views.counsellor import nav_items
    return nav_items(user)


@hookimpl
def register_commands(cli):
    from .commands import mental_health_group
    cli.add_command(mental_health_group)


@hookimpl
def demo_loaded(department, schools, campaigns, rng):
    from .demo import load
    load(department, schools, campaigns, rng)


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
