"""The plugin's workbook sheets (export_sheets hook): figures from the core's privacy layer.

Every hidden group is the one the core's own sheets hide (the same release), written
as the core's mark with its reason; free text only in the school's own workbook."""
from __future__ import annotations

from flask_babel import _, pgettext

from surveyapp import privacy
from surveyapp.campaigns import definition_of, schools_in
from surveyapp.export import ChartSpec, Column, SheetSpec, hidden_value
from surveyapp.models import OrgUnit
from surveyapp.ordering import grade_key
from surveyapp.reports import min_group_size

from . import results

MODULE_ID = "school_dialogue"


def sheets(campaign, org: OrgUnit, options) -> list[SheetSpec]:
    if campaign.module != MODULE_ID:
        return []
    definition = definition_of(campaign)
    locale = getattr(options, "locale", "vi")
    schools = [s for s in schools_in(campaign) if s.path.startswith(org.path)]
    found = [_participation(campaign, org, schools), _section_scores(campaign, definition, org, schools, locale),
             _items_by(campaign, definition, org, "school", _("Items by school"), 130, locale,
                       {s.id: (s.code, s.name) for s in schools}),
             _items_by(campaign, definition, org, "grade", _("Items by grade"), 140, locale, None)]
    if not getattr(options, "department_wide", True) and org.kind == "school":
        found.append(_free_text(campaign, definition, org, locale))
    return [sheet for sheet in found if sheet is not None]


def _participation(campaign, org: OrgUnit, schools: list[OrgUnit]) -> SheetSpec:
    per_class = privacy.counts(campaign, org, "class")  # one query for every school
    rows = []
    for school in schools:
        for row in results.class_participation(campaign, school, per_class):
            mark = hidden_value(row["reason"])
            rows.append([school.code, school.name, row["class"].name, row["class"].grade, row["size"],
                         mark if row["hidden"] else row["responses"], mark if row["hidden"] else row["rate"]])
    columns = [Column(_("School code")), Column(_("School"), width=34), Column(_("Class")), Column(_("Grade"), "int"),
               Column(_("Class size"), "int"), Column(pgettext("school_dialogue", "Responses"), "int"), Column(_("Participation"), "percent")]
    return SheetSpec(_("Participation by class"), columns, rows, order=110, note=privacy.rule_text(min_group_size()))


def _section_scores(campaign, definition, org: OrgUnit, schools, locale: str) -> SheetSpec:
    scales = results.mean_scales(definition)
    table = results.scale_means(campaign, definition, org, "school")
    city = privacy.single(results.scale_means(campaign, definition, org, "campaign"), campaign)
    rows = [["", _("City average"), city.n] + [_value(city, s) for s, _l in scales]]
    for school in schools:
        figure = table.get(school.id)
        if figure is None:
            continue
        rows.append([school.code, school.name, figure.n] + [_value(figure, s) for s, _l in scales])
    columns = [Column(_("School code")), Column(_("School"), width=34), Column(pgettext("school_dialogue", "Responses"), "int")]
    columns += [Column(label.get(locale), "float", width=14) for _s, label in scales]
    chart = ChartSpec(_("Mean score by section"), 1, list(range(3, 3 + len(scales))), kind="bar")
    return SheetSpec(_("Section scores"), columns, rows, order=120, charts=[chart],
                     note=_("Mean from 1 to 5.") + " " + privacy.rule_text(min_group_size()))


def _value(figure: privacy.Figure, key):
    return hidden_value(figure.reason) if figure.hidden else (figure.value or {}).get(key)


def _items_by(campaign, definition, org, by: str, title: str, order: int, locale: str, names) -> SheetSpec:
    per_group = privacy.distributions(campaign, definition, org, by)
    k = min_group_size()
    rows = []
    place = {key: index for index, key in enumerate(names or {})}   # ``names`` is in the tree's order
    sort_key = (lambda key: place.get(key, len(place))) if names else grade_key
    for key in sorted(per_group, key=sort_key):
        figure = per_group[key]
        label = names.get(key, (str(key), ""))[:2] if names else (key, "")   # a grade stays a number
        if figure.hidden:
            rows.append([*label, "", "", "", hidden_value(figure.reason), hidden_value(figure.reason)])
            continue
        for item_id, dist in figure.value.items():
            info = definition.items[item_id]
            for option in info.options:
                count = dist.counts.get(option.value, 0)
                share = count / dist.n if dist.n else None
                why = dist.reason  # an item a few answered, in a published group: the layer hides it
                rows.append([*label, info.item.code or item_id, info.item.text.get(locale), option.text.get(locale),
                             hidden_value(why) if why else count, hidden_value(why) if why else share])
    first = [Column(_("School code")), Column(_("School"), width=30)] if names else [Column(_("Grade"), "int"), Column("")]
    columns = first + [Column(pgettext("school_dialogue", "Item"), width=16), Column(_("Question"), width=60), Column(pgettext("school_dialogue", "Answer"), width=28),
                       Column(_("Count"), "int"), Column(_("Share"), "percent")]
    return SheetSpec(title, columns, rows, order=order, note=privacy.rule_text(k))


def _free_text(campaign, definition, school: OrgUnit, locale: str) -> SheetSpec | None:
    """The school's own workbook only (the core set ``department_wide`` False for the school itself)."""
    found = privacy.free_texts(campaign, school, results.text_items(definition), for_the_school_itself=True)
    if found is None:
        return None
    rows = [[definition.items[item_id].item.text.get(locale), checked.text, ", ".join(checked.possible_names)]
            for item_id, checked in found]
    columns = [Column(_("Question"), width=40), Column(_("Answer (phones and e-mails masked)"), width=80),
               Column(_("May name a person"), width=30)]
    note = _("Shown only for this school and only when at least %(k)s students answered.", k=privacy.text_threshold())
    return SheetSpec(_("Free text"), columns, rows, order=150, note=note)
