"""safe_school pages: the school's self-assessment, evidence, review queue, overview, printable report."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import _, force_locale, get_locale
from flask_login import current_user, login_required
from sqlalchemy import select

from surveyapp.access import ADMIN, AUDITOR, VIEWER, REPORT_ROLES, require_role, roots
from surveyapp.campaigns import campaigns_visible_to, overlaps, schools_in
from surveyapp.extensions import db
from surveyapp.models import Attachment, Campaign, OrgUnit, SCHOOL_LEVELS, User
from surveyapp.uploads import UploadError, delete_stored, save_upload, stored_path

from . import assessment as flow
from . import overview as ov
from .models import SUBMITTED, Assessment
from .sets import MODULE_ID, applies, can_review, can_view, is_school_admin

bp = Blueprint(MODULE_ID, __name__, url_prefix="/safe_school", template_folder="templates",
               static_folder="static", static_url_path="/static")


# -- lookups (404 when out of scope) -------------------------------------------------------

def _campaign(campaign_id: int, roles=(ADMIN, VIEWER, AUDITOR)) -> Campaign:
    """A safe-school campaign whose scope overlaps one of the user's units, else 404."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.module != MODULE_ID or not overlaps(campaign, roots(current_user, roles)):
        abort(404)
    return campaign


def _assessment(assessment_id: int, need: str = "view") -> Assessment:
    found = db.session.get(Assessment, assessment_id)
    if found is None:
        abort(404)
    allowed = {"view": can_view, "edit": is_school_admin, "review": can_review}[need]
    if not allowed(current_user, found.school):
        abort(404)
    return found


def _my_schools() -> list[OrgUnit]:
    return [a.org for a in current_user.roles if a.role == ADMIN and a.org.kind == "school"]


def _campaigns() -> list[Campaign]:
    return [c for c in campaigns_visible_to(current_user) if c.module == MODULE_ID]


# -- index -------------------------------------------------------------------------------

@bp.route("/")
@login_required
def index():
    campaigns = _campaigns()
    mine = []
    for school in _my_schools():
        for campaign in campaigns:
            if applies(campaign, school) and school in schools_in(campaign):
                mine.append((school, campaign, flow.find(campaign.id, school.id)))
    reviewing = bool(roots(current_user, REPORT_ROLES)) and not mine
    return render_template("safe_school/index.html", mine=mine, campaigns=campaigns, reviewing=reviewing,
                           queue=len(_queue()), flow=flow)


@bp.route("/campaign/<int:campaign_id>/school/<int:school_id>/start", methods=["POST"])
@require_role(ADMIN)
def start(campaign_id: int, school_id: int):
    campaign = _campaign(campaign_id, (ADMIN,))
    school = db.session.get(OrgUnit, school_id)
    if school is None or not is_school_admin(current_user, school) or school not in schools_in(campaign) \
            or not applies(campaign, school):
        abort(404)
    found = flow.find(campaign.id, school.id)
    if found is None and not campaign.is_accepting():
        flash(_("This campaign is not open."), "error")
        return redirect(url_for(".index"))
    found = found or flow.start(campaign, school, current_user.id)
    db.session.commit()
    return redirect(url_for(".show", assessment_id=found.id), 303)


# -- the self-assessment --------------------------------------------------------------------

def _page_context(found: Assessment) -> dict:
    definition = flow.definition_of(found)
    values = flow.answers(found)
    stored = flow.notes(found.response)
    states = flow.group_states(definition, values, stored)
    previous, previous_values = ov.previous_results(found)
    users = {u.id: u for u in db.session.execute(
        select(User).where(User.id.in_([e.user_id for e in found.events if e.user_id]))).scalars()}
    return {"a": found, "definition": definition, "values": values, "notes": stored, "states": states,
            "state_of": {s.section.id: s for s in states}, "completeness": flow.completeness(states),
            "evidence": flow.attachments(found), "review": flow.review_comments(found), "users": users,
            "previous": previous, "previous_values": previous_values, "flow": flow, "locale": str(get_locale()),
            "year": flow.school_year(found.campaign),
            "outcome": flow.outcome_label(definition, found.result, str(get_locale()))}


