"""The password policy: long enough and not a common password.

The common passwords are the 30,000 most frequent ones shipped with the ``zxcvbn``
package (Dropbox's list, from leaked password sets); no network is needed.
"""
from __future__ import annotations

from functools import lru_cache

from flask_babel import lazy_gettext as _l

MIN_PASSWORD = 10
MAX_PASSWORD = 200


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS
    return frozenset(FREQUENCY_LISTS["passwords"])


def problem(password: str, username: str = "") -> str | None:
    """Why the password is refused (a translated sentence), or None when it is acceptable."""
    if len(password) < MIN_PASSWORD:
        return str(_l("The password needs at least %(n)s characters.", n=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:
        return str(_l("The password may have at most %(n)s characters.", n=MAX_PASSWORD))
    folded = password.lower()
    if folded in _common() or len(set(folded)) < 4:
        return str(_l("This password is too common; choose a longer phrase of your own."))
    if username and username.lower() in folded:
        return str(_l("The password must not contain the username."))
    return None
