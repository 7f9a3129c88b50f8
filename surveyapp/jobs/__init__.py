"""Background jobs: work too long for a web request (publishing a notice, letters, mail, big exports) runs on
a task queue (Huey) in ``flask jobs worker`` processes, with its progress on a page people can watch.

For a capability::

    from surveyapp import jobs

    @jobs.define("export", _l("Excel export"), {"rows": _l("Writing rows")}, roles=(Role.MARKET,))
    def run_export(session, job, progress): ...        # idempotent; calls jobs.finish(job, url) before its commit

    job = jobs.start(db.session, current_user, "export", {...}, idempotency_key="...")
    db.session.commit(); jobs.enqueue(job)              # then redirect to url_for("jobs.progress", job_id=job.id)
"""
from surveyapp.jobs.queue import (
    Progress,
    call,
    define,
    enqueue,
    finish,
    function,
    init_app,
    live,
    may_watch,
    recover,
    result_path,
    retry,
    start,
)

__all__ = ["Progress", "call", "define", "enqueue", "finish", "function", "init_app", "live", "may_watch", "recover",
           "result_path", "retry", "start"]
