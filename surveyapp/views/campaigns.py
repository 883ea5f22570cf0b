"""Campaign administration: create from any registered questionnaire, open, close, print codes."""
from __future__ import annotations

import io

import segno
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import _, get_locale
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional

from .. import get_registry
from ..access import ADMIN, AUDITOR, COUNSELLOR, VIEWER, in_scope, require_role, roots, units_in_scope
from ..campaigns import (CampaignError, access_codes, campaigns_visible_to, create_campaign, definition_of,
                         overlaps, set_status, version_label)
from ..extensions import db
from ..models import Campaign, OrgUnit
from ..reports import participation

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")
ANY_ROLE = (ADMIN, COUNSELLOR, VIEWER, AUDITOR)


class CampaignForm(FlaskForm):
    name = StringField(validators=[DataRequired(), Length(max=200)])
    questionnaire = SelectField(validators=[DataRequired()])
    scope = SelectMultipleField(coerce=int, validators=[DataRequired()])
    opens_on = DateField(validators=[Optional()])
    closes_on = DateField(validators=[Optional()])
    grades = StringField(validators=[Optional(), Length(max=60)])


def _campaign_or_404(campaign_id: int, roles=ANY_ROLE) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not overlaps(campaign, roots(current_user, roles)):
        abort(404)
    return campaign


def _form() -> CampaignForm:
    form = CampaignForm()
    locale = str(get_locale())
    registry = get_registry()
    form.questionnaire.choices = [(d.id, f"{registry.modules[d.module].label(locale)} — {d.title(locale)}")
                                  for d in registry.questionnaires.values() if d.model.withheld is None]
    form.scope.choices = [(u.id, ("· " * u.depth) + u.name) for u in units_in_scope(current_user, ADMIN)]
    labels = {"name": _("Name"), "questionnaire": _("Questionnaire"), "scope": _("Organisation units"),
              "opens_on": _("Opens on"), "closes_on": _("Closes on"),
              "grades": _("Grades (comma-separated, empty for all)")}
    for name, text in labels.items():
        form[name].label.text = text
    return form


def _parse_grades(text: str | None) -> list[int]:
    grades = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if part:
            if not part.isdigit() or not 1 <= int(part) <= 12:
                raise CampaignError(_("Grades must be numbers from 1 to 12."))
            grades.append(int(part))
    return grades


@bp.route("/")
@login_required
def index():
    return render_template("campaigns/index.html", campaigns=campaigns_visible_to(current_user),
                           can_create=bool(roots(current_user, (ADMIN,))))


@bp.route("/new", methods=["GET", "POST"])
@require_role(ADMIN)
def new():
    form = _form()
    if form.validate_on_submit():
        units = [db.session.get(OrgUnit, unit_id) for unit_id in form.scope.data]
        if not all(in_scope(current_user, unit, ADMIN) for unit in units):
            abort(404)
        try:
            definition = get_registry().questionnaires[form.questionnaire.data]
            campaign = create_campaign(
                name=form.name.data, definition=definition, owner=_owner_for(units), scope=units,
                user_id=current_user.id, opens_on=form.opens_on.data, closes_on=form.closes_on.data,
                grades=_parse_grades(form.grades.data))
        except CampaignError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Campaign created as a draft. Open it when you are ready."), "info")
            return redirect(url_for(".show", campaign_id=campaign.id))
    return render_template("campaigns/new.html", form=form), 422 if form.errors else 200


def _owner_for(units: list[OrgUnit]) -> OrgUnit:
    """The user's own admin unit that contains all chosen units (the campaign's owner)."""
    for root in sorted(roots(current_user, (ADMIN,)), key=lambda r: -r.depth):
        if all(u.path.startswith(root.path) for u in units):
            return root
    abort(404)


@bp.route("/<int:campaign_id>")
@login_required
def show(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    can_admin = in_scope(current_user, campaign.owner_org, ADMIN)
    rows = participation(campaign, roots(current_user, ANY_ROLE))
    return render_template("campaigns/show.html", campaign=campaign, can_admin=can_admin,
                           definition=definition_of(campaign), version=version_label(campaign),
                           participation=rows)


@bp.route("/<int:campaign_id>/status", methods=["POST"])
@require_role(ADMIN)
def change_status(campaign_id: int):
    campaign = _campaign_or_404(campaign_id, (ADMIN,))
    if not in_scope(current_user, campaign.owner_org, ADMIN):
        abort(404)
    try:
        set_status(campaign, request.form.get("status", ""), current_user.id)
    except CampaignError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Campaign status changed to %(status)s.", status=campaign.status), "info")
    return redirect(url_for(".show", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/codes")
@require_role(ADMIN)
def codes(campaign_id: int):
    """Printable sheet: one block per class with its code, link and QR code."""
    campaign = _campaign_or_404(campaign_id, (ADMIN,))
    visible = [c for c in access_codes(campaign) if in_scope(current_user, c.school, ADMIN)]
    blocks = []
    for code in visible:
        link = url_for("respond.start", code=code.code, _external=True)
        blocks.append({"code": code, "link": link, "qr": _qr_svg(link)})
    return render_template("campaigns/codes.html", campaign=campaign, blocks=blocks)


def _qr_svg(link: str) -> Markup:
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="svg", scale=4, xmldecl=False, svgns=True, nl=False)
    return Markup(buffer.getvalue().decode("utf-8"))
