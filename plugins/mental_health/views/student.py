"""Public student pages: help first, consent and identity for confidential screening, asking for help."""
from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import _, get_locale
from sqlalchemy import select

from surveyapp import aftercare, codeguard, ratelimit, traces
from surveyapp.access import public
from surveyapp.extensions import db
from surveyapp.models import OrgUnit

from .. import cases, flow
from ..helpdata import help_routes, school_contact
from ..models import CONSENT_BASES, TOPICS, URGENCIES
from . import bp

REQUESTS_PER_DEVICE, REQUESTS_PER_ADDRESS, REQUEST_WINDOW = 5, 200, 60 * 60


def _school_or_404(code: str) -> OrgUnit:
    school = db.session.execute(select(OrgUnit).filter_by(code=code, kind="school", active=True)).scalar_one_or_none()
    if school is None:
        abort(404)
    return school


def _confidential_code_or_404(code: str):
    access, limited = codeguard.lookup(code)
    if limited:
        abort(429)
    if access is None or not flow.is_confidential(access.campaign) or not access.campaign.is_accepting():
        abort(404)
    return access


@bp.route("/help/<school>")
@public
def help_page(school: str):
    """The school's help routes, for anyone (no code is read: nothing to guess here)."""
    unit = _school_or_404(school)
    return render_template("mental_health/help.html", school=unit, contact=school_contact(unit),
                           hotlines=help_routes(str(get_locale())), mode=None, done_url=None)


@bp.route("/s/<code>/consent", methods=["GET", "POST"])
@public
def consent(code: str):
    access = _confidential_code_or_404(code)
    error = None
    if request.method == "POST":
        basis = request.form.get("basis")
        if request.form.get("agree") == "yes" and basis in CONSENT_BASES:
            flow.remember(flow.CONSENT_KEY, access.campaign_id, basis)
            return redirect(url_for(".identify", code=access.code))
        error = _("Please choose who agreed and tick that you agree, or close this page if you do not want to go on.")
    return render_template("mental_health/consent.html", access=access, school=access.school,
                           contact=school_contact(access.school), bases=CONSENT_BASES,
                           error=error), 422 if error else 200


@bp.route("/s/<code>/identify", methods=["GET", "POST"])
@public
def identify(code: str):
    access = _confidential_code_or_404(code)
    basis = flow.recall(flow.CONSENT_KEY, access.campaign_id)
    if basis is None:
        return redirect(url_for(".consent", code=access.code))
    default_class = access.class_group.name if access.class_group else ""
    if request.method == "POST":
        try:
            case = cases.start_confidential(access.campaign, access.school, consent_basis=basis,
                                            name=request.form.get("name"),
                                            klass=request.form.get("klass") or default_class,
                                            contact=request.form.get("contact"))
        except cases.CaseError:
            db.session.rollback()
            flash(_("Please write your name and your class."), "error")
        else:
            db.session.commit()
            flow.recall(flow.CONSENT_KEY, access.campaign_id, pop=True)
            flow.remember(flow.INTAKE_KEY, access.campaign_id, case.id)
            return redirect(url_for("respond.start", code=access.code))
    return render_template("mental_health/identify.html", access=access, default_class=default_class,
                           form=request.form), 422 if request.method == "POST" else 200


def _limited() -> bool:
    """Requests per device (a random id in the signed cookie) and, loosely, per school address."""
    if "mh_device" not in session:
        session["mh_device"] = secrets.token_urlsafe(12)
    address = request.remote_addr or "-"
    per_device = ratelimit.hit(f"mh-ask:{address}:{session['mh_device']}", REQUESTS_PER_DEVICE, REQUEST_WINDOW)
    per_address = ratelimit.hit(f"mh-ask-ip:{address}", REQUESTS_PER_ADDRESS, REQUEST_WINDOW)
    return not (per_device and per_address)


@bp.route("/ask/<school>", methods=["GET", "POST"])
@public
def ask(school: str):
    unit = _school_or_404(school)
    from_screening = request.args.get("from") == "screening"
    if request.method == "POST":
        if _limited():
            return render_template("mental_health/ask.html", school=unit, topics=TOPICS, urgencies=URGENCIES,
                                   form=request.form, limited=True, from_screening=from_screening), 429
        try:
            case = cases.create_request(
                unit, source="screening_offer" if from_screening else "self_referral",
                anonymous=request.form.get("anonymous") == "yes", name=request.form.get("name"),
                klass=request.form.get("klass"), contact=request.form.get("contact"),
                topic=request.form.get("topic"), urgency=request.form.get("urgency"),
                message=request.form.get("message"))
        except cases.CaseError:
            db.session.rollback()
            flash(_("Please write a message, or your name and a way to reach you."), "error")
        else:
            db.session.commit()
            if case.anonymous:
                traces.anonymous_write()
            if case.urgency == "urgent":  # help first, at the core's neutral address
                return aftercare.show(unit.id, None, help_first=True)
            return redirect(url_for(".sent", school=unit.code))
    return render_template("mental_health/ask.html", school=unit, topics=TOPICS, urgencies=URGENCIES,
                           form=request.form, limited=False, from_screening=from_screening), \
        422 if request.method == "POST" else 200


@bp.route("/ask/<school>/sent")
@public
def sent(school: str):
    unit = _school_or_404(school)
    return render_template("mental_health/sent.html", school=unit, contact=school_contact(unit),
                           hotlines=help_routes(str(get_locale())))
