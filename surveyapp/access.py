"""Roles and organisation scopes: who may see and do what, where.

A role is held over an organisation unit and covers its whole subtree. Views
call ``require_role`` (any unit) or ``require_scope`` (a given unit); an object
outside the user's scope answers 404 so that its existence is not revealed.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable, Iterable

from flask import abort
from flask_login import current_user
from sqlalchemy import or_, select

from .extensions import db, login_manager
from .models import OrgUnit, User

ADMIN, COUNSELLOR, VIEWER, AUDITOR = "admin", "counsellor", "viewer", "auditor"
# Told when an urgent alert below goes unacknowledged (notifications); opens no records.
SAFEGUARDING = "safeguarding"
# Roles that may read aggregate reports of a unit.
REPORT_ROLES = (ADMIN, VIEWER, AUDITOR)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    from .sessions import load
    return load(user_id)


def roots(user, roles: Iterable[str]) -> list[OrgUnit]:
    """The units at which the user holds one of ``roles``."""
    if not getattr(user, "is_authenticated", False):
        return []
    wanted = set(roles)
    return [assignment.org for assignment in user.roles if assignment.role in wanted]


def has_role(user, *roles: str) -> bool:
    return bool(roots(user, roles))


def in_scope(user, org: OrgUnit | None, *roles: str) -> bool:
    """True when the user holds one of ``roles`` at ``org`` or at one of its ancestors."""
    if org is None:
        return False
    return any(org.path.startswith(root.path) for root in roots(user, roles))


def scope_condition(user, path_column, *roles: str):
    """A SQL condition limiting rows to the user's subtrees (by an org path column)."""
    prefixes = [root.path for root in roots(user, roles)]
    if not prefixes:
        return path_column == "__none__"
    return or_(*[path_column.startswith(prefix) for prefix in prefixes])


def units_in_scope(user, *roles: str, kind: str | None = None) -> list[OrgUnit]:
    query = select(OrgUnit).where(scope_condition(user, OrgUnit.path, *roles)).order_by(OrgUnit.path)
    if kind:
        query = query.where(OrgUnit.kind == kind)
    return list(db.session.execute(query).scalars())


def require_scope(org: OrgUnit | None, *roles: str) -> OrgUnit:
    if not in_scope(current_user, org, *roles):
        abort(404)
    return org


def require_role(*roles: str) -> Callable:
    """Decorator: signed in and holding one of ``roles`` somewhere."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not has_role(current_user, *roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles  # read by the URL-map security test
        return wrapped

    return decorate


def public(view: Callable) -> Callable:
    """Mark a view as deliberately open to anonymous visitors (students, login)."""
    view.public = True
    return view