@bp.route("/a/<int:assessment_id>")
@login_required
def show(assessment_id: int):
    found = _assessment(assessment_id)
    return render_template("safe_school/assessment.html", can_edit=is_school_admin(current_user, found.school)
                           and found.editable, can_review=can_review(current_user, found.school)
                           and found.status == SUBMITTED, **_page_context(found))


@bp.route("/a/<int:assessment_id>/group/<section_id>", methods=["POST"])
@require_role(ADMIN)
def save_group(assessment_id: int, section_id: str):
    found = _assessment(assessment_id, "edit")
    autosave = request.headers.get("X-Autosave") == "1"
    try:
        errors = flow.save_group(found, section_id, request.form, current_user.id)
        problems = [] if autosave else _evidence(found, section_id)
    except flow.WorkflowError as exc:
        db.session.rollback()
        return _refused(found, exc.problems, autosave)
    db.session.commit()
    definition = flow.definition_of(found)
    messages = [f"{definition.items[i].item.code or i}: {m}" for i, m in errors.items()] + problems
    if autosave:
        return jsonify({"saved": True, "errors": messages})
    for message in messages:
        flash(message, "error")
    if not messages:
        flash(_("Saved."), "info")
    return redirect(url_for(".show", assessment_id=found.id, _anchor=f"group-{section_id}"), 303)


def _refused(found: Assessment, problems: list[str], autosave: bool):
    if autosave:
        return jsonify({"saved": False, "errors": problems}), 409
    for problem in problems:
        flash(problem, "error")
    return redirect(url_for(".show", assessment_id=found.id), 303)


def _evidence(found: Assessment, section_id: str) -> list[str]:
    """Store the group's new links and files; each refusal is one clear message."""
    problems = []
    section = next(s for s in flow.definition_of(found).sections if s.id == section_id)
    for item in section.items:
        if item.type != "criterion":
            continue
        link = (request.form.get(f"link__{item.id}") or "").strip()
        try:
            if link:
                flow.add_link(found, item.id, link, current_user.id)
            for upload in request.files.getlist(f"file__{item.id}"):
                if upload and upload.filename:
                    flow.check_evidence_item(found, item.id)
                    flow.add_file(found, item.id, save_upload(upload.stream, upload.filename), current_user.id)
        except (UploadError, flow.WorkflowError) as exc:
            problems.append(f"{item.code}: {exc}")
    return problems


@bp.route("/a/<int:assessment_id>/evidence/<int:attachment_id>")
@login_required
def evidence(assessment_id: int, attachment_id: int):
    found = _assessment(assessment_id)
    row = db.session.get(Attachment, attachment_id)
    if row is None or row.response_id != found.response_id or row.kind != "file":
        abort(404)
    path = stored_path(row.stored_name)
    if not path.exists():
        abort(404)
    return send_file(path, mimetype=row.mime, as_attachment=True, download_name=row.filename or path.name)


@bp.route("/a/<int:assessment_id>/evidence/<int:attachment_id>/delete", methods=["POST"])
@require_role(ADMIN)
def delete_evidence(assessment_id: int, attachment_id: int):
    found = _assessment(assessment_id, "edit")
    row = db.session.get(Attachment, attachment_id)
    if row is None or row.response_id != found.response_id:
        abort(404)
    if not found.editable:
        flash(_("This assessment is locked (%(status)s).", status=flow.status_label(found.status)), "error")
    else:
        stored = row.stored_name
        db.session.delete(row)
        db.session.commit()
        if stored:
            delete_stored(stored)
        flash(_("Evidence removed."), "info")
    return redirect(url_for(".show", assessment_id=found.id, _anchor=f"item-{row.item_id}"), 303)


@bp.route("/a/<int:assessment_id>/submit", methods=["POST"])
@require_role(ADMIN)
def submit(assessment_id: int):
    found = _assessment(assessment_id, "edit")
    try:
        flow.submit(found, current_user.id)
    except flow.WorkflowError as exc:
        db.session.rollback()
        for problem in exc.problems:
            flash(problem, "error")
        flash(_("Not submitted: complete the missing items first."), "error")
        return redirect(url_for(".show", assessment_id=found.id), 303)
    db.session.commit()
    flash(_("Submitted. The assessment is locked until the reviewing unit decides."), "info")
    return redirect(url_for(".show", assessment_id=found.id), 303)


