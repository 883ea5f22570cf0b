"""Words for the core's coded values (school levels, campaign statuses), so no page or sheet shows a code."""
from __future__ import annotations

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
