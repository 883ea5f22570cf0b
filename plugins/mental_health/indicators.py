"""Figures for the upward-reporting indicators sheet: counselling requests by topic."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from surveyapp import privacy
from surveyapp.export import IndicatorRow, hidden_value
from surveyapp.extensions import db
from surveyapp.models import OrgUnit
from surveyapp.reports import min_group_size

from .labels import LABELS
from .models import Case


def indicator_rows(campaign, org) -> list[IndicatorRow]:
    """Requests received in the campaign's window in the scope, per topic; counts only,
    small counts hidden with complementary suppression."""
    query = (select(Case.topic, func.count(Case.id)).join(OrgUnit, Case.school_id == OrgUnit.id)
             .where(OrgUnit.path.startswith(org.path)).group_by(Case.topic))
    if campaign.opens_on:
        query = query.where(Case.created_on >= campaign.opens_on)
    if campaign.closes_on:
        query = query.where(Case.created_on <= campaign.closes_on)
    counts = dict(db.session.execute(query).all())
    decision = privacy.protect_counts(counts, min_group_size())
    return [IndicatorRow(key="counselling_requests", name=str(LABELS["topic"].get(topic, topic)),
                         value=hidden_value(decision.reason(topic)) if decision.reason(topic) else n,
                         unit=_("requests"), order=index)
            for index, (topic, n) in enumerate(sorted(counts.items()))]
