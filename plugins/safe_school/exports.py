"""Excel sheets for a safe-school campaign: schools, school x criterion matrix, improvement actions."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _, pgettext

from surveyapp.export import Column, ConditionalFormat, SheetSpec
from surveyapp.labels import level_label
from surveyapp.questionnaire.schema import CRITERION_MET, CRITERION_NA, CRITERION_NOT_MET

from . import assessment as flow
from . import overview as ov


def value_labels() -> dict[int, str]:
    """The matrix's short cell words (one narrow column per criterion)."""
    return {CRITERION_MET: _("met"), CRITERION_NOT_MET: _("not met"), CRITERION_NA: _("n.a.")}


def value_meanings() -> dict[int, str]:
    return {CRITERION_MET: _("The criterion is met"), CRITERION_NOT_MET: _("The criterion is not met"),
            CRITERION_NA: _("Not applicable: the school has nothing the criterion is about (an \"if any\" criterion)")}


def sheets(campaign, org, locale: str) -> list[SheetSpec]:
    rows = ov.school_rows(campaign, ov.schools_for(campaign, [org]))
    definition = flow.definition_of_campaign(campaign)
    return [schools_sheet(rows, definition, locale), matrix_sheet(rows, definition, locale),
            actions_sheet(rows, definition, locale)]


def _unit(school) -> str:
    return school.parent.name if school.parent else ""


def schools_sheet(rows, definition, locale: str) -> SheetSpec:
    data = []
    for row in rows:
        scores = (row.response.scores or {}) if row.response and row.outcome else {}
        met = (scores.get("met") or {}).get("score")
        data.append([_unit(row.school), row.school.code, row.school.name,
                     ", ".join(level_label(level) for level in row.school.level_list),
                     flow.status_label(row.status), row.completeness / 100.0, met,
                     flow.outcome_label(definition, row.outcome, locale) or None,
                     row.response.submitted_on if row.response and row.outcome else None])
    columns = [Column(_("Unit"), width=28), Column(_("School code")), Column(_("School"), width=36),
               Column(_("Levels")), Column(_("Status"), width=20), Column(_("Completeness"), "percent"),
               Column(_("Criteria met"), "int"), Column(_("Result"), width=14), Column(_("Submitted"), "date")]
    return SheetSpec(_("Safe school - schools"), columns, data, order=30)


def matrix_sheet(rows, definition, locale: str) -> SheetSpec:
    """One row per school, one column per criterion: met / not met / n.a., coloured."""
    criteria = [info for info in definition.items.values() if info.item.type == "criterion"]
    labels = value_labels()
    data = [[row.school.code, row.school.name]
            + [labels.get(row.answers.get(info.item.id)) for info in criteria] for row in rows]
    columns = [Column(_("School code")), Column(_("School"), width=36)]
    columns += [Column(info.item.code or info.item.id, width=9) for info in criteria]
    last = len(columns) - 1
    formats = [ConditionalFormat(2, last, labels[CRITERION_MET], bg_color="#C6EFCE", font_color="#006100"),
               ConditionalFormat(2, last, labels[CRITERION_NOT_MET], bg_color="#FFC7CE", font_color="#9C0006"),
               ConditionalFormat(2, last, labels[CRITERION_NA], bg_color="#EDEDED", font_color="#595959")]
    meanings = value_meanings()
    legend = [(labels[value], meanings[value]) for value in (CRITERION_MET, CRITERION_NOT_MET, CRITERION_NA)]
    legend += [(info.item.code or info.item.id, info.item.text.get(locale)) for info in criteria]
    return SheetSpec(_("Safe school - matrix"), columns, data, order=31, conditional_formats=formats,
                     note=_("One column per criterion, headed by its code; the legend sheet gives each "
                            "criterion's text and what the cell words mean."), legend=legend)


def actions_sheet(rows, definition, locale: str) -> SheetSpec:
    data = []
    for row in rows:
        for item_id, plan in row.notes["plans"].items():
            info = definition.items.get(item_id)
            if info is None or row.answers.get(item_id) != CRITERION_NOT_MET:
                continue
            due = _date(plan.get("due"))
            data.append([row.school.code, row.school.name, info.item.code or item_id, info.item.text.get(locale),
                         plan.get("action") or "", plan.get("owner") or "", due])
    columns = [Column(_("School code")), Column(_("School"), width=30), Column(_("Criterion"), width=9),
               Column(_("Criterion text"), width=50), Column(pgettext("safe_school", "Action"), width=40),
               Column(_("Owner"), width=20),
               Column(pgettext("safe_school", "Due date"), "date")]
    return SheetSpec(_("Safe school - actions"), columns, data, order=32)


def _date(text):
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None
