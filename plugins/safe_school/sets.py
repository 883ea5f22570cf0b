"""Which criteria set a school assesses, and who reviews it.

Both are data: the levels each set covers are the questionnaire's ``applies_to``
(Thông tư 18/2023 for phổ thông and GDTX, Thông tư 45/2021 for mầm non), which a
campaign takes as its population, and each school's ``reviewer`` unit in the
organisation tree (default: the nearest unit above the school).
"""
from __future__ import annotations

from surveyapp.access import ADMIN, REPORT_ROLES, in_scope
from surveyapp.authority import effective_reviewer
from surveyapp.models import Campaign, OrgUnit

MODULE_ID = "safe_school"


def applies(campaign: Campaign, school: OrgUnit) -> bool:
    """Whether the school fills the campaign's set: a school of one of its levels (a multi-level
    school with a preschool section assesses both sets; a set without levels covers every school)."""
    return school.kind == "school" and campaign.takes_part(school)


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
