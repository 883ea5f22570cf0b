"""Small server-rendered SVG charts: no JavaScript, no style attributes (CSP-safe).

Every chart is an ``<svg role="img">`` with a ``<title>``, text labels for every
bar or point (the figures are readable without colour), and only presentation
attributes (``fill=``, ``stroke=``, ``font-size=``). A bar whose group is
suppressed is drawn as a text note, never as an empty bar.
"""
from __future__ import annotations

import math
import textwrap
from typing import Callable, Optional, Sequence

from markupsafe import Markup, escape

from .numbers import fmt_int, fmt_number, fmt_percent

PALETTE = ("#0b4f9c", "#d9822b", "#2e7d32", "#b3261e", "#6a1b9a", "#00838f", "#795548", "#5c6bc0")
TEXT = "#1a1a1a"
MUTED = "#595959"
TRACK = "#e3e7ee"
LABEL_W, BAR_W, ROW_H, LINE_H = 280, 340, 22, 14
WIDTH = LABEL_W + BAR_W + 100
LABEL_CHARS = 40   # characters of a category label per line (12 px text in LABEL_W): longer ones wrap
AXIS_H = 24
Format = Callable[[float], str]


def _num(value: float) -> str:
    return fmt_number(value)


def percent(value: float) -> str:
    return fmt_percent(value)


def distinct(labels: Sequence[str]) -> list[str]:
    """Category labels as shown: two categories never show the same text (a repeat gets its rank)."""
    seen: dict[str, int] = {}
    shown = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        shown.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return shown


def _lines(text: str, chars: int = LABEL_CHARS) -> list[str]:
    return textwrap.wrap(text, chars, break_long_words=True, break_on_hyphens=False) or [""]


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
            f'width="100%" preserveAspectRatio="xMinYMin meet" font-family="sans-serif" font-size="12">'
            f'<title>{escape(title)}</title>')
    return Markup(head + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "start", fill: str = TEXT, size: int = 12,
          css: str = "") -> str:
    kind = f' class="{css}"' if css else ""
    return (f'<text{kind} x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" font-size="{size}">'
            f'{escape(text)}</text>')


def _label(x: float, y: float, lines: list[str], anchor: str = "end", fill: str = TEXT, size: int = 12) -> str:
    """A full category label on as many lines as it needs (one <text>: its text is the whole label)."""
    spans = "".join(f'<tspan x="{x:.1f}" dy="{0 if i == 0 else LINE_H}">{escape(line)}'
                    f'{" " if i < len(lines) - 1 else ""}</tspan>' for i, line in enumerate(lines))
    return f'<text class="label" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" font-size="{size}">{spans}</text>'


def _row_height(lines: list[str]) -> int:
    return max(ROW_H, LINE_H * len(lines) + 8)


def _axis(y: float, low: float, high: float, fmt: Format) -> list[str]:
    """The value axis under the bars: its two ends, labelled (a mean's axis says where it starts)."""
    return [f'<line x1="{LABEL_W}" y1="{y:.1f}" x2="{LABEL_W + BAR_W}" y2="{y:.1f}" stroke="{MUTED}"/>',
            _text(LABEL_W, y + 15, fmt(low), "start", MUTED, 11, "axis"),
            _text(LABEL_W + BAR_W, y + 15, fmt(high), "end", MUTED, 11, "axis")]


def bar_chart(title: str, rows: Sequence[tuple[str, Optional[float], str]], *, max_value: float | None = None,
              fmt: Format = _num, axis: tuple[float, float] | None = None,
              axis_fmt: Format | None = None) -> Markup:
    """Horizontal bars from the axis' start (0 unless ``axis`` says, e.g. 1 for a 1–5 mean).
    ``rows``: (label, value or None, note shown instead of a missing bar)."""
    values = [v for _l, v, _n in rows if v is not None]
    low, high = axis or (0.0, max_value or max(values + [0]) or 1)
    span = (high - low) or 1
    body, y = [], 0
    for label, (_label_text, value, note) in zip(distinct([r[0] for r in rows]), rows):
        lines = _lines(label)
        height = _row_height(lines)
        body.append(_label(LABEL_W - 6, y + 15, lines))
        if value is None:
            body.append(_text(LABEL_W + 4, y + 15, note, fill=MUTED))
        else:
            width = max(0.0, min(1.0, (value - low) / span)) * BAR_W
            body.append(f'<rect x="{LABEL_W}" y="{y + 3}" width="{width:.1f}" height="{ROW_H - 6}" '
                        f'fill="{PALETTE[0]}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>')
            body.append(_text(LABEL_W + width + 4, y + 15, fmt(value)))
        y += height
    body += _axis(y + 2, low, high, axis_fmt or fmt)
    return _svg(WIDTH, max(ROW_H, y) + AXIS_H, title, body)


def _legend(names: Sequence[str], y: int) -> tuple[list[str], int]:
    """Every entry in full, wrapped onto as many rows as needed: the last one is never cut off."""
    body, x, row = [], 10.0, 0
    for index, name in enumerate(names):
        width = 16 + 7 * len(name) + 14
        if x > 10 and x + width > WIDTH - 10:
            x, row = 10.0, row + 1
        top = y + row * 18
        body.append(f'<rect x="{x:.1f}" y="{top}" width="12" height="12" fill="{PALETTE[index % len(PALETTE)]}"/>')
        body.append(_text(x + 16, top + 11, name, css="legend"))
        x += width
    return body, (row + 1) * 18