@bp.route("/a/<int:assessment_id>/report")
@login_required
def report(assessment_id: int):
    """The printable report, always in Vietnamese (the official language of the document)."""
    found = _assessment(assessment_id)
    with force_locale("vi"):
        context = _page_context(found)
        context["locale"] = "vi"
        return render_template("safe_school/report.html", **context)


@bp.route("/a/<int:assessment_id>/report.docx")
@login_required
def report_docx(assessment_id: int):
    """The same report as an editable Word document (Nghị định 30/2020 layout)."""
    from surveyapp.labels import download_name
    from .report_doc import build
    found = _assessment(assessment_id)
    with force_locale("vi"):
        data = build(_page_context(found))
    name = download_name(f"tu-danh-gia-{found.campaign.name}", found.school.code, "docx")
    return Response(data, mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# -- review ---------------------------------------------------------------------------------

def _queue() -> list[Assessment]:
    if not roots(current_user, (ADMIN,)):
        return []
    submitted = db.session.execute(select(Assessment).filter_by(status=SUBMITTED)
                                   .order_by(Assessment.updated_at)).scalars()
    return [a for a in submitted if can_review(current_user, a.school)]


@bp.route("/review")
@require_role(ADMIN)
def queue():
    return render_template("safe_school/queue.html", items=_queue(), flow=flow)


@bp.route("/a/<int:assessment_id>/review", methods=["GET", "POST"])
@require_role(ADMIN)
def review(assessment_id: int):
    found = _assessment(assessment_id, "review")
    if request.method == "POST":
        item_comments = {key[4:]: value for key, value in request.form.items() if key.startswith("rc__")}
        try:
            flow.decide(found, request.form.get("decision", ""), current_user.id,
                        request.form.get("comment", ""), item_comments)
        except flow.WorkflowError as exc:
            db.session.rollback()
            for problem in exc.problems:
                flash(problem, "error")
        else:
            db.session.commit()
            flash(_("Decision recorded: %(status)s.", status=flow.status_label(found.status)), "info")
            return redirect(url_for(".queue"), 303)
    return render_template("safe_school/review.html", **_page_context(found))


# -- department overview -----------------------------------------------------------------

@bp.route("/overview/<int:campaign_id>")
@require_role(ADMIN, VIEWER, AUDITOR)
def overview(campaign_id: int):
    campaign = _campaign(campaign_id)
    units = roots(current_user, (ADMIN, VIEWER, AUDITOR))
    unit = db.session.get(OrgUnit, request.args.get("unit", type=int) or 0)
    within = [unit] if unit is not None and any(unit.path.startswith(u.path) for u in units) else units
    level = request.args.get("level", "")
    level = level if level in SCHOOL_LEVELS else ""
    rows = ov.school_rows(campaign, ov.schools_for(campaign, within, level))
    counts = ov.status_counts(rows)
    submitted_ids = [r.school.id for r in rows if r.outcome]
    choices = [u for u in db.session.execute(select(OrgUnit).where(OrgUnit.kind != "school")
                                             .order_by(OrgUnit.path)).scalars()
               if any(u.path.startswith(root.path) for root in units)]
    definition = flow.definition_of_campaign(campaign)
    return render_template("safe_school/overview.html", campaign=campaign, rows=rows, counts=counts,
                           chart=_chart(counts), unmet=ov.most_unmet(campaign, submitted_ids),
                           units=choices, unit=unit, level=level, levels=SCHOOL_LEVELS, flow=flow,
                           definition=definition, locale=str(get_locale()))


def _chart(counts: dict[str, int]) -> list[dict]:
    """Bars for an inline SVG (no script, no style attribute)."""
    biggest = max(counts.values() or [0]) or 1
    return [{"status": status, "label": flow.status_label(status), "count": n, "y": 10 + 34 * index,
             "width": round(360 * n / biggest, 1)} for index, (status, n) in enumerate(counts.items())]
