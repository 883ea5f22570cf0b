"""The signed-in home page: what this user can do, within their scope."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from .. import get_registry
from ..authority import case_keyholders
from ..access import ADMIN, AUDITOR, COUNSELLOR, VIEWER, public, roots
from ..campaigns import campaigns_visible_to
from ..extensions import db
from ..models import Campaign

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def home():
    if not current_user.is_authenticated:
        return render_template("main/welcome.html")
    campaigns = campaigns_visible_to(current_user)
    units = roots(current_user, (ADMIN, COUNSELLOR, VIEWER, AUDITOR))
    # Counsellors see who else holds the key to their school's case records.
    keyholders = [(school, case_keyholders(school)) for school in roots(current_user, (COUNSELLOR,))]
    return render_template("main/home.html", campaigns=campaigns, units=units,
                           modules=get_registry().modules, keyholders=keyholders)


@bp.route("/healthz")
@public
def healthz():
    db.session.execute(select(Campaign.id).limit(1))
    return {"status": "ok"}
