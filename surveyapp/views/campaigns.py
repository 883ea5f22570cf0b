"""Campaign administration: create from any registered questionnaire, open, close, print codes."""
from __future__ import annotations

import io

import segno
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import _, get_locale
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import func, select
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional

from .. import audit, get_registry
from ..access import ADMIN, AUDITOR, COUNSELLOR, VIEWER, in_scope, require_role, roots, units_in_scope
from ..campaigns import (CampaignError, access_codes, add_extra_item, campaigns_visible_to,
                         choose_classes, create_campaign, definition_of, extra_definition, overlaps,
                         remove_extra_item, school_classes, schools_in, set_status, takes_students, version_label)
from ..extensions import db
from ..extra_items import EXTRA_TYPES, build_item
from ..models import RESPONSE_SUBMITTED, AccessCode, Campaign, OrgUnit, Response
from ..respondent import classes_over_size, issue_tokens, token_counts
from ..reports import participation
from ..storage import chosen_definition, newer_stored_versions, version_choice
from ..labels import level_label, status_label
from ..questionnaire.schema import SCHOOL_LEVELS

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")
ANY_ROLE = (ADMIN, COUNSELLOR, VIEWER, AUDITOR)
MAX_SCHOOL_LINKS, MAX_TOKENS = 200, 60


class CampaignForm(FlaskForm):
    name = StringField(validators=[DataRequired(), Length(max=200)])
    questionnaire = SelectField(validators=[DataRequired()])
    scope = SelectMultipleField(coerce=int, validators=[DataRequired()])
    opens_on = DateField(validators=[Optional()])
    closes_on = DateField(validators=[Optional()])
    levels = SelectMultipleField(validators=[Optional()])
    grades = StringField(validators=[Optional(), Length(max=60)])
    tokens = BooleanField()
    shared_devices = BooleanField()


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
    form.questionnaire.choices += [  # versions stored without a file, e.g. an imported criteria annex
        (version_choice(v), f"{registry.modules[v.module].label(locale)} — {registry.questionnaires[v.qid].title(locale)}"
                            f" ({v.display_version})") for v in newer_stored_versions(registry)]
    form.scope.choices = [(u.id, ("· " * u.depth) + u.name) for u in units_in_scope(current_user, ADMIN)]
    labels = {"name": _("Name"), "questionnaire": _("Questionnaire"), "scope": _("Organisation units"),
              "opens_on": _("Opens on"), "closes_on": _("Closes on"),
              "levels": _("School levels (none chosen: those the questionnaire applies to)"),
              "grades": _("Grades (comma-separated, empty for all)"),
              "tokens": _("Also require a one-time code per student (printed slips)"),
              "shared_devices": _("Students answer on shared computers (allow more than one response per device)")}
    for name, text in labels.items():
        form[name].label.text = text
    form.levels.choices = [(level, level_label(level)) for level in SCHOOL_LEVELS]
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
            definition = chosen_definition(get_registry(), form.questionnaire.data)
            campaign = create_campaign(
                name=form.name.data, definition=definition, owner=_owner_for(units), scope=units,
                user_id=current_user.id, opens_on=form.opens_on.data, closes_on=form.closes_on.data,
                grades=_parse_grades(form.grades.data), levels=form.levels.data or (),
                settings={key: True for key in ("tokens", "shared_devices") if form[key].data} or None)
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
    my_schools = [s for s in schools_in(campaign) if in_scope(current_user, s, ADMIN)][:MAX_SCHOOL_LINKS]
    return render_template("campaigns/show.html", campaign=campaign, can_admin=can_admin,
                           definition=definition_of(campaign), version=version_label(campaign),
                           participation=rows, my_schools=my_schools, max_links=MAX_SCHOOL_LINKS,
                           takes_codes=takes_students(campaign))


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
        flash(_("Campaign status changed to %(status)s.", status=status_label(campaign.status)), "info")
    return redirect(url_for(".show", campaign_id=campaign.id))


@bp.route("/<int:campaign_id>/codes")
@require_role(ADMIN)
def codes(campaign_id: int):
    """Printable sheet: one block per class with its code, link and QR code."""
    campaign = _campaign_or_404(campaign_id, (ADMIN,))
    visible = [c for c in access_codes(campaign) if c.active and in_scope(current_user, c.school, ADMIN)]
    blocks = []
    for code in visible:
        link = url_for("respond.start", code=code.code, _external=True)
        blocks.append({"code": code, "link": link, "qr": _qr_svg(link)})
    return render_template("campaigns/codes.html", campaign=campaign, blocks=blocks)


