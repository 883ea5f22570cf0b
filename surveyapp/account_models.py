"""Tables of the account lifecycle: remember-me tokens, one-time links, recovery codes.

Only hashes of the secrets are stored: a copy of the database signs nobody in.
"""
from __future__ import annotations

from .extensions import db


def _utcnow():
    from .models import utcnow
    return utcnow()


class RememberToken(db.Model):
    """One "keep me signed in" cookie: random per sign-in, replaced on each use."""

    __tablename__ = "remember_token"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    expires_at = db.Column(db.DateTime, nullable=False)  # fixed at sign-in: rotation never extends it


class AccountToken(db.Model):
    """A one-time link: set a first password ("setup") or reset a forgotten one ("reset")."""

    __tablename__ = "account_token"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True)
    purpose = db.Column(db.String(10), nullable=False)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    expires_at = db.Column(db.DateTime, nullable=False)
    used_at = db.Column(db.DateTime)
    created_at = db.Column(db.DateTime, nullable=False, default=_utcnow)


class RecoveryCode(db.Model):
    """A one-use code that replaces a TOTP code when the phone is lost."""

    __tablename__ = "recovery_code"
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True)
    code_hash = db.Column(db.String(64), nullable=False)
    used = db.Column(db.Boolean, nullable=False, default=False)


class LoginThrottle(db.Model):
    """Failed sign-ins of one account from one client address (keyed hash of both)."""

    __tablename__ = "login_throttle"
    key = db.Column(db.String(64), primary_key=True)
    failures = db.Column(db.Integer, nullable=False, default=0)
    next_at = db.Column(db.DateTime, nullable=False)  # no attempt before this time
