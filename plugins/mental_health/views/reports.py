"""Aggregate pages: the screening report of a campaign, and counselling counts for admins.

Both show numbers only, with small groups suppressed; no page here reads a case's content.
"""
from __future__ import annotations

from flask import abort, render_template
from flask_babel import _, get_locale
from flask_login import current_user
from markupsafe import Markup

from surveyapp.access import ADMIN, AUDITOR, COUNSELLOR, VIEWER, in_scope, require_role, roots
from surveyapp.campaigns import definition_of, overlaps
from surveyapp.extensions import db
from surveyapp.models import Campaign
from surveyapp.reports import ReportSection, min_group_size

from .. import flow, screening, stats
from . import bp

REPORT_ROLES = (ADMIN, VIEWER, AUDITOR, COUNSELLOR)


def screening_section(campaign, org, user) -> list[ReportSection]:
    """The report_sections hook: band shares per school and grade, with bar charts."""
    if not flow.is_ours(campaign) or org is None or not in_scope(user, org, *REPORT_ROLES):
        return []
    locale = str(get_locale())
    tables = screening.band_tables(campaign, definition_of(campaign), org, locale)
    if not tables:
        return []
    html = render_template("mental_health/_bands.html", tables=tables, segments=screening.bar_segments,
                           colours=screening.COLOURS, k=min_group_size())
    n = sum(row.n for row in tables[0].by_school)   # every response has its school
    return [ReportSection(title=_("Screening: share of students per band"), html=Markup(html), order=40, n=n)]


@bp.route("/campaign/<int:campaign_id>/report")
@require_role(*REPORT_ROLES)
def campaign_report(campaign_id: int):
    campaign = db.session.get(Campaign, campaign_id)
    units = roots(current_user, REPORT_ROLES)
    if campaign is None or not flow.is_ours(campaign) or not overlaps(campaign, units):
        abort(404)
    sections = []
    for unit in sorted(units, key=lambda u: u.path):
        sections.extend((unit, s) for s in screening_section(campaign, unit, current_user))
    return render_template("mental_health/report.html", campaign=campaign, sections=sections)


@bp.route("/overview")
@require_role(ADMIN, VIEWER, AUDITOR, COUNSELLOR)
def overview():
    """Counts of requests and cases by month, topic, status and source: never content."""
    blocks = []
    for unit in sorted(roots(current_user, (ADMIN, VIEWER, AUDITOR, COUNSELLOR)), key=lambda u: u.path):
        blocks.append({"unit": unit, "total": stats.total_cases(unit),
                       "tables": {d: stats.case_counts(unit, d) for d in stats.DIMENSIONS}})
    return render_template("mental_health/overview.html", blocks=blocks, k=min_group_size())

