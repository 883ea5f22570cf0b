"""Figures as text, one style per locale (Babel's CLDR data): every page, chart and module section
formats numbers here, so a page never shows 3,71 next to 3.86, nor -0.00.

Jinja filters (registered for the core's and the modules' templates): ``fmt_number`` (a decimal,
2 digits by default), ``fmt_int``, ``fmt_percent`` (a share 0..1, 1 digit by default) and
``fmt_signed`` (a change, with its sign). The same functions serve Python code (charts).
"""
from __future__ import annotations

from babel import Locale
from babel.numbers import format_decimal, parse_pattern
from flask import has_request_context
from flask_babel import get_locale

DEFAULT_LOCALE = "vi"


def _locale() -> Locale:
    found = get_locale() if has_request_context() else None
    return found if isinstance(found, Locale) else Locale.parse(str(found or DEFAULT_LOCALE))


def _rounded(value: float, digits: int) -> float:
    """Rounded as shown; a value that shows as zero is zero (never "-0.00")."""
    value = round(float(value), digits)
    return 0.0 if value == 0 else value


def fmt_number(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(_rounded(value, digits), pattern, locale=_locale())


def fmt_int(value: int | None) -> str:
    return "—" if value is None else format_decimal(int(value), "#,##0", locale=_locale())


def fmt_percent(share: float | None, digits: int = 1) -> str:
    """A share (0.806) in the locale's percent pattern with ``digits`` decimals: vi 80,6%, en 80.6%."""
    if share is None:
        return "—"
    locale = _locale()
    pattern = parse_pattern(locale.percent_formats[None].pattern)
    pattern.frac_prec = (digits, digits)
    return pattern.apply(_rounded(share * 100, digits) / 100, locale)


def fmt_signed(value: float | None, digits: int = 2) -> str:
    """A change: +0,15 / −0,15 / 0,00 (no sign on what shows as zero)."""
    if value is None:
        return "—"
    shown = _rounded(value, digits)
    text = fmt_number(abs(shown), digits)
    if shown == 0:
        return text
    symbols = _locale().number_symbols.get("latn", {})
    return (symbols.get("plusSign", "+") if shown > 0 else symbols.get("minusSign", "-")) + text


FILTERS = {"fmt_number": fmt_number, "fmt_int": fmt_int, "fmt_percent": fmt_percent, "fmt_signed": fmt_signed}


def init_app(app) -> None:
    app.jinja_env.filters.update(FILTERS)
