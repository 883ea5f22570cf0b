"""The dashboard's charts, each with its caption: what it shows, its n, and where its axis starts.

Counts and shares are drawn from zero; a mean from the bottom of its scale (a 1–5 mean from 1),
and the caption says so, so a small difference never looks large. Category labels are shown in
full (wrapped), never cut to the same text.
"""
from __future__ import annotations

from flask_babel import _, get_locale
from markupsafe import Markup

from . import charts
from .numbers import fmt_int, fmt_number, fmt_percent
from .privacy import reason_text

CHART_ROWS = 50  # more rows than this go to the table only: a chart should stay readable


def scale_range(definition) -> tuple[float, float] | None:
    """The lowest and highest possible primary score (a mean of 1–5 items: 1 and 5), when known."""
    scoring = definition.model.scoring
    scale = next((s for s in scoring.scales if s.id == scoring.primary), None) if scoring else None
    if scale is None or scale.method not in ("mean", "sum"):
        return None
    try:
        ranges = [definition.value_range(item_id) for item_id in definition.select_items(scale.items)]
    except (KeyError, ValueError):
        return None
    if not ranges:
        return None
    if scale.method == "mean":
        return float(min(r[0] for r in ranges)), float(max(r[1] for r in ranges))
    low, high = sum(r[0] for r in ranges) * scale.multiplier, sum(r[1] for r in ranges) * scale.multiplier
    return (float(min(low, high)), float(max(low, high)))


def _rows_note(shown: int, total: int) -> str:
    if shown >= total:
        return ""
    return " " + _("The chart shows the first %(shown)s of %(total)s rows (laggards first); the table lists all.",
                   shown=fmt_int(shown), total=fmt_int(total))


def _mean_axis(definition) -> tuple[tuple[float, float] | None, str]:
    """(axis, caption words): a mean's axis runs over its scale and says where it starts."""
    found = scale_range(definition)
    if found is None:
        return None, _("axis from 0")
    low, high = found
    return found, _("scale %(low)s–%(high)s, axis from %(low)s", low=fmt_number(low, 0), high=fmt_number(high, 0))


def dashboard_charts(board, history: list, definition) -> dict[str, Markup]:
    hidden = _("hidden")
    rows = board.children[:CHART_ROWS]
    more = _rows_note(len(rows), len(board.children))
    n = fmt_int(board.total.n)
    made = {"gauge": charts.figure(
        charts.gauge(_("Participation"), board.total.rate,
                     _("%(n)s of %(expected)s expected", n=n, expected=fmt_int(board.total.expected))),
        _("Responses received as a share of the expected respondents: %(n)s of %(expected)s.",
          n=n, expected=fmt_int(board.total.expected))),
        "participation": charts.figure(charts.bar_chart(
            _("Participation by unit or school (laggards first)"),
            [(r.label, r.agg.rate, _("no expected count")) for r in rows], max_value=1, fmt=charts.percent,
            axis_fmt=lambda value: fmt_percent(value, 0)),
            _("Responses as a share of the expected respondents, per unit or school, laggards first; "
              "axis from %(low)s to %(high)s. n = %(n)s responses.", low=fmt_percent(0, 0),
              high=fmt_percent(1, 0), n=n) + more)}
    if board.measures.primary is not None:
        axis, words = _mean_axis(definition)
        scale = board.measures.primary.get(str(get_locale()))
        made["mean"] = charts.figure(charts.bar_chart(
            _("Mean score by unit or school"),
            [(r.label, None if r.hidden else r.agg.mean, r.mark or hidden) for r in rows], axis=axis,
            axis_fmt=lambda value: fmt_number(value, 0) if value == int(value) else fmt_number(value)),
            _("Mean of %(scale)s per unit or school (%(words)s). n = %(n)s responses; hidden groups are "
              "marked, not drawn.", scale=scale, words=words, n=n) + more)
        made["trend"] = charts.figure(charts.line_chart(
            _("Mean score by campaign"),
            [(c.name, None if gone else agg.mean) for c, agg, gone in history], axis=axis),
            _("Mean of %(scale)s per campaign of this questionnaire (%(words)s).", scale=scale, words=words))
    groups = _result_groups(board)
    if groups:
        kind, keys, legend = groups
        made["bands"] = charts.figure(charts.stacked_bar(
            _("Results by unit or school"), legend,
            [(r.label, None if r.hidden else [getattr(r.agg, kind).get(key, 0) for key in keys], r.mark or hidden)
             for r in rows]),
            _("Share of the respondents in each result group, per unit or school: each bar is all of its "
              "respondents (n at its end); axis from %(low)s to %(high)s. n = %(n)s responses.",
              low=fmt_percent(0, 0), high=fmt_percent(1, 0), n=n) + more)
    return made


def _result_groups(board):
    """Bands of the primary score, else the outcome classes: (attribute, keys, labels)."""
    locale = str(get_locale())
    pairs, kind = (board.measures.bands, "bands") if board.measures.bands else (board.measures.outcomes, "outcomes")
    if not pairs:
        return None
    return kind, [key for key, _label in pairs], [label.get(locale) for _key, label in pairs]


def item_sections(board, definition, locale: str) -> list[dict]:
    """Per section: each choice item's answer shares at this node, and a stacked bar per option set
    whose labels are the items' full texts (with their codes: two items never look alike)."""
    sections = []
    for section in definition.sections:
        rows, legend, chart_rows = [], None, []
        for item in section.items:
            dist = board.items.get(item.id)
            if dist is None:
                continue
            info = definition.items[item.id]
            options = [] if dist.reason else [(o.text.get(locale), dist.counts.get(o.value, 0)) for o in info.options]
            text = item.text.get(locale)
            rows.append({"code": item.code or item.id, "text": text, "n": dist.n, "mean": dist.mean,
                         "options": options, "mark": reason_text(dist.reason, board.k) if dist.reason else None})
            if dist.reason:
                continue  # too few answered this item here (the layer's decision): no counts, no bar
            names = [name for name, _count in options]
            legend = legend or names
            if names == legend and item.type != "multi_choice":
                label = f"{item.code} · {text}" if item.code else text
                chart_rows.append((label, [c for _n, c in options], ""))
        if rows:
            title = section.title.get(locale)
            chart = charts.figure(charts.stacked_bar(title, legend, chart_rows), _(
                "%(section)s: the share of each answer per question; each bar is all of the question's answers "
                "(n at its end); axis from %(low)s to %(high)s.", section=title, low=fmt_percent(0, 0),
                high=fmt_percent(1, 0))) if chart_rows else None
            sections.append({"title": title, "rows": rows, "chart": chart})
    return sections
