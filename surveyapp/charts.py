"""Small server-rendered SVG charts: no JavaScript, no style attributes (CSP-safe).

Every chart is an ``<svg role="img">`` with a ``<title>``, text labels for every
bar or point (the figures are readable without colour), and only presentation
attributes (``fill=``, ``stroke=``, ``font-size=``). A bar whose group is
suppressed is drawn as a text note, never as an empty bar.
"""
from __future__ import annotations

import math
from typing import Callable, Optional, Sequence

from markupsafe import Markup, escape

from .numbers import fmt_int, fmt_number, fmt_percent

PALETTE = ("#0b4f9c", "#d9822b", "#2e7d32", "#b3261e", "#6a1b9a", "#00838f", "#795548", "#5c6bc0")
TEXT = "#1a1a1a"
MUTED = "#595959"
TRACK = "#e3e7ee"
LABEL_W, BAR_W, ROW_H = 230, 380, 22
Format = Callable[[float], str]


def _num(value: float) -> str:
    return fmt_number(value)


def percent(value: float) -> str:
    return fmt_percent(value)


def _clip(text: str, length: int = 34) -> str:
    return text if len(text) <= length else text[:length - 1] + "…"


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


def bar_chart(title: str, rows: Sequence[tuple[str, Optional[float], str]], *, max_value: float | None = None,
              fmt: Format = _num) -> Markup:
    """Horizontal bars. ``rows``: (label, value or None, note shown instead of a missing bar)."""
    values = [v for _l, v, _n in rows if v is not None]
    top = max_value or max(values + [0]) or 1
    body = []
    for index, (label, value, note) in enumerate(rows):
        y = index * ROW_H
        body.append(_text(LABEL_W - 6, y + 15, _clip(label), "end", css="label"))
        if value is None:
            body.append(_text(LABEL_W + 4, y + 15, note, fill=MUTED))
            continue
        width = max(0.0, min(1.0, value / top)) * BAR_W
        body.append(f'<rect x="{LABEL_W}" y="{y + 3}" width="{width:.1f}" height="{ROW_H - 6}" '
                    f'fill="{PALETTE[0]}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>')
        body.append(_text(LABEL_W + width + 4, y + 15, fmt(value)))
    return _svg(LABEL_W + BAR_W + 70, max(ROW_H, len(rows) * ROW_H), title, body)


def _legend(names: Sequence[str], y: int) -> list[str]:
    body, x = [], LABEL_W
    for index, name in enumerate(names):
        body.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{PALETTE[index % len(PALETTE)]}"/>')
        body.append(_text(x + 16, y + 11, _clip(name, 22)))
        x += 24 + 7 * min(len(name), 22)
    return body


def stacked_bar(title: str, legend: Sequence[str], rows: Sequence[tuple[str, Optional[Sequence[int]], str]]) -> Markup:
    """100 % stacked horizontal bars: (label, counts per legend entry or None, note if None)."""
    body = _legend(legend, 2)
    for index, (label, counts, note) in enumerate(rows):
        y = 22 + index * ROW_H
        body.append(_text(LABEL_W - 6, y + 15, _clip(label), "end", css="label"))
        total = sum(counts or [])
        if counts is None or not total:
            body.append(_text(LABEL_W + 4, y + 15, note, fill=MUTED))
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
    return _svg(LABEL_W + BAR_W + 70, 22 + max(1, len(rows)) * ROW_H, title, body)


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
               max_value: float | None = None) -> Markup:
    """A trend: one point per campaign, each labelled with its value; gaps for missing values."""
    width, height, left, bottom = 640, 220, 40, 40
    step = (width - 2 * left) / max(1, len(points) - 1)
    values = [v for _l, v in points if v is not None]
    top = max_value or max(values + [0]) or 1
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - left}" y2="{height - bottom}" stroke="{MUTED}"/>']
    coords = []
    for index, (label, value) in enumerate(points):
        x = left + index * step if len(points) > 1 else width / 2
        body.append(_text(x, height - bottom + 16, _clip(label, 24), "middle", MUTED, 11))
        if value is None:
            continue
        y = height - bottom - (height - bottom - 20) * max(0.0, min(1.0, value / top))
        coords.append(f"{x:.1f},{y:.1f}")
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{PALETTE[0]}"/>')
        body.append(_text(x, y - 8, fmt(value), "middle"))
    if len(coords) > 1:
        body.insert(1, f'<polyline points="{" ".join(coords)}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    return _svg(width, height, title, body)
