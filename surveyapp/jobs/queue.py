"""The task queue (Huey) behind background jobs, and the rules every job follows.

``JOBS_URL`` chooses the queue: ``sqlite:///path`` (the default, a file in the instance folder: durable, no
server, for ``make run`` and small sites), ``redis://host:port/db`` (production: workers on any number of
hosts), or ``immediate`` (no queue: a job runs at once in the process that starts it; the tests' default).

The queue carries only job ids and function names. A job's state lives in the app's database
(:class:`~surveyapp.jobs.models.Job`); its live progress and a heartbeat live in the queue's own storage, so
they can be written while the job holds a database transaction open. Huey forgets a task once a worker takes
it, so at-least-once comes from here: a running job whose heartbeat stopped (its worker was killed) and a
queued job that never reached the queue are queued again by :func:`recover`, which every worker runs when it
starts and once a minute. Every job kind must therefore be idempotent, and a job is claimed by one worker
at a time (``queued`` → ``running`` in one UPDATE).
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, url_for
from flask_babel import gettext as _
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import Huey
from sqlalchemy.orm import Session

from surveyapp import clock
from surveyapp.auth.models import Role, User
from surveyapp.db import db
from surveyapp.errors import DomainError
from surveyapp.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from surveyapp.locks import command_lock

log = logging.getLogger("surveyapp.jobs")

#: ``progress(stage, done=0, total=0)``: what a job reports as it goes.
Progress = Callable[..., None]


@dataclass(frozen=True)
class Kind:
    """A kind of job: its handler, how its steps are named, and who may watch it besides its starter."""

    name: str
    run: Callable[[Session, Job, Progress], None]
    label: Any
    stages: dict[str, Any]
    roles: tuple[Role, ...] = ()
    #: Extra lines for the progress page: ``describe(session, job) -> list of (label, done, total)``.
    describe: Callable[[Session, Job], list[tuple[Any, int, int]]] | None = None
    #: What the page says when it hands over to the result: ``done_message(job) -> str``.
    done_message: Callable[[Job], str] | None = None


_KINDS: dict[str, Kind] = {}
_FUNCTIONS: dict[str, Callable[..., Any]] = {}
_PERIODIC: list[tuple[str, Callable[[], Any]]] = []


def define(name: str, label: Any, stages: dict[str, Any], roles: tuple[Role, ...] = (),
           describe: Callable[[Session, Job], list[tuple[Any, int, int]]] | None = None,
           done_message: Callable[[Job], str] | None = None) -> Callable[..., Any]:
    """Register a job kind: ``@define("publish", _l("Publishing"), {"assess": _l("Assessing"), ...})`` over
    ``run(session, job, progress)``. ``run`` commits its own work and must be idempotent (it may run again
    after a crash); it calls :func:`finish` in the transaction that completes the work."""
    def decorator(run: Callable[[Session, Job, Progress], None]) -> Callable[[Session, Job, Progress], None]:
        _KINDS[name] = Kind(name, run, label, stages, roles, describe, done_message)
        return run
    return decorator


def function(name: str, every: str | None = None) -> Callable[..., Any]:
    """Register a background function without a job row (delivering mail ...): :func:`call` runs it on a
    worker; with ``every="minute"`` (or ``"hour"``) workers also run it that often. It must be safe to run
    twice (several workers may run it at once)."""
    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        _FUNCTIONS[name] = fn
        if every is not None:
            _PERIODIC.append((every, fn))
        return fn
    return decorator


def kind_of(job: Job) -> Kind | None:
    return _KINDS.get(job.kind)


# --- the queue --------------------------------------------------------------------------------------


@dataclass
class Queue:
    huey: Huey
    tasks: dict[str, Any] = field(default_factory=dict)


def init_app(app: Flask) -> None:
    app.extensions["surveyapp.jobs"] = _make_queue(app)


def _make_huey(app: Flask) -> Huey:
    url = app.config.get("JOBS_URL")
    if not url and app.testing:  # an app made for a test leaves no queue file behind
        url = "immediate"
    elif not url:
        os.makedirs(app.instance_path, exist_ok=True)
        url = "sqlite:///" + os.path.join(app.instance_path, "jobs.sqlite")
    if url == "immediate":
        return MemoryHuey("surveyapp", immediate=True)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("surveyapp", url=url)
    if url.startswith("sqlite:///"):
        return SqliteHuey("surveyapp", filename=url.removeprefix("sqlite:///"))
    raise RuntimeError(f"surveyapp: JOBS_URL must be sqlite:///path, redis://host:port/db or immediate, not {url!r}")


def _make_queue(app: Flask) -> Queue:
    huey = _make_huey(app)

    def run_job(job_id: int) -> None:
        with app.app_context():
            _run(job_id)

    def call_function(name: str, *args: Any) -> None:
        with app.app_context():
            _FUNCTIONS[name](*args)

    def every_minute() -> None:
        with app.app_context():
            recover()
            on_the_hour = time.gmtime().tm_min == 0
            for every, fn in _PERIODIC:
                if every == "hour" and not on_the_hour:
                    continue
                try:
                    # workers on several hosts tick in the same minute: each duty runs on one at a time
                    with command_lock(f"periodic {fn.__module__}.{fn.__name__}"):
                        fn()
                except Exception:  # one periodic duty failing must not stop the others
                    log.exception("periodic %s failed", fn.__name__)
                    db.rollback_quietly()

    queue = Queue(huey)
    queue.tasks["run_job"] = huey.task(name="run_job")(run_job)
    queue.tasks["call"] = huey.task(name="call_function")(call_function)
    queue.tasks["tick"] = huey.periodic_task(crontab(), name="every_minute")(every_minute)
    return queue


def queue() -> Queue:
    return current_app.extensions["surveyapp.jobs"]


def immediate() -> bool:
    return queue().huey.immediate


def _put(key: str, value: dict[str, Any]) -> None:
    queue().huey.storage.put_data(key, json.dumps(value).encode())


def _peek(key: str) -> dict[str, Any] | None:
    from huey.constants import EmptyData

    raw = queue().huey.storage.peek_data(key)
    return None if raw is EmptyData or raw is None else json.loads(raw)


# --- starting and running ---------------------------------------------------------------------------


def start(session: Session, actor: User | None, kind: str, params: dict[str, Any],
          idempotency_key: str | None = None) -> Job:
    """Add a job (flushed, not committed); the caller commits, then calls :func:`enqueue`. With a key that
    was used before, the existing job is returned instead: a double-clicked button starts one job."""
    if kind not in _KINDS:
        raise KeyError(kind)
    if idempotency_key is not None:
        existing = session.scalar(sa.select(Job).where(Job.idempotency_key == idempotency_key))
        if existing is not None:
            return existing
    job = Job(kind=kind, params=params, idempotency_key=idempotency_key, status=QUEUED, created_at=clock.now(),
              created_by=actor)
    session.add(job)
    session.flush()
    return job


def enqueue(job: Job | int) -> None:
    """Hand a committed job to the queue. A queue that cannot be reached is logged, not raised: the job is
    in the database and :func:`recover` queues it later."""
    job_id = job if isinstance(job, int) else job.id
    try:
        queue().tasks["run_job"](job_id)
        _put(f"enqueued:{job_id}", {"at": time.time()})
    except Exception:  # the broker being down must not undo the committed request
        log.exception("job %s could not be queued now; it will be queued when the queue is back", job_id)


def call(name: str, *args: Any, delay: float | None = None) -> None:
    """Run a registered background function on a worker (after ``delay`` seconds); a queue that cannot be
    reached is logged (the once-a-minute run catches up)."""
    task = queue().tasks["call"]
    try:
        if delay and not immediate():
            task.schedule(args=(name, *args), delay=delay)
        elif not delay:
            task(name, *args)
    except Exception:  # see enqueue
        log.exception("background function %s could not be queued now", name)


def result_path(endpoint: str, **values: Any) -> str:
    """The path of a job's result page (``url_for``, also in a worker, where there is no request)."""
    with current_app.test_request_context("/"):
        return url_for(endpoint, **values)