def _qr_svg(link: str) -> Markup:
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="svg", scale=4, xmldecl=False, svgns=True, nl=False)
    return Markup(buffer.getvalue().decode("utf-8"))


# -- one school's part of a campaign: classes, own questions, one-time tokens -------------

def _school_or_404(campaign: Campaign, school_id: int) -> OrgUnit:
    school = db.session.get(OrgUnit, school_id)
    if school is None or school not in schools_in(campaign) or not in_scope(current_user, school, ADMIN):
        abort(404)
    return school


def _has_responses(campaign: Campaign, school: OrgUnit) -> bool:
    return bool(db.session.execute(select(func.count(Response.id)).filter_by(
        campaign_id=campaign.id, school_id=school.id, status=RESPONSE_SUBMITTED)).scalar())


@bp.route("/<int:campaign_id>/schools/<int:school_id>")
@require_role(ADMIN)
def school(campaign_id: int, school_id: int):
    """A school admin's page for this campaign: which classes, the school's own questions, tokens."""
    campaign = _campaign_or_404(campaign_id, (ADMIN,))
    school = _school_or_404(campaign, school_id)
    codes = [c for c in access_codes(campaign) if c.school_id == school.id]
    extra = extra_definition(campaign, school.id)
    return render_template(
        "campaigns/school.html", campaign=campaign, school=school, classes=school_classes(campaign, school),
        chosen=set((campaign.settings or {}).get("classes") or []), codes=codes,
        counts=token_counts([c.id for c in codes]), over_size=classes_over_size(campaign.id, school.id),
        extra_items=list(extra.items.values()) if extra else [],
        locked=_has_responses(campaign, school), types=EXTRA_TYPES, max_tokens=MAX_TOKENS)


@bp.route("/<int:campaign_id>/schools/<int:school_id>/classes", methods=["POST"])
@require_role(ADMIN)
def school_classes_post(campaign_id: int, school_id: int):
    campaign = _campaign_or_404(campaign_id, (ADMIN,))
    school = _school_or_404(campaign, school_id)
    ids = [int(v) for v in request.form.getlist("classes") if v.isdigit()]
    choose_classes(campaign, school, ids, current_user.id)
    db.session.commit()
    flash(_("The classes taking part were saved."), "info")
    return redirect(url_for(".school", campaign_id=campaign.id, school_id=school.id))


@bp.route("/<int:campaign_id>/schools/<int:school_id>/extra", methods=["POST"])
@require_role(ADMIN)
def school_extra_post(campaign_id: int, school_id: int):
    campaign = _campaign_or_404(campaign_id, (ADMIN,))
    school = _school_or_404(campaign, school_id)
    back = redirect(url_for(".school", campaign_id=campaign.id, school_id=school.id))
    if _has_responses(campaign, school):
        flash(_("Students have already answered: the school's questions can no longer change."), "error")
        return back
    form = request.form
    try:
        if form.get("remove"):
            remove_extra_item(campaign, school, form["remove"], current_user.id)
        else:
            item = build_item(form.get("type", ""), form.get("text_vi", "")[:500], form.get("text_en", "")[:500],
                              form.get("options", "")[:2000].splitlines(), bool(form.get("required")))
            add_extra_item(campaign, school, item, current_user.id)
    except CampaignError as exc:
        db.session.rollback()
        flash(_("The question was not added: %(reason)s", reason=str(exc)), "error")
        return back
    db.session.commit()
    flash(_("The school's questions were saved."), "info")
    return back


@bp.route("/<int:campaign_id>/codes/<int:code_id>/tokens", methods=["POST"])
@require_role(ADMIN)
def tokens(campaign_id: int, code_id: int):
    """Issue one-time tokens for a class and show them ONCE as printable slips."""
    campaign = _campaign_or_404(campaign_id, (ADMIN,))
    code = db.session.get(AccessCode, code_id)
    if code is None or code.campaign_id != campaign.id or not in_scope(current_user, code.school, ADMIN):
        abort(404)
    count = request.form.get("count", "")
    if not count.isdigit() or not 1 <= int(count) <= MAX_TOKENS:
        flash(_("Choose between 1 and %(n)s slips.", n=MAX_TOKENS), "error")
        return redirect(url_for(".school", campaign_id=campaign.id, school_id=code.school_id))
    issued = issue_tokens(code, int(count))
    audit.record("campaign.tokens", campaign, org_id=code.school_id, access_code=code.id, count=len(issued),
                 user_id=current_user.id)
    db.session.commit()
    link = url_for("respond.start", code=code.code, _external=True)
    return render_template("campaigns/tokens.html", campaign=campaign, code=code, tokens=issued, link=link,
                           qr=_qr_svg(link))
