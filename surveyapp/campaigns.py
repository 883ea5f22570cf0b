"""Campaigns: one questionnaire version run over organisation units in a time window."""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Iterable

from sqlalchemy import or_, select

from . import audit
from .access import ADMIN, AUDITOR, COUNSELLOR, VIEWER, roots
from .extensions import db
from .models import AccessCode, Campaign, ClassGroup, OrgUnit, QuestionnaireVersion
from .storage import definition_for, ensure_version

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B, 6/G: easy to read aloud and to type on a phone.
CODE_ALPHABET = "ACDEFHJKMNPQRTUVWXY3479"
CODE_LENGTH = 6
TRANSITIONS = {"draft": ("open",), "open": ("closed",), "closed": ("open",)}


class CampaignError(ValueError):
    pass


def new_code(length: int = CODE_LENGTH) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalise_code(text: str) -> str:
    """Accept what people type: lower case, spaces and dashes."""
    return "".join(ch for ch in (text or "").upper() if ch.isascii() and ch.isalnum())[:16]


def create_campaign(*, name: str, definition, owner: OrgUnit, scope: Iterable[OrgUnit], user_id: int | None,
                    opens_on: dt.date | None = None, closes_on: dt.date | None = None,
                    grades: Iterable[int] = (), settings: dict | None = None) -> Campaign:
    if definition.model.withheld is not None:
        raise CampaignError(f"{definition.id} is not available: {definition.model.withheld.en}")
    scope = list(scope)
    if not scope:
        raise CampaignError("choose at least one organisation unit")
    if opens_on and closes_on and closes_on < opens_on:
        raise CampaignError("the closing date is before the opening date")
    version = ensure_version(definition)
    campaign = Campaign(name=name.strip(), module=definition.module, qversion=version, owner_org=owner,
                        opens_on=opens_on, closes_on=closes_on, created_by_id=user_id,
                        grades=",".join(str(g) for g in sorted(set(grades))), settings=settings or {})
    campaign.scope = scope
    db.session.add(campaign)
    db.session.flush()
    audit.record("campaign.create", campaign, org_id=owner.id, questionnaire=definition.id,
                 version=version.seq, user_id=user_id)
    return campaign


def set_status(campaign: Campaign, status: str, user_id: int | None = None) -> None:
    if status not in TRANSITIONS.get(campaign.status, ()):
        raise CampaignError(f"a {campaign.status} campaign cannot become {status}")
    if status == "open" and not access_codes(campaign):
        generate_access_codes(campaign)
    audit.record("campaign." + status, campaign, org_id=campaign.owner_org_id, previous=campaign.status,
                 user_id=user_id)
    campaign.status = status


def schools_in(campaign: Campaign) -> list[OrgUnit]:
    prefixes = [org.path for org in campaign.scope]
    if not prefixes:
        return []
    query = select(OrgUnit).where(OrgUnit.kind == "school", OrgUnit.active.is_(True),
                                  or_(*[OrgUnit.path.startswith(p) for p in prefixes]))
    return list(db.session.execute(query.order_by(OrgUnit.path)).scalars())


def access_codes(campaign: Campaign) -> list[AccessCode]:
    return list(db.session.execute(
        select(AccessCode).filter_by(campaign_id=campaign.id).order_by(AccessCode.school_id, AccessCode.grade,
                                                                       AccessCode.id)).scalars())


def generate_access_codes(campaign: Campaign) -> list[AccessCode]:
    """One code per class in scope (per school when a school has no classes on record)."""
    existing = {(c.school_id, c.class_group_id) for c in access_codes(campaign)}
    grades = set(campaign.grade_list)
    created = []
    for school in schools_in(campaign):
        classes = db.session.execute(select(ClassGroup).filter_by(school_id=school.id)
                                     .order_by(ClassGroup.grade, ClassGroup.name)).scalars().all()
        classes = [c for c in classes if not grades or c.grade in grades]
        targets = [(c.id, c.grade) for c in classes] or [(None, None)]
        for class_id, grade in targets:
            if (school.id, class_id) in existing:
                continue
            code = AccessCode(code=_unique_code(), campaign_id=campaign.id, school_id=school.id,
                              class_group_id=class_id, grade=grade)
            db.session.add(code)
            created.append(code)
    db.session.flush()
    return created


def _unique_code() -> str:
    while True:
        code = new_code()
        if not db.session.execute(select(AccessCode.id).filter_by(code=code)).first():
            return code


def campaigns_visible_to(user) -> list[Campaign]:
    """Campaigns whose scope overlaps one of the user's units, either way up the tree."""
    units = roots(user, (ADMIN, COUNSELLOR, VIEWER, AUDITOR))
    if not units:
        return []
    campaigns = db.session.execute(select(Campaign).order_by(Campaign.id.desc())).scalars().all()
    return [c for c in campaigns if overlaps(c, units)]


def overlaps(campaign: Campaign, units: list[OrgUnit]) -> bool:
    return any(s.path.startswith(u.path) or u.path.startswith(s.path) for s in campaign.scope for u in units)


def definition_of(campaign: Campaign):
    return definition_for(campaign.qversion)


def version_label(campaign: Campaign) -> str:
    version: QuestionnaireVersion = campaign.qversion
    return f"{version.qid} {version.display_version}"
