"""Shared set-up for every module's tests: an open campaign and the access code of a class (the kit's)."""
from __future__ import annotations

from surveyapp.testing.campaign import code_for, open_campaign  # noqa: F401
