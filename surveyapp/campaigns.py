"""Campaigns: one questionnaire version run over organisation units in a time window."""
from __future__ import annotations

import datetime as dt
import secrets
from typing import Iterable

from flask_babel import _
from sqlalchemy import delete, or_, select

from . import audit
from .access import ADMIN, AUDITOR, COUNSELLOR, VIEWER, roots
from .extensions import db
from .models import AccessCode, Campaign, ClassGroup, OrgUnit, QuestionnaireVersion, RespondentDraft
from .storage import definition_for, ensure_version
from .extra_items import ExtraItemError, extra_definition as _extra_definition
from .labels import level_label, module_installed
from .questionnaire.schema import SCHOOL_LEVELS

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
                    grades: Iterable[int] = (), settings: dict | None = None,
                    classes: Iterable[int] = (), levels: Iterable[str] = ()) -> Campaign:
    if definition.model.withheld is not None:
        raise CampaignError(f"{definition.id} is not available: {definition.model.withheld.en}")
    scope = list(scope)
    if not scope:
        raise CampaignError("choose at least one organisation unit")
    if opens_on and closes_on and closes_on < opens_on:
        raise CampaignError("the closing date is before the opening date")
    levels, grades = population(definition, levels, grades)
    version = ensure_version(definition)
    campaign = Campaign(name=name.strip(), module=definition.module, qversion=version, owner_org=owner,
                        opens_on=opens_on, closes_on=closes_on, created_by_id=user_id,
                        grades=",".join(str(g) for g in grades), levels=",".join(levels),
                        settings=dict(settings or {}, **({"classes": sorted(set(classes))} if classes else {})))
    campaign.scope = scope
    db.session.add(campaign)
    db.session.flush()
    audit.record("campaign.create", campaign, org_id=owner.id, questionnaire=definition.id,
                 version=version.seq, user_id=user_id)
    return campaign


def population(definition, levels: Iterable[str], grades: Iterable[int]) -> tuple[list[str], list[int]]:
    """The campaign's levels and grades: the questionnaire's own population, narrowed by the
    campaign's choice (which may not reach outside it)."""
    applies = definition.model.applies_to
    levels, grades = _narrowed(levels, applies.levels, SCHOOL_LEVELS), _narrowed(grades, applies.grades, None)
    if levels is None:
        raise CampaignError(_("This questionnaire applies only to these school levels: %(levels)s.",
                              levels=", ".join(level_label(x) for x in applies.levels)))
    if grades is None:
        raise CampaignError(_("This questionnaire applies only to grades %(grades)s.",
                              grades=", ".join(str(g) for g in applies.grades)))
    return levels, grades


def _narrowed(chosen: Iterable, allowed: list, order) -> list | None:
    """The chosen values inside ``allowed`` (all of ``allowed`` when none were chosen); None when a
    chosen value lies outside it."""
    chosen = set(chosen)
    if allowed and not chosen <= set(allowed):
        return None
    values = chosen or set(allowed)
    return sorted(values, key=order.index) if order else sorted(values)


def set_status(campaign: Campaign, status: str, user_id: int | None = None) -> None:
    if status not in TRANSITIONS.get(campaign.status, ()):
        raise CampaignError(f"a {campaign.status} campaign cannot become {status}")
    if status == "open" and not module_installed(campaign.module):  # nobody could answer it
        raise CampaignError(_("This campaign's module is not installed, so it cannot be opened."))
    if status == "open" and not access_codes(campaign):
        generate_access_codes(campaign)
    if status == "closed":  # answers never sent are not kept once nobody can send them
        codes = select(AccessCode.id).where(AccessCode.campaign_id == campaign.id)
        db.session.execute(delete(RespondentDraft).where(RespondentDraft.access_code_id.in_(codes)))
    audit.record("campaign." + status, campaign, org_id=campaign.owner_org_id, previous=campaign.status,
                 user_id=user_id)
    campaign.status = status


def schools_in(campaign: Campaign) -> list[OrgUnit]:
    """The campaign's schools, in the tree's order by code."""
    from .ordering import tree_order
    prefixes = [org.path for org in campaign.scope]
    if not prefixes:
        return []
    query = select(OrgUnit).where(OrgUnit.kind == "school", OrgUnit.active.is_(True),
                                  or_(*[OrgUnit.path.startswith(p) for p in prefixes]))
    schools = db.session.execute(query.order_by(OrgUnit.path)).scalars()
    return tree_order(school for school in schools if campaign.takes_part(school))


def access_codes(campaign: Campaign) -> list[AccessCode]:
    return list(db.session.execute(
        select(AccessCode).filter_by(campaign_id=campaign.id).order_by(AccessCode.school_id, AccessCode.grade,
                                                                       AccessCode.id)).scalars())


