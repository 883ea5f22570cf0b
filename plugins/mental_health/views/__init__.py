"""The module's pages under /mental-health: student help and requests, counsellor records, reports."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint

bp = Blueprint("mental_health", __name__, url_prefix="/mental-health",
               template_folder=str(Path(__file__).resolve().parent.parent / "templates"))

from . import counsellor, reports, student  # noqa: E402,F401  (routes)


@bp.context_processor
def _labels() -> dict:
    from ..labels import label
    return {"mh_label": label}
