"""Which criteria set a school assesses, and who reviews it.

Both are data: the levels each set covers (Thông tư 18/2023 for phổ thông and
GDTX, Thông tư 45/2021 for mầm non) and each school's ``reviewer`` unit in the
organisation tree (default: the nearest unit above the school).
"""
from __future__ import annotations

from surveyapp.access import ADMIN, REPORT_ROLES, in_scope
from surveyapp.authority import effective_reviewer
from surveyapp.models import Campaign, OrgUnit

MODULE_ID = "safe_school"
# Levels a set covers. A set not listed here (e.g. one the department added) covers every school.
SET_LEVELS: dict[str, tuple[str, ...]] = {
    "safe_school.tt18_2023": ("tieu_hoc", "thcs", "thpt", "gdtx"),
    "safe_school.tt45_2021": ("mam_non",),
}


def set_of(campaign: Campaign) -> str:
    return campaign.qversion.qid


def applies(qid: str, school: OrgUnit) -> bool:
    """A multi-level school with a preschool section assesses both sets."""
    levels = SET_LEVELS.get(qid)
    return school.kind == "school" and (levels is None or bool(set(levels) & set(school.level_list)))


def reviewer_of(school: OrgUnit) -> OrgUnit | None:
    """The school's configured reviewer when the authority policy accepts it (a unit above
    the school), else the nearest unit above it."""
    return effective_reviewer(school)


def is_school_admin(user, school: OrgUnit) -> bool:
    """Admin role held at the school itself: the people who fill its self-assessment."""
    return any(a.role == ADMIN and a.org_id == school.id for a in getattr(user, "roles", []))


def can_review(user, school: OrgUnit) -> bool:
    reviewer = reviewer_of(school)
    return reviewer is not None and in_scope(user, reviewer, ADMIN) and not is_school_admin(user, school)


def can_view(user, school: OrgUnit) -> bool:
    return is_school_admin(user, school) or can_review(user, school) or in_scope(user, school, *REPORT_ROLES)
