"""Help routes (hotlines) of the core's student kind and the school's counsellor from its contact.

The numbers live in the core (surveyapp/data/respondent_kinds.yaml), so this module's help pages
and the core's help after a risk answer always show the same lines."""
from __future__ import annotations

from dataclasses import asdict

from surveyapp.respondent_kinds import contact_lines


def help_routes(locale: str) -> list[dict]:
    return [asdict(line) for line in contact_lines("student", locale)]


def school_contact(school) -> dict:
    """The counsellor's name, phone and e-mail as configured on the school (may be empty)."""
    contact = dict(getattr(school, "contact", None) or {})
    return {key: contact[key] for key in ("counsellor", "phone", "email") if contact.get(key)}