def takes_students(campaign: Campaign) -> bool:
    """Students' and parents' questionnaires are answered through access codes; staff forms never
    are (the kind's ``answers_with`` in data/respondent_kinds.yaml)."""
    from .respondent_kinds import kind_of
    return kind_of(definition_of(campaign).model.respondent).takes_codes


def generate_access_codes(campaign: Campaign) -> list[AccessCode]:
    """One code per class in scope (per school when a school has no classes on record);
    none for a staff form (a school's self-assessment is filled in by signed-in staff)."""
    if not takes_students(campaign):
        return []
    existing = {(c.school_id, c.class_group_id) for c in access_codes(campaign)}
    created = []
    for school in schools_in(campaign):
        classes = campaign_classes(campaign, school)
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


def school_classes(campaign: Campaign, school: OrgUnit) -> list[ClassGroup]:
    """The school's classes in the campaign's grades (all grades when none were chosen)."""
    grades = set(campaign.grade_list)
    classes = db.session.execute(select(ClassGroup).filter_by(school_id=school.id)
                                 .order_by(ClassGroup.grade, ClassGroup.name)).scalars().all()
    return [c for c in classes if not grades or c.grade in grades]


def campaign_classes(campaign: Campaign, school: OrgUnit) -> list[ClassGroup]:
    """The classes taking part: those chosen for this school, else all in the campaign's grades.

    ``settings["classes"]`` lists chosen class ids across schools, so a department
    campaign can be narrowed school by school."""
    classes = school_classes(campaign, school)
    chosen = set((campaign.settings or {}).get("classes") or [])
    picked = [c for c in classes if c.id in chosen]
    return picked or classes


def choose_classes(campaign: Campaign, school: OrgUnit, class_ids: Iterable[int], user_id: int | None = None) -> None:
    """Set the classes of one school taking part (empty = all); keeps codes in step when open."""
    allowed = {c.id for c in school_classes(campaign, school)}
    wanted = {int(i) for i in class_ids} & allowed
    settings = dict(campaign.settings or {})
    others = [i for i in settings.get("classes") or [] if i not in allowed]
    settings["classes"] = sorted(others + list(wanted))
    campaign.settings = settings
    audit.record("campaign.classes", campaign, org_id=school.id, school=school.code, classes=sorted(wanted),
                 user_id=user_id)
    if campaign.status != "draft":
        sync_codes(campaign, school)


def sync_codes(campaign: Campaign, school: OrgUnit) -> None:
    """Create codes for newly chosen classes; switch off codes of classes no longer taking part."""
    generate_access_codes(campaign)
    taking_part = {c.id for c in campaign_classes(campaign, school)}
    for code in access_codes(campaign):
        if code.school_id == school.id and code.class_group_id is not None:
            code.active = code.class_group_id in taking_part
    db.session.flush()


def extra_definition(campaign: Campaign, school_id: int):
    """The school's own questions for this campaign as a small Definition, or None."""
    items = ((campaign.settings or {}).get("extra_items") or {}).get(str(school_id)) or []
    return _extra_definition(items) if items else None


def add_extra_item(campaign: Campaign, school: OrgUnit, item: dict, user_id: int | None = None) -> dict:
    """Add one school question; validated with the questionnaire schema. Raises CampaignError."""
    from .extra_items import validate_items
    settings = dict(campaign.settings or {})
    extras = dict(settings.get("extra_items") or {})
    items = list(extras.get(str(school.id)) or [])
    item = dict(item, id=f"x_{_next_extra_number(items)}", core=False)
    try:
        validate_items(items + [item], reserved=set(definition_of(campaign).items))
    except ExtraItemError as exc:
        raise CampaignError(str(exc)) from None
    extras[str(school.id)] = items + [item]
    settings["extra_items"] = extras
    campaign.settings = settings
    audit.record("campaign.extra_item", campaign, org_id=school.id, item=item["id"], user_id=user_id)
    return item


def remove_extra_item(campaign: Campaign, school: OrgUnit, item_id: str, user_id: int | None = None) -> None:
    settings = dict(campaign.settings or {})
    extras = dict(settings.get("extra_items") or {})
    extras[str(school.id)] = [i for i in extras.get(str(school.id)) or [] if i.get("id") != item_id]
    settings["extra_items"] = extras
    campaign.settings = settings
    audit.record("campaign.extra_item_removed", campaign, org_id=school.id, item=item_id, user_id=user_id)


def _next_extra_number(items: list[dict]) -> int:
    numbers = [int(i["id"][2:]) for i in items if str(i.get("id", "")).startswith("x_") and i["id"][2:].isdigit()]
    return max(numbers, default=0) + 1


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
