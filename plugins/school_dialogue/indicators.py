"""Figures for the upward-reporting indicators sheet (core hook ``export_indicators``)."""
from __future__ import annotations

from flask_babel import gettext as _

from surveyapp import privacy
from surveyapp.export import IndicatorRow, hidden_value
from surveyapp.reports import campaign_schools, expected_by_school, subtree


def indicator_rows(campaign, org) -> list[IndicatorRow]:
    """Share of students whose views were sought: responses over the expected respondents
    (class sizes of the surveyed grades; grades 6-12, so every respondent is aged 7+)."""
    schools = campaign_schools(campaign, subtree(org), None)
    expected = sum(expected_by_school([s.id for s in schools], campaign.grade_list).values())
    total = privacy.single(privacy.counts(campaign, org, None), campaign)
    if not expected:
        value = None
    elif total.hidden:
        value = hidden_value(total.reason)
    else:
        value = round(100 * total.n / expected, 1)
    return [IndicatorRow(key="views_sought_7plus", value=value, unit="%",
                         note=_("%(n)s / %(expected)s (responses / expected students of the surveyed classes)",
                                n=total.n, expected=expected))]
