"""school_dialogue pages: the public suggestion box and "what we changed", the team's inbox and sessions."""
from __future__ import annotations

import datetime as dt
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import _, get_locale
from flask_login import current_user

from surveyapp import get_registry, ratelimit, traces
from surveyapp.access import ADMIN, AUDITOR, COUNSELLOR, REPORT_ROLES, VIEWER, in_scope, public, require_role
from surveyapp.campaigns import campaigns_visible_to, schools_in
from surveyapp.extensions import db
from surveyapp.models import Campaign, OrgUnit
from surveyapp.respondent_kinds import contact_lines
from surveyapp.reports import ReportFilter

from . import box, notices, sessions as dialogue
from .models import COMMITMENT_STATUSES, DECISIONS, MESSAGE_STATUSES, BoxMessage, Commitment, DialogueIssue, DialogueSession

bp = Blueprint("school_dialogue", __name__, url_prefix="/school_dialogue", template_folder="templates")
POSTS_PER_DEVICE, POSTS_PER_ADDRESS, POST_WINDOW = 5, 300, 60 * 60
LOOKUPS_PER_DEVICE, LOOKUP_WINDOW = 10, 10 * 60
TEAM_ROLES = (ADMIN, COUNSELLOR)


def _device() -> str:
    if "device" not in session:
        session["device"] = secrets.token_urlsafe(12)
    return session["device"]


def _allowed(kind: str, per_device: int, per_address: int, window: int) -> bool:
    address = request.remote_addr or "-"
    device_ok = ratelimit.hit(f"{kind}:{address}:{_device()}", per_device, window)
    return ratelimit.hit(f"{kind}-ip:{address}", per_address, window) and device_ok


def _school_or_404(code: str) -> OrgUnit:
    school = box.school_by_code(code)
    if school is None:
        abort(404)
    return school


# -- public: the suggestion box ------------------------------------------------------------

@bp.route("/box/<code>", methods=["GET", "POST"])
@public
def box_form(code: str):
    school = _school_or_404(code)
    body = (request.form.get("body") or "").strip() if request.method == "POST" else ""
    error = None
    if request.method == "POST":
        if not box.MIN_LENGTH <= len(body) <= box.MAX_LENGTH:
            error = _("Please write between %(a)s and %(b)s characters.", a=box.MIN_LENGTH, b=box.MAX_LENGTH)
        elif not _allowed("box", POSTS_PER_DEVICE, POSTS_PER_ADDRESS, POST_WINDOW):
            return render_template("school_dialogue/box_limited.html", school=school), 429
        else:
            message, receipt = box.post_message(school, body)
            traces.anonymous_write()
            return render_template("school_dialogue/box_sent.html", school=school, message=message,
                                   receipt=receipt, hotlines=contact_lines("student", str(get_locale())))
    return render_template("school_dialogue/box_form.html", school=school, body=body, error=error,
                           limit=box.MAX_LENGTH), 422 if error else 200


@bp.route("/box/<code>/receipt", methods=["GET", "POST"])
@public
def box_receipt(code: str):
    school = _school_or_404(code)
    message, tried = None, False
    if request.method == "POST":
        tried = True
        if not _allowed("receipt", LOOKUPS_PER_DEVICE, 300, LOOKUP_WINDOW):
            return render_template("school_dialogue/box_limited.html", school=school), 429
        message = box.by_receipt(school, request.form.get("receipt", ""))
    return render_template("school_dialogue/box_receipt.html", school=school, message=message, tried=tried)


@bp.route("/changed/<code>")
@public
def changed(code: str):
    school = _school_or_404(code)
    return render_template("school_dialogue/changed.html", school=school, issues=dialogue.public_changes(school))


# -- the school's dialogue team ------------------------------------------------------------

def _team_school(school_id: int, *roles: str) -> OrgUnit:
    school = db.session.get(OrgUnit, school_id)
    if school is None or school.kind != "school" or box.team_role(current_user, school) not in roles:
        abort(404)
    return school


