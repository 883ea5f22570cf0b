"""Who may change authority: the one policy for granting, revoking, deactivating,
re-parenting and configuring reviewers.

Every path that changes who may do what (the admin pages, the organisation import,
account links, a plugin's reviewer choice) asks this module; none repeats a rule.

The rules, as data (``ROLE_RULES``) and three principles:

* nobody changes their own roles, active state, password links or reviewer;
* acting on an account needs authority over *every* role it holds, so no admin can
  touch an account that also holds a role above their scope;
* the roles that open confidential case records (counsellor, auditor) are granted,
  removed and their accounts managed only from above the school.

``SYSTEM`` is the server operator (command line): structural rules still apply.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from flask_babel import lazy_gettext as _l

from .access import ADMIN, AUDITOR, COUNSELLOR, SAFEGUARDING, VIEWER, roots
from .models import ORG_KINDS, OrgUnit, RoleAssignment, User

SCHOOL, UNIT, DEPARTMENT = "school", "unit", "department"
# Roles whose holders read case records: the key to confidential counselling data.
CASE_ROLES = (COUNSELLOR, AUDITOR)


@dataclass(frozen=True)
class RoleRule:
    """Who may manage an assignment of one role: an admin at one of ``from_kinds`` whose
    unit contains the assignment's unit, strictly above it when ``strictly_above``."""

    from_kinds: tuple[str, ...]
    strictly_above: bool


ROLE_RULES: dict[str, RoleRule] = {
    ADMIN: RoleRule((DEPARTMENT, UNIT, SCHOOL), strictly_above=False),
    VIEWER: RoleRule((DEPARTMENT, UNIT, SCHOOL), strictly_above=False),
    COUNSELLOR: RoleRule((DEPARTMENT, UNIT), strictly_above=True),
    AUDITOR: RoleRule((DEPARTMENT, UNIT), strictly_above=True),
    # The contact told of unacknowledged alerts below a ward or the department: named by the
    # admins of that unit or above, never by a school (it is the level above the school).
    SAFEGUARDING: RoleRule((DEPARTMENT, UNIT), strictly_above=False),
}
# Account actions that need authority over every role the account holds.
ACCOUNT_ACTIONS = ("deactivate", "activate", "setup_link")


class Refused(Exception):
    """The policy refuses; ``reason`` is a translated sentence for the page."""

    def __init__(self, reason):
        self.reason = reason
        super().__init__(str(reason))


class _System:
    """The operator at the command line: every unit is in scope."""

    id = None
    is_authenticated = True
    roles: list = []


SYSTEM = _System()


def _admin_units(actor) -> list[OrgUnit]:
    return roots(actor, (ADMIN,))


def _contains(outer: OrgUnit, inner: OrgUnit, strictly: bool = False) -> bool:
    return inner.path.startswith(outer.path) and not (strictly and outer.id == inner.id)


def may_manage_role(actor, role: str, org: OrgUnit | None) -> bool:
    """May ``actor`` grant or remove ``role`` held at ``org``?"""
    rule = ROLE_RULES.get(role)
    if rule is None or org is None:
        return False
    if actor is SYSTEM:
        return True
    return any(unit.kind in rule.from_kinds and _contains(unit, org, rule.strictly_above)
               for unit in _admin_units(actor))


def may_manage_account(actor, target: User) -> bool:
    """Authority over every role the account holds (an account with none: the top only)."""
    if actor is SYSTEM:
        return True
    if target.id == getattr(actor, "id", None):
        return False
    if not target.roles:
        return any(unit.kind == DEPARTMENT for unit in _admin_units(actor))
    return all(may_manage_role(actor, a.role, a.org) for a in target.roles)


def check_grant(actor, target: User, role: str, org: OrgUnit) -> None:
    if target.id is not None and target.id == getattr(actor, "id", None):
        raise Refused(_l("Nobody changes their own roles."))
    if not may_manage_role(actor, role, org):
        raise Refused(_case_reason(role) or _l("You may not grant this role at this unit."))
    if target.id is not None and not may_manage_account(actor, target):
        raise Refused(_l("This account holds a role outside your authority."))


def check_revoke(actor, assignment: RoleAssignment) -> None:
    if assignment.user_id == getattr(actor, "id", None):
        raise Refused(_l("Nobody changes their own roles."))
    if not may_manage_role(actor, assignment.role, assignment.org):
        raise Refused(_case_reason(assignment.role) or _l("You may not remove this role."))
    if not may_manage_account(actor, assignment.user):
        raise Refused(_l("This account holds a role outside your authority."))


def check_account_action(actor, target: User, action: str) -> None:
    """Deactivate, activate or issue a one-time password link for another account."""
    assert action in ACCOUNT_ACTIONS, action
    if target.id == getattr(actor, "id", None):
        raise Refused(_l("Nobody changes their own account this way."))
    if not may_manage_account(actor, target):
        raise Refused(_l("This account holds a role outside your authority."))


def _case_reason(role: str):
    if role in CASE_ROLES:
        return _l("Roles that open case records are granted only from above the school (ward or department).")
    return None


# --- the organisation tree ---------------------------------------------------------


