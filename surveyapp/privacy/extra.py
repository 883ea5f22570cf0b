"""A school's own questions (``surveyapp.extra_items``): their answer counts, through the layer.

They are asked in one school only and never rolled up, so no sum ties them to another group; what
protects them is the rest of the rule: nothing of a school the release hides (small, or hidden so
that a small group cannot be worked out), and no question answered by fewer than k. Modules read
them here and never count the stored answers themselves.
"""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import RESPONSE_SUBMITTED, OrgUnit, Response
from .figures import Figure
from .release import release_for
from .suppress import SMALL


def extra_figures(campaign, school: OrgUnit) -> dict[str, Figure]:
    """{item id: Figure} of the school's own questions: ``n`` how many answered, ``value`` the count
    per option value (None when hidden, and for text questions, whose answers are never counted)."""
    from ..campaigns import extra_definition
    definition = extra_definition(campaign, school.id)
    if definition is None:
        return {}
    release = release_for(campaign)
    cell = release.org(school.id)
    school_reason = release.reason(cell, release.n(cell))
    answered: dict[str, dict] = {item_id: {} for item_id in definition.items}
    query = select(Response.notes).where(Response.campaign_id == campaign.id, Response.status == RESPONSE_SUBMITTED,
                                         Response.school_id == school.id)
    for notes in db.session.execute(query).scalars():
        for item_id, value in ((notes or {}).get("extra") or {}).items():
            if item_id in answered and value not in (None, ""):
                answered[item_id][value] = answered[item_id].get(value, 0) + 1
    found = {}
    for item_id, info in definition.items.items():
        counts = answered[item_id]
        n = sum(counts.values())
        reason = school_reason or (SMALL if 0 < n < release.k else None)
        value = None if reason or info.slot is None else {int(v): c for v, c in counts.items()}
        found[item_id] = Figure(item_id, n, value, reason, release.k)
    return found