def finish(job: Job, result_url: str | None = None) -> None:
    """Mark the job done, in the transaction that completes its work (so done means done)."""
    job.status, job.stage, job.finished_at, job.error = DONE, None, clock.now(), None
    job.result_url = result_url
    job.done = job.total = max(job.total, 1)


def _claim(session: Session, job_id: int) -> Job | None:
    # The first beat comes before the claim: a job marked running always has one to go stale.
    _put(f"progress:{job_id}", {"stage": None, "done": 0, "total": 0, "at": time.time()})
    claimed = session.execute(
        sa.update(Job).where(Job.id == job_id, Job.status == QUEUED)
        .values(status=RUNNING, attempts=Job.attempts + 1, started_at=clock.now(), error=None)
        .execution_options(synchronize_session=False)).rowcount
    session.commit()
    return session.get(Job, job_id) if claimed else None


def _run(job_id: int) -> None:
    session = db.session
    job = _claim(session, job_id)
    if job is None:  # taken by another worker, finished, or gone
        return
    kind = _KINDS.get(job.kind)
    with _heartbeat(job.id) as progress:
        try:
            if kind is None:
                raise RuntimeError(f"no job kind {job.kind!r}")
            log.info("job %s (%s) started, attempt %s", job.id, job.kind, job.attempts)
            kind.run(session, job, progress)
            if job.status != DONE:
                finish(job)
            session.commit()
        except Exception as exc:
            session.rollback()
            if isinstance(exc, DomainError):
                message = str(exc.message)
            else:
                log.exception("job %s (%s) failed", job_id, kind.name if kind else "?")
                message = _("An unexpected error stopped this job; it has been logged. Try again, and tell the "
                            "administrator if it happens again.")
            session.execute(sa.update(Job).where(Job.id == job_id).values(
                status=FAILED, error=message, finished_at=clock.now()).execution_options(synchronize_session=False))
            session.commit()


