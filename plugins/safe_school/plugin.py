"""safe_school: safe-school self-assessment (TT 18/2023, TT 45/2021), evidence, review, recognition."""
from __future__ import annotations

from surveyapp.hookspecs import hookimpl
from surveyapp.modules import AssessmentModule, ModulePlugin, NavItem

from . import models  # noqa: F401  (registers the plugin's tables)

MODULE = AssessmentModule(
    id="safe_school",
    name={"vi": "Trường học an toàn, phòng, chống tai nạn thương tích",
          "en": "Safe school and injury prevention"},
    description={"vi": "Tự đánh giá theo tiêu chí, minh chứng, thẩm định và công nhận.",
                 "en": "Self-assessment against criteria, evidence, review and recognition."},
    default_questionnaire="safe_school.tt18_2023",
)
# module, questionnaires/, translations/, templates (through views.bp) and migrations/ by convention
PLUGIN = ModulePlugin(MODULE, __name__, blueprint="views:bp")


@hookimpl
def register_commands(cli):
    from .commands import register
    register(cli)


@hookimpl
def navigation_items(user):
    from flask_babel import gettext as _
    from surveyapp.access import ADMIN, REPORT_ROLES, has_role
    if has_role(user, ADMIN, *REPORT_ROLES):
        return [NavItem(endpoint="safe_school.index", label=_("Safe school"), order=20)]
    return []


@hookimpl
def export_sheets(campaign, org, options):
    if campaign.module != MODULE.id:
        return []
    from .exports import sheets
    return sheets(campaign, org, options.locale)


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
