"""Help routes (hotlines) from ``help.yaml`` and the school's counsellor from its contact."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

HELP_FILE = Path(__file__).parent / "help.yaml"


@lru_cache(maxsize=1)
def hotlines() -> tuple[dict, ...]:
    data = yaml.safe_load(HELP_FILE.read_text(encoding="utf-8"))
    return tuple(data["hotlines"])


def localised(hotline: dict, locale: str) -> dict:
    return {"number": hotline["number"], "primary": bool(hotline.get("primary")),
            "name": hotline["name"].get(locale) or hotline["name"]["vi"],
            "hours": hotline["hours"].get(locale) or hotline["hours"]["vi"]}


def help_routes(locale: str) -> list[dict]:
    return [localised(h, locale) for h in hotlines()]


def school_contact(school) -> dict:
    """The counsellor's name, phone and e-mail as configured on the school (may be empty)."""
    contact = dict(getattr(school, "contact", None) or {})
    return {key: contact[key] for key in ("counsellor", "phone", "email") if contact.get(key)}
