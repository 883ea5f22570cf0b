"""Free-text answers: only in one school's own outputs, only from MIN_GROUP_SIZE_TEXT responses, masked.

Every module and the core's comments sheet read free text here, so the rule and
the masking are the same everywhere: a page or workbook whose scope is more than
one school, or that the school itself did not ask for, gets none.
"""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import RESPONSE_SUBMITTED, OrgUnit, Response
from .release import release_for
from .textmask import CheckedText, mask


def text_threshold() -> int:
    from ..reports import min_group_size
    return min_group_size(free_text=True)


def free_text_allowed(campaign, org: OrgUnit, for_the_school_itself: bool) -> bool:
    release = release_for(campaign)
    return (org is not None and org.kind == "school" and for_the_school_itself
            and release.n(release.org(org.id)) >= text_threshold())


def free_texts(campaign, org: OrgUnit, item_ids: list[str], for_the_school_itself: bool,
               source: str = "texts") -> list[tuple[str, CheckedText]] | None:
    """[(item id, masked text)] of one school's answers, or None when they may not be shown.

    ``source`` is the response column holding them: ``texts`` (the questionnaire's text items)
    or ``notes`` (answers a module keeps there)."""
    if not free_text_allowed(campaign, org, for_the_school_itself):
        return None
    column = getattr(Response, source)
    query = (select(column).where(Response.campaign_id == campaign.id, Response.status == RESPONSE_SUBMITTED,
                                  Response.school_id == org.id).execution_options(yield_per=2000))
    found = []
    for (values,) in db.session.execute(query):
        for item_id in item_ids:
            value = (values or {}).get(item_id)
            if value and str(value).strip():
                found.append((item_id, mask(str(value).strip())))
    return found
