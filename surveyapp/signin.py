"""Sign-in checks: throttling per account and client, equal time for unknown accounts,
and the second factor (TOTP with recovery codes) for the accounts that need it.

Throttling is keyed on the pair (account, client address): an attacker's failures slow
down only the attacker's own attempts, with delays that double after a few free tries,
so the owner signing in from their own client is never locked out.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from functools import lru_cache

import pyotp
from flask import current_app
from sqlalchemy import delete, select
from werkzeug.security import check_password_hash, generate_password_hash

from .access import ADMIN
from .extensions import db
from .models import LoginThrottle, RecoveryCode, User, utcnow

FREE_FAILURES = 3
MAX_DELAY = dt.timedelta(minutes=15)
RECOVERY_CODES = 10
CASE_ROLES = ("counsellor", "auditor")


# --- throttling ----------------------------------------------------------------------


def _key(username: str, address: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"signin:{username}\0{address}".encode(), hashlib.sha256).hexdigest()


def delay_after(failures: int) -> dt.timedelta:
    """No wait for the first few failures, then 2, 4, 8 ... seconds, at most 15 minutes."""
    if failures <= FREE_FAILURES:
        return dt.timedelta(0)
    return min(dt.timedelta(seconds=2 ** (failures - FREE_FAILURES)), MAX_DELAY)


def wait_seconds(username: str, address: str) -> int:
    """Seconds this client must still wait before trying this account again (0: go ahead)."""
    row = db.session.get(LoginThrottle, _key(username, address))
    if row is None:
        return 0
    return max(0, int((row.next_at - utcnow()).total_seconds() + 0.999))


def failed(username: str, address: str) -> None:
    key = _key(username, address)
    row = db.session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0, next_at=utcnow())
        db.session.add(row)
    row.failures += 1
    row.next_at = utcnow() + delay_after(row.failures)
    db.session.commit()


def succeeded(username: str, address: str) -> None:
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == _key(username, address)))


# --- password check in equal time ----------------------------------------------------


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


def check_credentials(user: User | None, password: str) -> bool:
    """Hash the password whether or not the account exists: unknown names take as long."""
    if user is None or not user.active or user.password_hash == "!":
        check_password_hash(_dummy_hash(current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")), password)
        return False
    return user.check_password(password)


# --- the second factor ---------------------------------------------------------------


def required(user: User) -> bool:
    """Counsellors (and auditors, who also open case records) and department-level admins."""
    if not current_app.config.get("TWO_FACTOR_REQUIRED", True):
        return False
    return any(a.role in CASE_ROLES or (a.role == ADMIN and a.org.kind == "department") for a in user.roles)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=current_app.config.get(
        "TOTP_ISSUER", "surveyapp"))


def qr_svg(uri: str) -> str:
    import io

    import segno
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, xmldecl=False, svgns=True)
    return out.getvalue().decode()


def code_matches(secret: str, code: str) -> bool:
    return _matching_step(secret, code) is not None


def _matching_step(secret: str, code: str) -> int | None:
    """The 30-second step (this one, or one either side for clock drift) whose code this is."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp, now = pyotp.TOTP(secret), time.time()
    for offset in (0, -1, 1):
        at = now + offset * totp.interval
        if hmac.compare_digest(totp.at(at), code):
            return int(at // totp.interval)
    return None


def enrol(user: User, secret: str) -> list[str]:
    """Store the confirmed secret; returns fresh recovery codes (shown once, stored hashed)."""
    user.totp_secret = secret
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["-".join(secrets.token_hex(2) for _ in range(3)) for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_digest(code)) for code in codes)
    return codes


def second_factor_ok(user: User, code: str) -> bool:
    """A current TOTP code, or an unused recovery code (then spent)."""
    step = _matching_step(user.totp_secret, code) if user.totp_secret else None
    if step is not None and step > (user.totp_last_step or -1):
        user.totp_last_step = step  # a code seen once (say, over a shoulder) does not work again
        return True
    digest = _digest(code.strip().lower())
    row = db.session.execute(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                        RecoveryCode.code_hash == digest,
                                                        RecoveryCode.used.is_(False))).scalar_one_or_none()
    if row is None:
        return False
    row.used = True
    return True


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