@bp.route("/")
@require_role(ADMIN, COUNSELLOR, VIEWER, AUDITOR)
def index():
    team = box.team_schools(current_user)
    urgent = {s.id: sum(1 for m in box.inbox(current_user, s) if m.urgent and m.status in ("new", "in_progress"))
              for s in team}
    campaigns = [c for c in campaigns_visible_to(current_user) if c.module == "school_dialogue"][:20]
    return render_template("school_dialogue/index.html", team=team, urgent=urgent, campaigns=campaigns,
                           role=lambda s: box.team_role(current_user, s))


@bp.route("/schools/<int:school_id>/inbox")
@require_role(*TEAM_ROLES)
def inbox(school_id: int):
    school = _team_school(school_id, *TEAM_ROLES)
    messages = box.inbox(current_user, school)
    return render_template("school_dialogue/inbox.html", school=school, messages=messages, state=box.state,
                           role=box.team_role(current_user, school))


@bp.route("/messages/<int:message_id>", methods=["GET", "POST"])
@require_role(*TEAM_ROLES)
def message(message_id: int):
    item = db.session.get(BoxMessage, message_id)
    if item is None or not box.can_read(current_user, item):
        abort(404)
    role = box.team_role(current_user, item.school)
    if request.method == "POST":
        if role == COUNSELLOR:
            item.counsellor_seen = True
            notices.message_seen(item, current_user)
        elif request.form.get("status") in MESSAGE_STATUSES:
            box.answer(item, request.form.get("reply", "")[:4000], request.form["status"])
        db.session.commit()
        flash(_("Saved."), "info")
        return redirect(url_for(".message", message_id=item.id))
    return render_template("school_dialogue/message.html", message=item, role=role, statuses=MESSAGE_STATUSES,
                           state=box.state(item))


# -- dialogue sessions ----------------------------------------------------------------------

def _readable_school(school_id: int) -> OrgUnit:
    school = db.session.get(OrgUnit, school_id)
    if school is None or school.kind != "school" or not (
            box.team_role(current_user, school) == ADMIN or in_scope(current_user, school, *REPORT_ROLES)):
        abort(404)
    return school


def _session_or_404(session_id: int, edit: bool = False) -> DialogueSession:
    item = db.session.get(DialogueSession, session_id)
    if item is None:
        abort(404)
    if edit:
        _team_school(item.school_id, ADMIN)
    else:
        _readable_school(item.school_id)
    return item


@bp.route("/schools/<int:school_id>/sessions")
@require_role(ADMIN, VIEWER, AUDITOR)
def sessions(school_id: int):
    school = _readable_school(school_id)
    items = dialogue.sessions_of(school)
    states = {item.id: [dialogue.issue_state(issue) for issue in item.issues] for item in items}
    return render_template("school_dialogue/sessions.html", school=school, sessions=items, states=states,
                           can_edit=box.team_role(current_user, school) == ADMIN)


@bp.route("/schools/<int:school_id>/sessions/new", methods=["GET", "POST"])
@require_role(ADMIN)
def new_session(school_id: int):
    school = _team_school(school_id, ADMIN)
    suggested = dialogue.suggestions(school)
    if request.method == "POST":
        try:
            held_on = dt.date.fromisoformat(request.form.get("held_on", ""))
        except ValueError:
            flash(_("Please give the date of the session."), "error")
            return render_template("school_dialogue/session_new.html", school=school, suggested=suggested), 422
        chosen = [suggested[int(i)] for i in request.form.getlist("suggested") if i.isdigit() and int(i) < len(suggested)]
        chosen += [{"source": "floor", "text": line} for line in request.form.get("other", "").splitlines()]
        participants = {g: int(request.form.get(f"grade_{g}") or 0) for g in range(1, 13)
                        if (request.form.get(f"grade_{g}") or "").isdigit()}
        item = dialogue.create_session(school, held_on=held_on, title=request.form.get("title", "")[:200] or
                                       _("Dialogue session"), participants=participants, issues=chosen,
                                       notes=request.form.get("notes", "")[:4000], user_id=current_user.id,
                                       campaign=dialogue.latest_campaign(school))
        db.session.commit()
        return redirect(url_for(".session_view", session_id=item.id))
    return render_template("school_dialogue/session_new.html", school=school, suggested=suggested)


