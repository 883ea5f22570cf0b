"""Words for the core's coded values (school levels, campaign statuses), so no page or sheet shows a code."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from flask_babel import lazy_gettext as _l

LEVEL_LABELS = {
    "mam_non": _l("Preschool"),
    "tieu_hoc": _l("Primary school"),
    "thcs": _l("Lower secondary school"),
    "thpt": _l("Upper secondary school"),
    "gdtx": _l("Continuing education"),
}

STATUS_LABELS = {
    "draft": _l("draft"),
    "open": _l("open"),
    "closed": _l("closed"),
}


def level_label(code: str) -> str:
    """The level's name in the current language (the code itself for a level the core does not know)."""
    return str(LEVEL_LABELS.get(code, code))


def status_label(code: str) -> str:
    return str(STATUS_LABELS.get(code, code))


def module_installed(module_id: str) -> bool:
    from . import get_registry
    return module_id in get_registry().modules


def module_label(module_id: str) -> str:
    """A module's name; for a campaign whose plugin is disabled or uninstalled, its id and
    "module not installed" (its stored data stay readable; its own pages and sheets are gone)."""
    from flask_babel import get_locale, gettext
    from . import get_registry
    module = get_registry().modules.get(module_id)
    if module is None:
        return gettext("%(module)s (module not installed)", module=module_id)
    return module.label(str(get_locale()))


def slug(text: str, limit: int = 60) -> str:
    """ASCII words joined by '-' (Vietnamese without diacritics, 'đ' as 'd'): safe in any file name."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-").lower()[:limit].rstrip("-") or "campaign"


def download_name(campaign_name: str, scope_code: str, extension: str, day: dt.date | None = None,
                  part: str = "") -> str:
    """``<campaign slug>_<scope code>_<yyyy-mm-dd>[_<part>].<ext>``: sorts by date, says what it holds."""
    pieces = [slug(campaign_name), slug(scope_code, 40).upper(), (day or dt.date.today()).isoformat()]
    if part:
        pieces.append(slug(part, 20))
    return "_".join(pieces) + "." + extension
