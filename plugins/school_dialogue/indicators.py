"""Figures for the upward-reporting indicators sheet (core hook ``export_indicators``)."""
from __future__ import annotations

from flask_babel import gettext as _

from surveyapp.campaigns import definition_of
from surveyapp.export import SUPPRESSED, IndicatorRow
from surveyapp.reports import campaign_schools, min_group_size, rolled_up, subtree


def indicator_rows(campaign, org) -> list[IndicatorRow]:
    """Share of students whose views were sought: responses over the expected respondents
    (class sizes of the surveyed grades; grades 6-12, so every respondent is aged 7+)."""
    definition = definition_of(campaign)
    schools = campaign_schools(campaign, subtree(org), None)
    total = rolled_up(campaign, definition, org, schools, None).get(org.id)
    if total is None or not total.expected:
        value = None
    elif total.n < min_group_size():
        value = SUPPRESSED
    else:
        value = round(100 * total.n / total.expected, 1)
    return [IndicatorRow(key="views_sought_7plus", value=value, unit="%",
                         note=_("%(n)s / %(expected)s (responses / expected students of the surveyed classes)",
                                n=getattr(total, "n", 0), expected=getattr(total, "expected", 0)))]
