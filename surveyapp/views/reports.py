"""The campaign report: participation and results from the city down to a school, with charts.

Every figure comes from ``reports.build_dashboard`` (one GROUP BY school plus a
constant number of small queries, whatever the number of schools); this module
only checks scope, reads the filters and draws the charts.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from .. import audit, get_registry, privacy
from ..access import REPORT_ROLES, in_scope, require_role, roots, units_in_scope
from ..campaigns import campaigns_visible_to, definition_of, overlaps
from ..export import figures_as_of, summary_csv
from ..labels import download_name
from ..report_charts import dashboard_charts, item_sections
from ..extensions import db
from ..models import SCHOOL_LEVELS, Campaign, OrgUnit
from ..reports import ReportFilter, build_dashboard, comparison, path_ids, trend

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not overlaps(campaign, roots(current_user, REPORT_ROLES)):
        abort(404)
    return campaign


def _node(campaign: Campaign) -> OrgUnit:
    """The unit asked for (404 outside the user's subtree), else the user's widest root."""
    org_id = request.args.get("org", type=int)
    if org_id:
        org = db.session.get(OrgUnit, org_id)
        if not in_scope(current_user, org, *REPORT_ROLES):
            abort(404)
        return org
    mine = [r for r in roots(current_user, REPORT_ROLES) if overlaps(campaign, [r])]
    return sorted(mine, key=lambda r: r.depth)[0]


def _level() -> str | None:
    level = request.args.get("level") or None
    return level if level in SCHOOL_LEVELS else None


def _visible() -> list[Campaign]:
    units = roots(current_user, REPORT_ROLES)
    return [c for c in campaigns_visible_to(current_user) if overlaps(c, units)]


def _same_questionnaire(campaign: Campaign, visible: list[Campaign]) -> list[Campaign]:
    same = [c for c in visible if c.qversion.qid == campaign.qversion.qid]
    return sorted(same, key=lambda c: (c.opens_on or c.created_at.date(), c.id))


def _breadcrumb(node: OrgUnit) -> list[OrgUnit]:
    ids = path_ids(node)
    found = {o.id: o for o in db.session.execute(select(OrgUnit).where(OrgUnit.id.in_(ids))).scalars()}
    return [found[i] for i in ids if i in found and in_scope(current_user, found[i], *REPORT_ROLES)]


@bp.route("/")
@require_role(*REPORT_ROLES)
def index():
    campaign_id = request.args.get("campaign", type=int)
    if campaign_id:
        return redirect(url_for(".campaign", campaign_id=_campaign(campaign_id).id))
    return render_template("reports/index.html", campaigns=_visible())


@bp.route("/campaign/<int:campaign_id>")
@require_role(*REPORT_ROLES)
def campaign(campaign_id: int):
    campaign = _campaign(campaign_id)
    node, level = _node(campaign), _level()
    definition = definition_of(campaign)
    board = build_dashboard(campaign, definition, node, level)
    visible = _visible()
    history = _same_questionnaire(campaign, visible)
    other = next((c for c in history if c.id == request.args.get("compare", type=int) and c.id != campaign.id),
                 None)
    previous = comparison(campaign, other, node, level, [node.id] + [r.org.id for r in board.children]) \
        if other else {}
    figures = dashboard_charts(board, trend(history, board.measures, node, level), definition)
    return render_template(
        "reports/campaign.html", board=board, campaign=campaign, definition=definition, node=node,
        level=level, levels=SCHOOL_LEVELS, breadcrumb=_breadcrumb(node), history=history, other=other,
        previous=previous, sections=_plugin_sections(campaign, ReportFilter(node, level)), charts=figures,
        items=item_sections(board, definition, str(get_locale())), show_all=request.args.get("all") == "1",
        as_of=figures_as_of(),
        units=_unit_choices(), campaigns=visible)


@bp.route("/campaign/<int:campaign_id>/csv")
@require_role(*REPORT_ROLES)
def csv(campaign_id: int):
    campaign = _campaign(campaign_id)
    node, level = _node(campaign), _level()
    table = request.args.get("table", "schools")
    if table not in ("schools", "units", "levels"):
        abort(404)
    text = summary_csv(campaign, node, table, level)
    name = download_name(campaign.name, node.code, "csv", part=table)
    return Response(text.encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/campaign/<int:campaign_id>/report.docx")
@require_role(*REPORT_ROLES)
def official_report(campaign_id: int):
    """The campaign's summary as an editable Vietnamese administrative report (NĐ 30/2020)."""
    from ..campaign_report import build_campaign_report
    campaign = _campaign(campaign_id)
    node = _node(campaign)
    data = build_campaign_report(campaign, node, current_app.config.get("REPORT_PLACE") or "")
    audit.record("report.official", campaign, org_id=node.id)
    db.session.commit()
    name = download_name(campaign.name, node.code, "docx", part="bao-cao")
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/campaign/<int:campaign_id>/compare.xlsx")
@require_role(*REPORT_ROLES)
def comparison_workbook(campaign_id: int):
    """The page's comparison with an earlier round (``compare``) as a print-ready workbook."""
    import tempfile
    from pathlib import Path
    from ..comparison_export import build_comparison_workbook
    campaign = _campaign(campaign_id)
    node, level = _node(campaign), _level()
    other = next((c for c in _same_questionnaire(campaign, _visible())
                  if c.id == request.args.get("compare", type=int) and c.id != campaign.id), None)
    if other is None:
        abort(404)
    with tempfile.TemporaryDirectory() as folder:
        path = build_comparison_workbook(campaign, other, node, level, Path(folder) / "comparison.xlsx",
                                         str(get_locale()))
        data = path.read_bytes()
    audit.record("report.comparison", campaign, org_id=node.id)
    db.session.commit()
    name = download_name(campaign.name, node.code, "xlsx", part="so-sanh")
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _unit_choices() -> list[OrgUnit]:
    return [u for u in units_in_scope(current_user, *REPORT_ROLES) if u.kind != "school"]


def _plugin_sections(campaign: Campaign, filters: ReportFilter) -> list:
    found = []
    with privacy.filtered(filters):  # the modules' figures honour the page's filter: they cannot forget it
        for contributed in get_registry().hook.report_sections(campaign=campaign, org=filters.org,
                                                               user=current_user, filters=filters):
            found.extend(contributed or [])
    # section.html is escaped at the boundary (surveyapp.contract) unless the plugin passed Markup
    return sorted(found, key=lambda s: s.order)
