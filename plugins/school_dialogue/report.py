"""The school report's sections (report_sections hook): participation, sections, items, free text.

Every figure comes from ``surveyapp.privacy`` (hidden groups come back without values,
with the reason to show); free text from ``privacy.free_texts`` (one school, masked)."""
from __future__ import annotations

from flask import render_template
from flask_babel import _, get_locale
from markupsafe import Markup  # a rendered template: the core escapes plain strings

from surveyapp import privacy
from surveyapp.campaigns import definition_of
from surveyapp.models import OrgUnit
from surveyapp.reports import ReportSection, min_group_size

from . import results
from .box import team_role

MODULE_ID = "school_dialogue"


def sections(campaign, org: OrgUnit, user, filters=None) -> list[ReportSection]:
    """``filters`` (the page's): privacy's figures honour it; a school it leaves out has no own sections."""
    if campaign.module != MODULE_ID or org is None:
        return []
    definition = definition_of(campaign)
    locale = str(get_locale())
    found = [_scores(campaign, definition, org, locale), _items(campaign, definition, org, locale)]
    if org.kind == "school" and (filters is None or filters.keeps(org)):
        found.insert(0, _participation(campaign, org))
        if team_role(user, org) == "admin":
            found.append(_free_text(campaign, definition, org, locale))
            found.append(_extra(campaign, org, locale))
    return [section for section in found if section is not None]


def _participation(campaign, school: OrgUnit) -> ReportSection:
    rows = results.class_participation(campaign, school)
    html = Markup(render_template("school_dialogue/report_participation.html", rows=rows, k=min_group_size()))
    n = privacy.single(privacy.counts(campaign, school, None), campaign).n
    return ReportSection(_("Participation by class"), html, order=10, n=n)


def _scores(campaign, definition, org: OrgUnit, locale: str) -> ReportSection:
    scales = results.mean_scales(definition)
    city = privacy.single(results.scale_means(campaign, definition, org, "campaign"), campaign)
    here = privacy.single(results.scale_means(campaign, definition, org, None), campaign)
    groups = []
    if org.kind == "school":
        names = results.class_names(org)
        for label, by, name in ((_("Grade"), "grade", lambda g: str(g)),
                                (_("Class"), "class", lambda c: names.get(c, "?"))):
            table = results.scale_means(campaign, definition, org, by)
            rows = [(name(key), figure) for key, figure in sorted(table.items(), key=lambda kv: kv[0])]
            groups.append((label, rows))
    html = Markup(render_template("school_dialogue/report_scores.html", scales=scales, city=city, here=here,
                                  groups=groups, org=org, k=min_group_size(), locale=locale))
    return ReportSection(_("Results by section, compared with the city average"), html, order=20, n=here.n)


def _items(campaign, definition, org: OrgUnit, locale: str) -> ReportSection:
    city = privacy.single(privacy.distributions(campaign, definition, org, "campaign"), campaign).value or {}
    here_figure = privacy.single(privacy.distributions(campaign, definition, org), campaign)
    k = min_group_size()
    rows = []
    for item_id, dist in (here_figure.value or {}).items():
        info = definition.items[item_id]
        if info.item.type != "likert":
            continue
        other = city.get(item_id)
        rows.append({"text": info.item.text.get(locale), "reverse": info.item.reverse, "n": dist.n,
                     "mean": None if dist.reason else dist.mean,   # the layer's decision for this item here
                     "city": None if other is None or other.reason else other.mean})
    _figure, bullying = results.bullying_shares(campaign, definition, org)
    bullying_rows = [(definition.items[i].item.text.get(locale), n, share) for i, (n, share) in bullying.items()]
    html = Markup(render_template("school_dialogue/report_items.html", rows=rows, bullying=bullying_rows, k=k,
                                  mark=here_figure.mark))
    return ReportSection(_("Results per question"), html, order=30, n=here_figure.n)


def _free_text(campaign, definition, school: OrgUnit, locale: str) -> ReportSection:
    """Only called for the school's own team (``team_role`` admin at the school itself)."""
    found = privacy.free_texts(campaign, school, results.text_items(definition), for_the_school_itself=True)
    release = privacy.release_for(campaign)
    n = release.n(release.org(school.id))
    texts = [(definition.items[i].item.text.get(locale), checked) for i, checked in (found or [])]
    html = Markup(render_template("school_dialogue/report_free_text.html", texts=texts, n=n,
                                  k=privacy.text_threshold(), shown=found is not None))
    return ReportSection(_("Free-text answers (this school only)"), html, order=40, n=n)


def _extra(campaign, school: OrgUnit, locale: str) -> ReportSection | None:
    from surveyapp.campaigns import extra_definition
    extra = extra_definition(campaign, school.id)
    if extra is None:
        return None
    figures = privacy.extra_figures(campaign, school)  # hidden as the core decides, counted by the core
    rows = []
    for item_id, info in extra.items.items():
        figure = figures[item_id]
        counts = [(o.text.get(locale), (figure.value or {}).get(o.value, 0)) for o in info.options]
        rows.append({"text": info.item.text.get(locale), "n": figure.n, "counts": counts,
                     "hidden": figure.hidden, "mark": figure.mark, "is_text": info.slot is None})
    html = Markup(render_template("school_dialogue/report_extra.html", rows=rows, k=privacy.threshold(campaign)))
    return ReportSection(_("The school's own questions (not compared with other schools)"), html, order=50)