@bp.route("/sessions/<int:session_id>")
@require_role(ADMIN, VIEWER, AUDITOR)
def session_view(session_id: int):
    item = _session_or_404(session_id)
    return render_template("school_dialogue/session.html", session=item, state=dialogue.issue_state,
                           can_edit=box.team_role(current_user, item.school) == ADMIN, decisions=DECISIONS,
                           statuses=COMMITMENT_STATUSES)


@bp.route("/issues/<int:issue_id>/answer", methods=["POST"])
@require_role(ADMIN)
def answer_issue(issue_id: int):
    issue = db.session.get(DialogueIssue, issue_id) or abort(404)
    _session_or_404(issue.session_id, edit=True)
    answer, decision = request.form.get("answer", "").strip(), request.form.get("decision", "")
    if not answer or decision not in DECISIONS:
        flash(_("Write the answer and say whether the school will do it."), "error")
    else:
        dialogue.answer_issue(issue, answer=answer[:4000], decision=decision, reason=request.form.get("reason", "")[:2000],
                              public=bool(request.form.get("public")))
        db.session.commit()
        flash(_("Answer saved."), "info")
    return redirect(url_for(".session_view", session_id=issue.session_id))


@bp.route("/issues/<int:issue_id>/commitments", methods=["POST"])
@require_role(ADMIN)
def add_commitment(issue_id: int):
    issue = db.session.get(DialogueIssue, issue_id) or abort(404)
    _session_or_404(issue.session_id, edit=True)
    try:
        due_on = dt.date.fromisoformat(request.form.get("due_on", ""))
    except ValueError:
        due_on = None
    action, owner = request.form.get("action", "").strip(), request.form.get("owner", "").strip()
    if not action or not owner or due_on is None:
        flash(_("A commitment needs an action, an owner and a due date."), "error")
    else:
        dialogue.add_commitment(issue, action=action[:2000], owner=owner[:200], due_on=due_on)
        db.session.commit()
        flash(_("Commitment added."), "info")
    return redirect(url_for(".session_view", session_id=issue.session_id))


@bp.route("/commitments/<int:commitment_id>/status", methods=["POST"])
@require_role(ADMIN)
def commitment_status(commitment_id: int):
    commitment = db.session.get(Commitment, commitment_id) or abort(404)
    _session_or_404(commitment.issue.session_id, edit=True)
    if request.form.get("status") in COMMITMENT_STATUSES:
        dialogue.set_commitment_status(commitment, request.form["status"])
        db.session.commit()
    return redirect(url_for(".session_view", session_id=commitment.issue.session_id))


# -- the campaign report ---------------------------------------------------------------------

@bp.route("/report/<int:campaign_id>/<int:org_id>")
@require_role(*REPORT_ROLES)
def report(campaign_id: int, org_id: int):
    campaign = db.session.get(Campaign, campaign_id)
    org = db.session.get(OrgUnit, org_id)
    if campaign is None or campaign.module != "school_dialogue" or org is None or \
            not in_scope(current_user, org, *REPORT_ROLES) or \
            not any(org.path.startswith(u.path) or u.path.startswith(org.path) for u in campaign.scope):
        abort(404)
    found = []
    for contributed in get_registry().hook.report_sections(campaign=campaign, org=org, user=current_user,
                                                           filters=ReportFilter(org)):
        found.extend(contributed or [])
    schools = [s for s in schools_in(campaign) if in_scope(current_user, s, *REPORT_ROLES)][:200]
    return render_template("school_dialogue/report.html", campaign=campaign, org=org,
                           sections=sorted(found, key=lambda s: s.order), schools=schools)
