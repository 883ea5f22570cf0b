"""Drive the student pages like a browser would (forms, CSRF, redirects): the conformance kit's helpers."""
from __future__ import annotations

from surveyapp.testing.client import answer_all, page_items, start  # noqa: F401
