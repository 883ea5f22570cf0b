"""The school report's sections (report_sections hook): participation, sections, items, free text."""
from __future__ import annotations

from flask import render_template
from flask_babel import _, get_locale
from markupsafe import Markup  # a rendered template: the core escapes plain strings

from surveyapp.campaigns import definition_of
from surveyapp.models import OrgUnit, Response
from surveyapp.reports import ReportSection, distributions, min_group_size

from . import results
from .box import team_role

MODULE_ID = "school_dialogue"


def sections(campaign, org: OrgUnit, user) -> list[ReportSection]:
    if campaign.module != MODULE_ID or org is None:
        return []
    definition = definition_of(campaign)
    locale = str(get_locale())
    found = [_scores(campaign, definition, org, locale), _items(campaign, definition, org, locale)]
    if org.kind == "school":
        found.insert(0, _participation(campaign, org))
        if team_role(user, org) == "admin":
            found.append(_free_text(campaign, definition, org, locale))
            found.append(_extra(campaign, org, locale))
    return [section for section in found if section is not None]


def _participation(campaign, school: OrgUnit) -> ReportSection:
    rows = results.class_participation(campaign, school)
    html = Markup(render_template("school_dialogue/report_participation.html", rows=rows, k=min_group_size()))
    return ReportSection(_("Participation by class"), html, order=10)


def _scores(campaign, definition, org: OrgUnit, locale: str) -> ReportSection:
    scales = results.mean_scales(definition)
    city = results.scale_means(campaign, definition).get(campaign.id, {"n": 0})
    here = results.scale_means(campaign, definition, where=results.in_org(org)).get(campaign.id, {"n": 0})
    groups = []
    if org.kind == "school":
        where = Response.school_id == org.id
        names = results.class_names(org)
        for label, column, name in ((_("Grade"), Response.grade, lambda g: str(g)),
                                    (_("Class"), Response.class_group_id, lambda c: names.get(c, "?"))):
            table = results.scale_means(campaign, definition, column, where)
            hidden = results.hidden_groups(table)
            rows = [(name(key), None if key in hidden else values) for key, values in sorted(
                table.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)) if key is not None]
            groups.append((label, rows))
    k = min_group_size()
    html = Markup(render_template("school_dialogue/report_scores.html", scales=scales, city=city, here=here,
                                  here_hidden=0 < here["n"] < k, groups=groups, org=org, k=k, locale=locale))
    return ReportSection(_("Results by section, compared with the city average"), html, order=20)


def _items(campaign, definition, org: OrgUnit, locale: str) -> ReportSection:
    city = distributions(campaign.id, definition).get(campaign.id, {})
    here = distributions(campaign.id, definition, where=results.in_org(org)).get(campaign.id, {})
    k = min_group_size()
    rows = []
    for item_id, dist in here.items():
        info = definition.items[item_id]
        if info.item.type != "likert":
            continue
        other = city.get(item_id)
        rows.append({"text": info.item.text.get(locale), "reverse": info.item.reverse, "n": dist.n,
                     "mean": dist.mean if dist.n >= k else None, "city": other.mean if other else None})
    bullying = results.bullying_shares(campaign, definition, results.in_org(org))
    bullying_rows = [(definition.items[i].item.text.get(locale), n, share if n >= k else None)
                     for i, (n, share) in bullying.items()]
    html = Markup(render_template("school_dialogue/report_items.html", rows=rows, bullying=bullying_rows, k=k))
    return ReportSection(_("Results per question"), html, order=30)


def _free_text(campaign, definition, school: OrgUnit, locale: str) -> ReportSection:
    from .textcheck import mask
    k_text = min_group_size(free_text=True)
    n = results.scale_means(campaign, definition, where=Response.school_id == school.id).get(campaign.id, {"n": 0})["n"]
    texts = []
    if n >= k_text:
        texts = [(definition.items[i].item.text.get(locale), mask(t)) for i, t in
                 results.free_texts(campaign, definition, school)]
    html = Markup(render_template("school_dialogue/report_free_text.html", texts=texts, n=n, k=k_text))
    return ReportSection(_("Free-text answers (this school only)"), html, order=40)


def _extra(campaign, school: OrgUnit, locale: str) -> ReportSection | None:
    from surveyapp.campaigns import extra_definition
    extra = extra_definition(campaign, school.id)
    if extra is None:
        return None
    answers = results.extra_answers(campaign, school)
    k = min_group_size()
    rows = []
    for item_id, info in extra.items.items():
        values = [a[item_id] for a in answers if item_id in a]
        counts = [(o.text.get(locale), sum(1 for v in values if v == o.value)) for o in info.options]
        rows.append({"text": info.item.text.get(locale), "n": len(values), "counts": counts,
                     "hidden": 0 < len(values) < k, "is_text": info.slot is None})
    html = Markup(render_template("school_dialogue/report_extra.html", rows=rows, k=k))
    return ReportSection(_("The school's own questions (not compared with other schools)"), html, order=50)
