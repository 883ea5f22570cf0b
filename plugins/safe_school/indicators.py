"""Figures for the upward-reporting indicators sheet: safe-school results by school level."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from surveyapp.export import IndicatorRow
from surveyapp.extensions import db
from surveyapp.models import RESPONSE_SUBMITTED, OrgUnit, Response

LEVEL_NAMES = {"mam_non": "Mầm non", "tieu_hoc": "Tiểu học", "thcs": "THCS", "thpt": "THPT", "gdtx": "GDTX"}
MET = "dat"


def indicator_rows(campaign, org) -> list[IndicatorRow]:
    """Per level: share of submitted self-assessments whose result is Đạt (one GROUP BY).

    A school's result is its own signed assessment, not personal data: no suppression."""
    rows = db.session.execute(
        select(OrgUnit.levels, Response.outcome, func.count(Response.id))
        .join(OrgUnit, Response.school_id == OrgUnit.id)
        .where(Response.campaign_id == campaign.id, Response.status == RESPONSE_SUBMITTED,
               OrgUnit.path.startswith(org.path))
        .group_by(OrgUnit.levels, Response.outcome)).all()
    assessed: dict[str, int] = {}
    met: dict[str, int] = {}
    for levels, outcome, n in rows:
        for level in (levels or "").split(","):
            if level:
                assessed[level] = assessed.get(level, 0) + n
                met[level] = met.get(level, 0) + (n if outcome == MET else 0)
    return [IndicatorRow(key="school_safety_results", name=LEVEL_NAMES.get(level, level),
                         value=round(100 * met[level] / assessed[level], 1), unit="%",
                         note=_("%(met)s of %(assessed)s submitted self-assessments met the standard (Đạt)",
                                met=met[level], assessed=assessed[level]),
                         order=index)
            for index, level in enumerate(sorted(assessed, key=_level_order))]


def _level_order(level: str) -> tuple[int, str]:
    order = list(LEVEL_NAMES)
    return (order.index(level) if level in order else len(order), level)
