"""The plugin's workbook sheets (export_sheets hook), with small-group suppression."""
from __future__ import annotations

from flask_babel import _, pgettext

from surveyapp.campaigns import definition_of, schools_in
from surveyapp.export import SUPPRESSED, ChartSpec, Column, SheetSpec
from surveyapp.models import OrgUnit, Response
from surveyapp.reports import distributions, min_group_size, suppressed_keys

from . import results
from .textcheck import mask

MODULE_ID = "school_dialogue"


def sheets(campaign, org: OrgUnit, options) -> list[SheetSpec]:
    if campaign.module != MODULE_ID:
        return []
    definition = definition_of(campaign)
    locale = getattr(options, "locale", "vi")
    schools = [s for s in schools_in(campaign) if s.path.startswith(org.path)]
    found = [_participation(campaign, schools), _section_scores(campaign, definition, org, schools, locale),
             _items_by(campaign, definition, org, Response.school_id, _("Items by school"), 130, locale,
                       {s.id: (s.code, s.name) for s in schools}),
             _items_by(campaign, definition, org, Response.grade, _("Items by grade"), 140, locale, None)]
    if not getattr(options, "department_wide", True) and org.kind == "school":
        found.append(_free_text(campaign, definition, org, locale))
    return found


def _participation(campaign, schools: list[OrgUnit]) -> SheetSpec:
    rows = []
    for school in schools:
        for row in results.class_participation(campaign, school):
            hidden = row["hidden"]
            rows.append([school.code, school.name, row["class"].name, row["class"].grade, row["size"],
                         SUPPRESSED if hidden else row["responses"], SUPPRESSED if hidden else row["rate"]])
    columns = [Column(_("School code")), Column(_("School"), width=34), Column(_("Class")), Column(_("Grade"), "int"),
               Column(_("Class size"), "int"), Column(pgettext("school_dialogue", "Responses"), "int"), Column(_("Participation"), "percent")]
    return SheetSpec(_("Participation by class"), columns, rows, order=110,
                     note=_("Classes with fewer than %(k)s responses are suppressed.", k=min_group_size()))


def _section_scores(campaign, definition, org: OrgUnit, schools, locale: str) -> SheetSpec:
    scales = results.mean_scales(definition)
    table = results.scale_means(campaign, definition, Response.school_id, results.in_org(org))
    hidden = results.hidden_groups(table)
    city = results.scale_means(campaign, definition).get(campaign.id, {"n": 0})
    rows = [["", _("City average"), city["n"]] + [city.get(s) for s, _l in scales]]
    for school in schools:
        values = table.get(school.id)
        if values is None:
            continue
        if school.id in hidden:
            rows.append([school.code, school.name] + [SUPPRESSED] * (len(scales) + 1))
        else:
            rows.append([school.code, school.name, values["n"]] + [values.get(s) for s, _l in scales])
    columns = [Column(_("School code")), Column(_("School"), width=34), Column(pgettext("school_dialogue", "Responses"), "int")]
    columns += [Column(label.get(locale), "float", width=14) for _s, label in scales]
    chart = ChartSpec(_("Mean score by section"), 1, list(range(3, 3 + len(scales))), kind="bar")
    return SheetSpec(_("Section scores"), columns, rows, order=120, charts=[chart],
                     note=_("Mean from 1 to 5. Schools with fewer than %(k)s responses are suppressed.",
                            k=min_group_size()))


def _items_by(campaign, definition, org, column, title: str, order: int, locale: str, names) -> SheetSpec:
    per_group = distributions(campaign.id, definition, group_column=column, where=results.in_org(org))
    totals = {key: max((d.n for d in items.values()), default=0) for key, items in per_group.items()}
    hidden = suppressed_keys(totals, min_group_size())
    rows = []
    for key in sorted((k for k in per_group if k is not None), key=lambda k: (names or {}).get(k, (str(k),))[0]):
        label = names.get(key, (str(key), ""))[:2] if names else (str(key), "")
        for item_id, dist in per_group[key].items():
            info = definition.items[item_id]
            for option in info.options:
                count = dist.counts.get(option.value, 0)
                share = count / dist.n if dist.n else None
                gone = key in hidden or dist.n < min_group_size()
                rows.append([*label, info.item.code or item_id, info.item.text.get(locale), option.text.get(locale),
                             SUPPRESSED if gone else count, SUPPRESSED if gone else share])
    first = [Column(_("School code")), Column(_("School"), width=30)] if names else [Column(_("Grade")), Column("")]
    columns = first + [Column(pgettext("school_dialogue", "Item"), width=16), Column(_("Question"), width=60), Column(pgettext("school_dialogue", "Answer"), width=28),
                       Column(_("Count"), "int"), Column(_("Share"), "percent")]
    return SheetSpec(title, columns, rows, order=order)


def _free_text(campaign, definition, school: OrgUnit, locale: str) -> SheetSpec:
    n = results.scale_means(campaign, definition, where=Response.school_id == school.id).get(campaign.id, {"n": 0})["n"]
    k_text = min_group_size(free_text=True)
    rows = []
    if n >= k_text:
        for item_id, text in results.free_texts(campaign, definition, school):
            checked = mask(text)
            rows.append([definition.items[item_id].item.text.get(locale), checked.text,
                         ", ".join(checked.possible_names)])
    columns = [Column(_("Question"), width=40), Column(_("Answer (phones and e-mails masked)"), width=80),
               Column(_("May name a person"), width=30)]
    note = _("Shown only for this school and only when at least %(k)s students answered.", k=k_text)
    return SheetSpec(_("Free text"), columns, rows, order=150, note=note)
