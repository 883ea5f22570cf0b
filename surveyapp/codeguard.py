"""Looking up an access code from a public page: one attempt limit for every such page.

A wrong code counts against the device (a random id in its signed cookie) and, more
loosely, against its address (a school shares one). Every public page that reads a
code goes through ``lookup``, so no page answers "valid" or "invalid" faster or more
often than the start page does.
"""
from __future__ import annotations

import secrets

from flask import request, session

from . import ratelimit
from .campaigns import normalise_code
from .models import AccessCode

GUESSES_PER_DEVICE, GUESSES_PER_ADDRESS, GUESS_WINDOW = 10, 300, 10 * 60


def device_key() -> str:
    if "device" not in session:
        session["device"] = secrets.token_urlsafe(12)
    return session["device"]


def guess_allowed() -> bool:
    """Count one wrong guess; False once the device or its address is over the limit."""
    address = request.remote_addr or "-"
    per_device = ratelimit.hit(f"code:{address}:{device_key()}", GUESSES_PER_DEVICE, GUESS_WINDOW)
    per_address = ratelimit.hit(f"code-ip:{address}", GUESSES_PER_ADDRESS, GUESS_WINDOW)
    return per_device and per_address


def lookup(code_text: str) -> tuple[AccessCode | None, bool]:
    """(the active code or None, whether this device is over the guess limit)."""
    from .respondent import find_code
    access = find_code(normalise_code(code_text))
    if access is not None:
        return access, False
    return None, not guess_allowed()