def check_reviewer(actor, unit: OrgUnit, reviewer: OrgUnit | None) -> None:
    """Nobody picks the reviewer of a unit where they are admin; a reviewer is a unit above."""
    if actor is not SYSTEM and any(u.id == unit.id for u in _admin_units(actor)):
        raise Refused(_l("A unit's reviewer is chosen from above it, not by its own admins."))
    if reviewer is not None and not valid_reviewer(unit, reviewer):
        raise Refused(_l("The reviewer must be a unit above this one."))


def valid_reviewer(unit: OrgUnit, reviewer: OrgUnit) -> bool:
    return reviewer.kind != SCHOOL and _contains(reviewer, unit, strictly=True)


def effective_reviewer(unit: OrgUnit) -> OrgUnit | None:
    """The configured reviewer when it is valid, else the nearest non-school unit above."""
    if unit.reviewer is not None and valid_reviewer(unit, unit.reviewer):
        return unit.reviewer
    above = unit.parent
    while above is not None and above.kind == SCHOOL:
        above = above.parent
    return above


@dataclass
class UnitChange:
    """One unit as an import or a form would leave it; ``unit`` None for a new one."""

    code: str
    kind: str
    parent_code: str | None
    reviewer_code: str | None
    unit: OrgUnit | None


def tree_change_problems(actor, changes: Iterable[UnitChange], units: dict[str, OrgUnit],
                         parents_after: dict[str, str | None]) -> list[str]:
    """Every rule a change of the tree breaks (structure for everyone, scope for persons).

    ``units``: existing units by code; ``parents_after``: every code's parent code once the
    change is applied."""
    problems = []
    admin_units = None if actor is SYSTEM else _admin_units(actor)
    for change in changes:
        problems += _structure_problems(change, units, parents_after)
        if admin_units is not None:
            problems += _scope_problems(admin_units, change, units)
    return problems


def _structure_problems(change: UnitChange, units: dict[str, OrgUnit], parents_after) -> list[str]:
    unit, problems = change.unit, []
    if unit is not None and unit.parent_id is not None and not change.parent_code:
        problems.append(str(_l("unit '%(code)s': an import never removes a unit's parent", code=change.code)))
    if change.kind == DEPARTMENT and (change.parent_code or (unit is not None and unit.parent_id is not None)):
        problems.append(str(_l("unit '%(code)s': a department is only the top of the tree", code=change.code)))
    if change.reviewer_code:
        ancestors, node = set(), parents_after.get(change.code)
        while node is not None and node not in ancestors:
            ancestors.add(node)
            node = parents_after.get(node)
        reviewer = units.get(change.reviewer_code)
        kind = reviewer.kind if reviewer is not None else None
        if change.reviewer_code not in ancestors or kind == SCHOOL:
            problems.append(str(_l("unit '%(code)s': the reviewer must be a unit above it", code=change.code)))
    return problems


def _scope_problems(admin_units: list[OrgUnit], change: UnitChange, units: dict[str, OrgUnit]) -> list[str]:
    unit, code = change.unit, change.code

    def in_scope(org: OrgUnit | None) -> bool:
        return org is not None and any(_contains(root, org) for root in admin_units)

    parent = units.get(change.parent_code or "")
    if unit is None:
        if change.kind == DEPARTMENT or not change.parent_code:
            return [str(_l("unit '%(code)s': a new top unit cannot be created here", code=code))]
        # A parent new in the same file is checked on its own row.
        if parent is not None and not in_scope(parent):
            return [str(_l("unit '%(code)s': parent '%(parent)s' is outside your scope", code=code,
                           parent=change.parent_code))]
        return []
    if not in_scope(unit):
        return [str(_l("unit '%(code)s' is outside your scope", code=code))]
    own = any(root.id == unit.id for root in admin_units)
    moved = (unit.parent.code if unit.parent else None) != (change.parent_code or None)
    problems = []
    if moved and (own or (parent is not None and not in_scope(parent))):
        problems.append(str(_l("unit '%(code)s': it may only move within your scope, and your own unit is "
                               "moved from above", code=code)))
    if own and change.kind != unit.kind:
        problems.append(str(_l("unit '%(code)s': the kind of your own unit is changed from above", code=code)))
    old_reviewer = unit.reviewer.code if unit.reviewer else None
    if own and (change.reviewer_code or None) != old_reviewer:
        problems.append(str(_l("unit '%(code)s': a unit's reviewer is chosen from above it", code=code)))
    return problems


def may_create_unit(actor, parent: OrgUnit | None, kind: str) -> bool:
    if kind not in ORG_KINDS or (kind == DEPARTMENT) != (parent is None):
        return False
    return actor is SYSTEM or (parent is not None and any(_contains(u, parent) for u in _admin_units(actor)))


def case_keyholders(school: OrgUnit) -> list[RoleAssignment]:
    """Who holds a role that opens this school's case records (shown to its counsellors)."""
    from sqlalchemy import select

    from .extensions import db
    ids = [int(part) for part in school.path.strip("/").split("/") if part]
    query = (select(RoleAssignment).where(RoleAssignment.role.in_(CASE_ROLES), RoleAssignment.org_id.in_(ids))
             .order_by(RoleAssignment.granted_at, RoleAssignment.id))
    return list(db.session.execute(query).scalars())
