"""Background export jobs: the request only queues; a thread (or `surveyapp worker`) builds."""
from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask, current_app

from . import audit
from .export import ExportOptions, build_workbook
from .extensions import db
from .models import Campaign, ExportJob, OrgUnit, utcnow


def queue_export(campaign: Campaign, org: OrgUnit, user_id: int | None, options: ExportOptions) -> ExportJob:
    job = ExportJob(campaign_id=campaign.id, org_id=org.id, user_id=user_id, status="queued",
                    options={"include_raw": options.include_raw, "locale": options.locale})
    db.session.add(job)
    audit.record("export.queue", campaign, org_id=org.id, user_id=user_id, include_raw=options.include_raw)
    db.session.commit()
    return job


def start_in_thread(app: Flask, job_id: int) -> threading.Thread:
    thread = threading.Thread(target=_run_with_context, args=(app, job_id), daemon=True,
                              name=f"export-{job_id}")
    thread.start()
    return thread


def _run_with_context(app: Flask, job_id: int) -> None:
    with app.app_context(), app.test_request_context():
        run_job(job_id)


def job_path(job: ExportJob) -> Path:
    return Path(current_app.config["EXPORT_FOLDER"]) / f"export-{job.id}.xlsx"


def run_job(job_id: int) -> ExportJob:
    """Build one job's workbook, recording progress; a failure leaves no file and says why."""
    job = db.session.get(ExportJob, job_id)
    job.status, job.progress = "running", 0
    db.session.commit()

    def progress(pct: int, message: str) -> None:
        if pct != job.progress:
            job.progress, job.message = pct, message
            db.session.commit()

    try:
        campaign = db.session.get(Campaign, job.campaign_id)
        org = db.session.get(OrgUnit, job.org_id)
        options = ExportOptions(include_raw=bool(job.options.get("include_raw")),
                                locale=job.options.get("locale", "vi"))
        path = build_workbook(campaign, org, job_path(job), options, progress)
    except Exception as exc:  # recorded for the user; the partial file is already gone
        db.session.rollback()
        job = db.session.get(ExportJob, job_id)
        job.status, job.message, job.finished_at = "failed", f"{exc.__class__.__name__}: {exc}"[:500], utcnow()
        db.session.commit()
        current_app.logger.exception("export job %s failed", job_id)
        return job
    job.status, job.progress, job.path, job.finished_at = "done", 100, str(path), utcnow()
    db.session.commit()
    return job
