"""A job's progress page: its stages with a progress bar, drawn on the server, kept fresh by a small script
(or, without JavaScript, by reloading itself); it ends on the job's result or on its error with a retry button."""
from __future__ import annotations

import mimetypes
from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp import jobs
from surveyapp.auth.access import login_required
from surveyapp.db import db
from surveyapp.errors import NotFound
from surveyapp.jobs.models import DONE, FAILED, RUNNING, Job
from surveyapp.jobs.queue import kind_of

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


def _job(job_id: int) -> Job:
    """The job, if the current user may watch it (missing and forbidden look the same)."""
    job = db.session.get(Job, job_id)
    if job is None or not jobs.may_watch(current_user, job):
        raise NotFound(_("This job does not exist, or you may not see it."))
    return job


def state(job: Job) -> dict[str, Any]:
    """Everything the page shows, as plain data (also served as JSON to the page's script)."""
    kind = kind_of(job)
    stages = list(kind.stages.items()) if kind else []
    now = jobs.live(job)
    keys = [key for key, _label in stages]
    if job.status == DONE:
        index = len(keys)
    else:  # a queued job has no current stage yet
        index = keys.index(now["stage"]) if now["stage"] in keys else (0 if job.status == RUNNING else -1)
    within = now["done"] / now["total"] if now["total"] else 0
    percent = 100 if job.status == DONE else round(100 * (max(index, 0) + within) / max(1, len(keys)))
    extra = kind.describe(db.session, job) if kind and kind.describe and job.status == DONE else []
    return {
        "status": job.status,
        "title": str(kind.label) if kind else job.kind,
        "stage": now["stage"], "done": now["done"], "total": now["total"], "percent": percent,
        "stages": [{"key": key, "label": str(label),
                    "state": "done" if job.status == DONE or i < index else ("current" if i == index else "todo")}
                   for i, (key, label) in enumerate(stages)],
        "extra": [{"label": str(label), "done": done, "total": total} for label, done, total in extra],
        "error": job.error, "result_url": job.result_url,
        "finished": job.finished and all(e[1] >= e[2] for e in extra),
    }


@bp.get("/<int:job_id>")
@login_required
def progress(job_id: int) -> Any:
    """The job's progress; reload it any time."""
    job = _job(job_id)
    now = state(job)
    if now["finished"] and now["status"] == DONE and now["result_url"]:
        kind = kind_of(job)
        if kind is not None and kind.done_message is not None:
            flash(kind.done_message(job), "success")
        return redirect(now["result_url"])
    return render_template("jobs/progress.html", job=job, s=now)


@bp.get("/<int:job_id>.json")
@login_required
def progress_json(job_id: int) -> Any:
    response = jsonify(state(_job(job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:job_id>/download")
@login_required
def download(job_id: int) -> Any:
    """The file a finished job made (an export)."""
    job = _job(job_id)
    if job.status != DONE or job.result_name is None:
        raise NotFound(_("This job does not exist, or you may not see it."))
    kind = mimetypes.guess_type(job.result_name)[0] or "application/octet-stream"
    return Response(job.result, mimetype=kind, headers={
        "Content-Disposition": f'attachment; filename="{job.result_name}"', "Cache-Control": "private, max-age=0"})


@bp.post("/<int:job_id>/retry")
@login_required
def retry(job_id: int) -> Any:
    """Start a failed job again (it continues where its work stands: every job is idempotent)."""
    job = _job(job_id)
    if job.status == FAILED:
        jobs.retry(db.session, job)
        db.session.commit()
        jobs.enqueue(job)
    return redirect(url_for("jobs.progress", job_id=job.id))

