"""Background export jobs: the request only queues; a thread (or `surveyapp worker`) builds."""
from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select, update
from flask_babel import force_locale

from . import audit
from .export import ExportOptions, build_workbook
from .extensions import db
from .models import Campaign, ExportJob, OrgUnit, User, utcnow


def queue_export(campaign: Campaign, org: OrgUnit, user_id: int | None, options: ExportOptions) -> ExportJob:
    job = ExportJob(campaign_id=campaign.id, org_id=org.id, user_id=user_id, status="queued",
                    options={"include_raw": options.include_raw, "locale": options.locale,
                             "own_school": options.own_school})
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


def claim(job_id: int) -> bool:
    """Move a queued job to running; only one thread or worker process can win it."""
    result = db.session.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == "queued")
                                .values(status="running", progress=0))
    db.session.commit()
    return result.rowcount == 1


def run_queued(limit: int | None = None) -> list[ExportJob]:
    """Run queued jobs oldest first (the `surveyapp export-worker` loop body)."""
    done = []
    query = select(ExportJob.id).where(ExportJob.status == "queued").order_by(ExportJob.id)
    for job_id in db.session.execute(query.limit(limit)).scalars().all():
        job = run_job(job_id)
        if job is not None:
            done.append(job)
    return done


def run_job(job_id: int) -> ExportJob | None:
    """Build one job's workbook, recording progress; a failure leaves no file and says why.

    Returns None when another thread or worker already took the job."""
    if not claim(job_id):
        return None
    job = db.session.get(ExportJob, job_id)
    shown = job.progress

    def progress(pct: int, message: str) -> None:
        # Its own short transaction: committing the build's session would close the
        # PostgreSQL server-side cursor the raw rows are streamed from.
        nonlocal shown
        if pct != shown:
            shown = pct
            with db.engine.begin() as connection:
                connection.execute(update(ExportJob).where(ExportJob.id == job_id)
                                   .values(progress=pct, message=message))

    try:
        campaign = db.session.get(Campaign, job.campaign_id)
        org = db.session.get(OrgUnit, job.org_id)
        options = ExportOptions(include_raw=bool(job.options.get("include_raw")),
                                locale=job.options.get("locale", "vi"),
                                own_school=bool(job.options.get("own_school")))
        with force_locale(options.locale):  # the sheet names and headers in the asker's language
            path = build_workbook(campaign, org, job_path(job), options, progress)
    except Exception as exc:  # recorded for the user; the partial file is already gone
        db.session.rollback()
        job = db.session.get(ExportJob, job_id)
        job.status, job.message, job.finished_at = "failed", f"{exc.__class__.__name__}: {exc}"[:500], utcnow()
        db.session.commit()
        current_app.logger.exception("export job %s failed", job_id)
        return job
    job.status, job.progress, job.path, job.finished_at = "done", 100, str(path), utcnow()
    _tell_requester(job)
    db.session.commit()
    return job


def _tell_requester(job: ExportJob) -> None:
    """The mail saying the file is ready, committed with the job's "done"."""
    from .notify import enqueue
    from .notify.kinds import EXPORT_DONE
    user = db.session.get(User, job.user_id) if job.user_id else None
    if user is not None:
        enqueue(EXPORT_DONE.id, [user], org=db.session.get(OrgUnit, job.org_id), params={"link": f"/exports/{job.id}"})
