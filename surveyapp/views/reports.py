"""The campaign report: participation and results from the city down to a school, with charts.

Every figure comes from ``reports.build_dashboard`` (one GROUP BY school plus a
constant number of small queries, whatever the number of schools); this module
only checks scope, reads the filters and draws the charts.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import _, get_locale
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from .. import audit, charts, get_registry
from ..access import REPORT_ROLES, in_scope, require_role, roots, units_in_scope
from ..campaigns import campaigns_visible_to, definition_of, overlaps
from ..export import figures_as_of, summary_csv
from ..labels import download_name
from ..extensions import db
from ..models import SCHOOL_LEVELS, Campaign, OrgUnit
from ..privacy import reason_text
from ..reports import Dashboard, build_dashboard, comparison, path_ids, trend

bp = Blueprint("reports", __name__, url_prefix="/reports")
CHART_ROWS = 50  # more rows than this go to the table only: a chart should stay readable


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
    figures = _charts(board, trend(history, board.measures, node, level))
    return render_template(
        "reports/campaign.html", board=board, campaign=campaign, definition=definition, node=node,
        level=level, levels=SCHOOL_LEVELS, breadcrumb=_breadcrumb(node), history=history, other=other,
        previous=previous, sections=_plugin_sections(campaign, node), charts=figures,
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


def _unit_choices() -> list[OrgUnit]:
    return [u for u in units_in_scope(current_user, *REPORT_ROLES) if u.kind != "school"]


def _plugin_sections(campaign: Campaign, node: OrgUnit) -> list:
    found = []
    for contributed in get_registry().hook.report_sections(campaign=campaign, org=node, user=current_user):
        found.extend(contributed or [])
    # section.html is escaped at the boundary (surveyapp.contract) unless the plugin passed Markup
    return sorted(found, key=lambda s: s.order)


def _charts(board: Dashboard, history: list) -> dict[str, Markup]:
    hidden = _("hidden")
    rows = board.children[:CHART_ROWS]
    made = {"gauge": charts.gauge(_("Participation"), board.total.rate,
                                  _("%(n)s of %(expected)s expected", n=board.total.n,
                                    expected=board.total.expected)),
            "participation": charts.bar_chart(
                _("Participation by unit or school (laggards first)"),
                [(r.label, r.agg.rate, _("no expected count")) for r in rows], max_value=1, fmt=charts.percent)}
    if board.measures.primary is not None:
        made["mean"] = charts.bar_chart(
            _("Mean score by unit or school"),
            [(r.label, None if r.hidden else r.agg.mean, r.mark or hidden) for r in rows])
        made["trend"] = charts.line_chart(
            _("Mean score by campaign"),
            [(c.name, None if gone else agg.mean) for c, agg, gone in history])
    groups = _result_groups(board)
    if groups:
        kind, keys, legend = groups
        made["bands"] = charts.stacked_bar(
            _("Results by unit or school"), legend,
            [(r.label, None if r.hidden else [getattr(r.agg, kind).get(key, 0) for key in keys], r.mark or hidden)
             for r in rows])
    return made


def _result_groups(board: Dashboard):
    """Bands of the primary score, else the outcome classes: (attribute, keys, labels)."""
    locale = str(get_locale())
    pairs, kind = (board.measures.bands, "bands") if board.measures.bands else (board.measures.outcomes, "outcomes")
    if not pairs:
        return None
    return kind, [key for key, _label in pairs], [label.get(locale) for _key, label in pairs]


def item_sections(board: Dashboard, definition, locale: str) -> list[dict]:
    """Per section: each choice item's answer shares at this node, and a stacked bar per option set."""
    sections = []
    for section in definition.sections:
        rows, legend, chart_rows = [], None, []
        for item in section.items:
            dist = board.items.get(item.id)
            if dist is None:
                continue
            info = definition.items[item.id]
            options = [] if dist.reason else [(o.text.get(locale), dist.counts.get(o.value, 0)) for o in info.options]
            rows.append({"code": item.code or item.id, "text": item.text.get(locale), "n": dist.n,
                         "mean": dist.mean, "options": options,
                         "mark": reason_text(dist.reason, board.k) if dist.reason else None})
            if dist.reason:
                continue  # too few answers to this item here: no counts, no bar
            names = [name for name, _count in options]
            legend = legend or names
            if names == legend and item.type != "multi_choice":
                chart_rows.append((item.code or _short(item.text.get(locale)), [c for _n, c in options], ""))
        if rows:
            chart = charts.stacked_bar(section.title.get(locale), legend, chart_rows) if chart_rows else None
            sections.append({"title": section.title.get(locale), "rows": rows, "chart": chart})
    return sections


def _short(text: str) -> str:
    return text if len(text) <= 30 else text[:29] + "…"
