"""Excel export pages: queue a job, watch its progress (no JavaScript), download."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import _, get_locale
from flask_login import current_user

from .. import audit
from ..access import ADMIN, AUDITOR, VIEWER, in_scope, require_role, roots
from ..campaigns import overlaps
from ..export import ExportOptions, raw_allowed
from ..extensions import db
from ..jobs import queue_export, start_in_thread
from ..labels import download_name
from ..models import Campaign, ExportJob, OrgUnit

bp = Blueprint("exports", __name__, url_prefix="/exports")
EXPORT_ROLES = (ADMIN, VIEWER, AUDITOR)


def _campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not overlaps(campaign, roots(current_user, EXPORT_ROLES)):
        abort(404)
    return campaign


def _job(job_id: int) -> ExportJob:
    job = db.session.get(ExportJob, job_id)
    if job is None or job.user_id != current_user.id:
        abort(404)
    return job


@bp.route("/campaign/<int:campaign_id>", methods=["GET", "POST"])
@require_role(*EXPORT_ROLES)
def start(campaign_id: int):
    campaign = _campaign(campaign_id)
    units = [u for u in roots(current_user, EXPORT_ROLES)]
    if request.method == "POST":
        org = db.session.get(OrgUnit, request.form.get("org", type=int) or 0)
        if not in_scope(current_user, org, *EXPORT_ROLES):
            abort(404)
        # the school's own outputs (free text, raw rows) only for a role held at the school itself
        own_school = org.kind == "school" and any(r.id == org.id for r in roots(current_user, EXPORT_ROLES))
        options = ExportOptions(include_raw=request.form.get("include_raw") == "1", locale=str(get_locale()),
                                own_school=own_school)
        if options.include_raw and not raw_allowed(campaign, org, own_school):
            flash(_("Row-level data of an anonymous survey is given only to a school, for its own students; "
                    "ask for the aggregate workbook instead."), "error")
            return render_template("exports/start.html", campaign=campaign, units=units), 403
        job = queue_export(campaign, org, current_user.id, options)
        if current_app.config.get("EXPORT_IN_THREAD", True):  # else `surveyapp export-worker` builds it
            start_in_thread(current_app._get_current_object(), job.id)
        return redirect(url_for(".status", job_id=job.id))
    return render_template("exports/start.html", campaign=campaign, units=units)


@bp.route("/<int:job_id>")
@require_role(*EXPORT_ROLES)
def status(job_id: int):
    job = _job(job_id)
    return render_template("exports/status.html", job=job)


@bp.route("/<int:job_id>/download")
@require_role(*EXPORT_ROLES)
def download(job_id: int):
    job = _job(job_id)
    if job.status != "done" or not job.path or not Path(job.path).exists():
        abort(404)
    audit.record("export.download", job, org_id=job.org_id)
    db.session.commit()
    campaign, org = db.session.get(Campaign, job.campaign_id), db.session.get(OrgUnit, job.org_id)
    name = download_name(campaign.name, org.code, "xlsx", (job.finished_at or job.created_at).date())
    return send_file(job.path, as_attachment=True, download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