def stacked_bar(title: str, legend: Sequence[str], rows: Sequence[tuple[str, Optional[Sequence[int]], str]]) -> Markup:
    """100 % stacked horizontal bars: (label, counts per legend entry or None, note if None)."""
    body, top = _legend(legend, 2)
    y = top + 6
    for label, (_label_text, counts, note) in zip(distinct([r[0] for r in rows]), rows):
        lines = _lines(label)
        height = _row_height(lines)
        body.append(_label(LABEL_W - 6, y + 15, lines))
        total = sum(counts or [])
        if counts is None or not total:
            body.append(_text(LABEL_W + 4, y + 15, note, fill=MUTED))
            y += height
            continue
        x = float(LABEL_W)
        for part, (name, count) in enumerate(zip(legend, counts)):
            width = BAR_W * count / total
            share = fmt_percent(count / total, 0)
            body.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{width:.1f}" height="{ROW_H - 6}" '
                        f'fill="{PALETTE[part % len(PALETTE)]}"><title>{escape(label)} · {escape(name)}: '
                        f'{fmt_int(count)} ({escape(share)})</title></rect>')
            if width >= 34:
                body.append(_text(x + width / 2, y + 15, share, "middle", "#ffffff", 11))
            x += width
        body.append(_text(LABEL_W + BAR_W + 4, y + 15, f"n={fmt_int(total)}", fill=MUTED))
        y += height
    body += _axis(y + 2, 0, 1, lambda v: fmt_percent(v, 0))
    return _svg(WIDTH, y + AXIS_H, title, body)


def figure(chart: Markup, caption: str) -> Markup:
    """A chart with its caption (what it shows, n, where the axis starts), as the page shows it."""
    return Markup(f'<figure class="card chart-figure">{chart}<figcaption>{escape(caption)}</figcaption></figure>')


def gauge(title: str, value: Optional[float], caption: str = "") -> Markup:
    """A half-circle gauge for a share (participation); the figure is printed in the middle."""
    cx, cy, r = 110, 105, 85
    shown = 0.0 if value is None else max(0.0, min(1.0, value))
    angle = math.pi * (1 - shown)
    x, y = cx + r * math.cos(angle), cy - r * math.sin(angle)
    colour = PALETTE[3] if shown < 0.5 else PALETTE[1] if shown < 0.8 else PALETTE[2]
    body = [f'<path d="M {cx - r} {cy} A {r} {r} 0 0 1 {cx + r} {cy}" fill="none" stroke="{TRACK}" '
            f'stroke-width="18"/>']
    if shown > 0:
        body.append(f'<path d="M {cx - r} {cy} A {r} {r} 0 0 1 {x:.1f} {y:.1f}" fill="none" stroke="{colour}" '
                     f'stroke-width="18"/>')
    body.append(_text(cx, cy - 10, "—" if value is None else percent(value), "middle", size=24))
    body.append(_text(cx, cy + 22, caption, "middle", MUTED))
    return _svg(2 * cx, cy + 32, title, body)


def line_chart(title: str, points: Sequence[tuple[str, Optional[float]]], *, fmt: Format = _num,
               max_value: float | None = None, axis: tuple[float, float] | None = None) -> Markup:
    """A trend: one point per campaign, each labelled with its value; gaps for missing values. The value
    axis starts at 0, or where ``axis`` says (1 for a 1–5 mean), and both ends are labelled."""
    width, left = WIDTH, 50
    box = min(180.0, (width - left - 20) / max(1, len(points)))  # each point's label keeps to its own box
    labels = [_lines(label, max(3, int(box / 6.8))) for label in distinct([p[0] for p in points])]
    height = 200 + 24 + LINE_H * max((len(lines) for lines in labels), default=1)
    values = [v for _l, v in points if v is not None]
    low, high = axis or (0.0, max_value or max(values + [0]) or 1)
    span = (high - low) or 1
    base = 200
    body = [f'<line x1="{left}" y1="{base}" x2="{width - 20}" y2="{base}" stroke="{MUTED}"/>',
            f'<line x1="{left}" y1="20" x2="{left}" y2="{base}" stroke="{MUTED}"/>',
            _text(left - 4, base, fmt(low), "end", MUTED, 11, "axis"),
            _text(left - 4, 24, fmt(high), "end", MUTED, 11, "axis")]
    coords = []
    for index, (lines, value) in enumerate(zip(labels, [p[1] for p in points])):
        x = left + box * (index + 0.5)
        body.append(_label(x, base + 16, lines, "middle", MUTED, 11))
        if value is None:
            continue
        y = base - (base - 20) * max(0.0, min(1.0, (value - low) / span))
        coords.append(f"{x:.1f},{y:.1f}")
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{PALETTE[0]}"/>')
        body.append(_text(x, y - 8, fmt(value), "middle"))
    if len(coords) > 1:
        body.insert(1, f'<polyline points="{" ".join(coords)}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    return _svg(width, height, title, body)
