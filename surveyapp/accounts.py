"""User accounts and every change of authority over them.

The rules live in ``surveyapp.authority``; this module applies a change only after the
policy allows it, audits it, and ends the account's sessions where it loses rights.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from sqlalchemy import delete, select

from . import audit, authority, mail, passwords, sessions
from .extensions import db
from .models import ROLES, AccountToken, OrgUnit, RoleAssignment, User, utcnow

MIN_PASSWORD = passwords.MIN_PASSWORD


def create_user(username: str, password: str, role: str, org: OrgUnit, full_name: str = "",
                actor=authority.SYSTEM, email: str | None = None) -> User:
    """A new account with one role; ``actor`` must be allowed to grant it."""
    if role not in ROLES:
        raise ValueError(f"unknown role '{role}' (one of {', '.join(ROLES)})")
    if password is not None and (refused := passwords.problem(password, username)):
        raise ValueError(refused)
    user = User(username=username.strip().lower(), full_name=full_name or "", email=email or None)
    authority.check_grant(actor, user, role, org)
    if password is None:
        user.password_hash = "!"  # no password yet: set through a one-time setup link
    else:
        user.set_password(password)
    user.roles.append(RoleAssignment(role=role, org=org, granted_by_id=actor.id, granted_at=utcnow()))
    db.session.add(user)
    db.session.flush()
    return user


def grant_role(actor, user: User, role: str, org: OrgUnit) -> RoleAssignment | None:
    """Add ``role`` at ``org``; None when the account already holds it."""
    authority.check_grant(actor, user, role, org)
    if any(a.role == role and a.org_id == org.id for a in user.roles):
        return None
    assignment = RoleAssignment(role=role, org=org, granted_by_id=actor.id, granted_at=utcnow())
    user.roles.append(assignment)
    audit.record("user.role_add", user, org_id=org.id, role=role, case_records=role in authority.CASE_ROLES)
    return assignment


def revoke_role(actor, assignment: RoleAssignment) -> None:
    authority.check_revoke(actor, assignment)
    user = assignment.user
    audit.record("user.role_remove", user, org_id=assignment.org_id, role=assignment.role)
    user.roles.remove(assignment)
    db.session.delete(assignment)
    sessions.end_all(user)  # rights shrink now, not at the next sign-in


def set_active(actor, user: User, active: bool) -> None:
    authority.check_account_action(actor, user, "activate" if active else "deactivate")
    user.active = active
    if not active:
        sessions.end_all(user)
    audit.record("user.activate" if active else "user.deactivate", user)


def set_password(user: User, password: str) -> None:
    """Set a new password (already checked by the policy) and end every other session."""
    refused = passwords.problem(password, user.username)
    if refused:
        raise ValueError(refused)
    user.set_password(password)
    sessions.end_all(user)
    audit.record("user.password", user, user_id=user.id)


# --- one-time links: first password (setup) and forgotten password (reset) ----------

LINK_LIFETIME = {"setup": dt.timedelta(days=14), "reset": dt.timedelta(hours=1)}


def issue_link(user: User, purpose: str, actor=None) -> str:
    """A one-time token for ``/account/link/<token>``; earlier unused links of the account end.

    ``actor`` (an admin issuing a setup link for someone else) must be allowed by the policy;
    None when the account holder asked for it (a reset by e-mail)."""
    if actor is not None:
        authority.check_account_action(actor, user, "setup_link")
    db.session.execute(delete(AccountToken).where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None)))
    token = secrets.token_urlsafe(32)
    db.session.add(AccountToken(user_id=user.id, purpose=purpose, token_hash=_digest(token),
                                expires_at=utcnow() + LINK_LIFETIME[purpose]))
    audit.record(f"user.{purpose}_link", user, user_id=getattr(actor, "id", None) or user.id)
    return token


def link_account(token: str) -> AccountToken | None:
    """The unused, unexpired link for ``token``; None otherwise."""
    row = db.session.execute(select(AccountToken).where(AccountToken.token_hash == _digest(token))
                             ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def use_link(row: AccountToken, password: str) -> User:
    user = db.session.get(User, row.user_id)
    set_password(user, password)
    row.used_at = utcnow()
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def send_account_mail(user: User, subject: str, body: str) -> str:
    """The one way account mail leaves (reset links, setup links): a single place to route
    it through the notification outbox later."""
    from flask import current_app
    settings = mail.MailSettings.from_config(current_app.config)
    message = mail.build_message(settings, to_address=user.email, to_name=user.full_name or "",
                                 subject=subject, body=body)
    return mail.send(settings, message)


# --- bulk provisioning: one school-admin account per school --------------------------


def provisioning_username(school: OrgUnit) -> str:
    return "admin." + re.sub(r"[^a-z0-9_.-]", "-", school.code.lower())


def provision_school_admins(actor, schools: list[OrgUnit]) -> list[tuple[OrgUnit, User, str]]:
    """For each school without an admin account, a new one with a one-time setup link.

    Returns (school, account, token); schools that already have an admin are skipped, so
    running it again after an import only provisions the new schools."""
    made = []
    for school in schools:
        has_admin = db.session.execute(select(RoleAssignment.id).where(
            RoleAssignment.org_id == school.id, RoleAssignment.role == "admin")).first()
        username = provisioning_username(school)
        if has_admin or db.session.execute(select(User.id).filter_by(username=username)).first():
            continue
        user = create_user(username, None, "admin", school, full_name=school.name, actor=actor,
                           email=(school.contact or {}).get("email"))
        audit.record("user.create", user, org_id=school.id, role="admin", provisioned=True)
        made.append((school, user, issue_link(user, "setup", actor=actor)))
    return made
