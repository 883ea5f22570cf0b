"""User accounts."""
from __future__ import annotations

from .extensions import db
from .models import ROLES, OrgUnit, RoleAssignment, User

MIN_PASSWORD = 10


def create_user(username: str, password: str, role: str, org: OrgUnit, full_name: str = "") -> User:
    if role not in ROLES:
        raise ValueError(f"unknown role '{role}' (one of {', '.join(ROLES)})")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password needs at least {MIN_PASSWORD} characters")
    user = User(username=username.strip().lower(), full_name=full_name or "")
    user.set_password(password)
    user.roles.append(RoleAssignment(role=role, org=org))
    db.session.add(user)
    db.session.flush()
    return user