@contextmanager
def _heartbeat(job_id: int) -> Iterator[Progress]:
    """While the job runs, beat every few seconds in the queue's storage; yield its progress function."""
    interval = float(current_app.config["JOBS_HEARTBEAT_SECONDS"])
    state = {"stage": None, "done": 0, "total": 0}
    stop = threading.Event()
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def write() -> None:
        _put(f"progress:{job_id}", {**state, "at": time.time()})

    def beat() -> None:
        with app.app_context():
            while not stop.wait(interval):
                try:
                    write()
                except Exception:  # noqa: BLE001 - a missed beat is retried at the next one
                    log.warning("job %s: heartbeat not written", job_id)

    def progress(stage: str, done: int = 0, total: int = 0) -> None:
        state.update(stage=stage, done=done, total=total)
        write()

    thread = threading.Thread(target=beat, daemon=True, name=f"job-{job_id}-heartbeat")
    thread.start()
    try:
        yield progress
    finally:
        stop.set()
        thread.join()


def live(job: Job) -> dict[str, Any]:
    """How far a job is: its stage, done/total, as the running worker last said (or as stored)."""
    if job.status == RUNNING:
        state = _peek(f"progress:{job.id}")
        if state:
            return {"stage": state.get("stage"), "done": state.get("done", 0), "total": state.get("total", 0)}
    return {"stage": job.stage, "done": job.done, "total": job.total}


def recover() -> list[int]:
    """Queue again each job whose worker stopped beating (killed mid-run) and each queued job the queue
    never received; return their ids."""
    session = db.session
    stale = float(current_app.config["JOBS_STALE_SECONDS"])
    now = time.time()
    again = []
    for job in session.scalars(sa.select(Job).where(Job.status.in_((QUEUED, RUNNING))).order_by(Job.id)):
        if job.status == RUNNING:
            beat = _peek(f"progress:{job.id}")
            if beat is not None and now - beat["at"] < stale:
                continue
            job.status = QUEUED
        elif _peek(f"enqueued:{job.id}") is not None:
            continue
        else:  # never reached the queue: give the request that made it time to queue it, then queue it here
            seen = _peek(f"seen:{job.id}")
            if seen is None:
                _put(f"seen:{job.id}", {"at": now})
            if seen is None or now - seen["at"] < stale:
                continue
        again.append(job.id)
    session.commit()
    for job_id in again:
        log.warning("job %s is queued again (its worker stopped, or it never reached the queue)", job_id)
        enqueue(job_id)
    return again


def retry(session: Session, job: Job) -> None:
    """Queue a failed job again (the caller commits, then calls :func:`enqueue`)."""
    if job.status == FAILED:
        job.status, job.error, job.finished_at = QUEUED, None, None


def may_watch(user: User, job: Job) -> bool:
    """The job's starter, and the roles its kind names, may see it and retry it."""
    kind = _KINDS.get(job.kind)
    return job.created_by_id == user.id or (kind is not None and user.role in kind.roles)
