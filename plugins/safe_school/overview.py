"""Department overview, year-over-year results and the figures the export sheets share.

One query per table for a whole campaign (responses, assessments); the
criteria most often not met are one GROUP BY-free SUM(CASE ...) scan.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import select

from surveyapp.campaigns import schools_in
from surveyapp.extensions import db
from surveyapp.models import RESPONSE_SUBMITTED, Campaign, OrgUnit, QuestionnaireVersion, Response
from surveyapp.questionnaire.schema import CRITERION_NOT_MET
from surveyapp.reports import count_if
from surveyapp.storage import answers_of, definition_for

from . import assessment as flow
from .models import DRAFT, NOT_STARTED, STATUSES, SUBMITTED, Assessment
from .sets import applies


@dataclass
class SchoolRow:
    school: OrgUnit
    status: str
    completeness: float
    outcome: Optional[str]
    assessment: Optional[Assessment]
    response: Optional[Response]
    answers: dict[str, Any]
    notes: dict


def schools_for(campaign: Campaign, within: list[OrgUnit], level: str = "") -> list[OrgUnit]:
    """Schools in the campaign's scope that must fill its set, inside the given units."""
    chosen = []
    for school in schools_in(campaign):
        if not applies(campaign, school) or not any(school.path.startswith(u.path) for u in within):
            continue
        if level and level not in school.level_list:
            continue
        chosen.append(school)
    return chosen


def school_rows(campaign: Campaign, schools: list[OrgUnit]) -> list[SchoolRow]:
    ids = [s.id for s in schools]
    responses, assessments = {}, {}
    if ids:
        for response in db.session.execute(select(Response).where(Response.campaign_id == campaign.id,
                                                                   Response.school_id.in_(ids))
                                            .order_by(Response.id)).scalars():
            responses.setdefault(response.school_id, response)
        assessments = {a.school_id: a for a in db.session.execute(
            select(Assessment).where(Assessment.campaign_id == campaign.id, Assessment.school_id.in_(ids))).scalars()}
    return [_row(campaign, school, responses.get(school.id), assessments.get(school.id)) for school in schools]


def _row(campaign: Campaign, school: OrgUnit, response: Optional[Response],
         assessment: Optional[Assessment]) -> SchoolRow:
    if response is None:
        return SchoolRow(school, NOT_STARTED, 0.0, None, None, None, {}, {"comments": {}, "plans": {}})
    definition = definition_for(response.qversion)
    values = answers_of(definition, response)
    stored = flow.notes(response)
    pct = flow.completeness(flow.group_states(definition, values, stored))
    if assessment is not None:
        status = assessment.status
    else:
        status = SUBMITTED if response.status == RESPONSE_SUBMITTED else DRAFT
    outcome = response.outcome if response.status == RESPONSE_SUBMITTED else None
    return SchoolRow(school, status, pct, outcome, assessment, response, values, stored)


def status_counts(rows: list[SchoolRow]) -> dict[str, int]:
    counts = {status: 0 for status in STATUSES}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


def most_unmet(campaign: Campaign, school_ids: list[int], limit: int = 10) -> list[tuple[Any, int]]:
    """Criteria most often not met among submitted assessments: (item info, count), largest first."""
    if not school_ids:
        return []
    definition = definition_for(campaign.qversion)
    criteria = [info for info in definition.items.values() if info.item.type == "criterion" and info.slot]
    if not criteria:
        return []
    sums = [count_if(getattr(Response, f"v{info.slot}") == CRITERION_NOT_MET) for info in criteria]
    row = db.session.execute(select(*sums).where(
        Response.campaign_id == campaign.id, Response.qversion_id == campaign.qversion_id,
        Response.status == RESPONSE_SUBMITTED, Response.school_id.in_(school_ids))).one()
    counted = [(info, int(n or 0)) for info, n in zip(criteria, row) if n]
    return sorted(counted, key=lambda pair: (-pair[1], pair[0].index))[:limit]


def previous_results(current: Assessment) -> tuple[list[dict], dict[str, Any]]:
    """The school's earlier submitted results for the same set, newest first, and the
    per-criterion values of the latest of them (by item id, for display beside the current)."""
    qid = current.response.qversion.qid
    query = (select(Response, Campaign).join(Campaign, Response.campaign_id == Campaign.id)
             .join(QuestionnaireVersion, Response.qversion_id == QuestionnaireVersion.id)
             .where(Response.school_id == current.school_id, QuestionnaireVersion.qid == qid,
                    Response.status == RESPONSE_SUBMITTED, Campaign.id < current.campaign_id)
             .order_by(Campaign.id.desc()))
    rows, latest = [], {}
    for response, campaign in db.session.execute(query):
        definition = definition_for(response.qversion)
        met = (response.scores or {}).get("met", {})
        rows.append({"campaign": campaign, "year": flow.school_year(campaign), "definition": definition,
                     "outcome": response.outcome, "met": met.get("score") if isinstance(met, dict) else None,
                     "total": response.total})
        if not latest:
            latest = answers_of(definition, response)
    return rows, latest
