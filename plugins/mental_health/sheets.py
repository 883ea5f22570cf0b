"""Export sheets: aggregates only. Band counts per school and grade, counts of requests.

Nothing here reads a name, a contact, a message or a note: the only columns
taken from the case table are its school, date, topic, status and source.
"""
from __future__ import annotations

from flask_babel import _, get_locale, pgettext

from surveyapp import privacy
from surveyapp.campaigns import definition_of
from surveyapp.export import ChartSpec, Column, SheetSpec, hidden_value
from surveyapp.reports import min_group_size

from . import flow, screening, stats
from .labels import label


def sheets_for(campaign, org, options) -> list[SheetSpec]:
    if not flow.is_ours(campaign):
        return []
    locale = getattr(options, "locale", None) or str(get_locale())
    sheets = [_band_sheet(table, order=50 + index)
              for index, table in enumerate(screening.band_tables(campaign, definition_of(campaign), org, locale))]
    sheets.append(_counts_sheet(org))
    return sheets


def _band_rows(table, rows, kind_label: str):
    for row in rows:
        figures = []
        for band_id, _label in table.bands:
            figures.append(hidden_value(row.reason) if row.suppressed else row.share(band_id))
        yield [kind_label, row.label, row.n, *figures]


def _band_sheet(table, order: int) -> SheetSpec:
    columns = [Column(_("Group by"), width=12), Column(pgettext("mental_health", "Group"), width=36),
               Column(pgettext("mental_health", "Students"), "int")]
    columns += [Column(label, "percent") for _id, label in table.bands]
    rows = list(_band_rows(table, table.by_school, _("School"))) + \
        list(_band_rows(table, table.by_grade, _("Grade")))
    chart = ChartSpec(table.title, 1, list(range(3, 3 + len(table.bands))), kind="bar", stacked=True)
    return SheetSpec(_("Bands %(scale)s", scale=table.title)[:31], columns, rows, order=order, charts=[chart],
                     note=_("Share of students per band.") + " " + privacy.rule_text(min_group_size()))


def _counts_sheet(org) -> SheetSpec:
    rows = []
    labels = {"month": _("Month"), "topic": _("Topic"), "status": _("Status"), "source": _("Source")}
    for dimension in stats.DIMENSIONS:
        for key, n, reason in stats.case_counts(org, dimension):
            rows.append([labels[dimension], _value_words(dimension, key), hidden_value(reason) if reason else n])
    columns = [Column(_("Breakdown"), width=14), Column(_("Value"), width=24), Column(_("Requests and cases"), "int")]
    return SheetSpec(_("Counselling counts"), columns, rows, order=60,
                     note=_("Counts only; no names, contacts, messages or notes."))


def _value_words(dimension: str, key) -> str:
    """A topic, status or source in words (the stored codes never reach the sheet); a month as mm/yyyy."""
    if dimension == "month":
        year, _dash, month = str(key).partition("-")
        return f"{month}/{year}" if month else str(key)
    return label(dimension, key)
