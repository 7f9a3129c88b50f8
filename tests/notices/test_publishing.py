"""Publishing as a background job on the real queues (the embedded SQLite one and Redis), with workers in
processes of their own: the request answers at once, a worker killed mid-publish leaves nothing published and
another worker completes the job; letters are stored with the revision."""
from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from surveyapp import jobs
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.feedback.models import Finding
from surveyapp.jobs.models import Job
from surveyapp.notices.models import NoticeLetter, NoticeRevision
from surveyapp.notifications.models import Notification
from surveyapp.visits.models import Visit
from tests.notices.conftest import NOV, at, publish, publish_fields

STALE = 2


@pytest.fixture
def app_config(app_config: dict[str, Any], jobs_url: str) -> dict[str, Any]:
    return {**app_config, "JOBS_URL": jobs_url, "JOBS_STALE_SECONDS": STALE, "JOBS_HEARTBEAT_SECONDS": 0.3}


def wait_for(condition: Callable[[], Any], timeout: float = 90, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # see what the worker committed
        result = condition()
        if result:
            return result
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what or condition}")


def count(model: Any, *where: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0


def descendants(pid: int) -> list[int]:
    """The processes forked by ``pid``, and by them in turn (Linux: ``/proc/<pid>/task/*/children``)."""
    found, todo = [], [pid]
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie, dead but not yet reaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_worker_killed_mid_publish_leaves_nothing_and_another_worker_completes_it(
        app, client, login_as, make_hall, make_user, make_visit, start_worker):
    halls = [make_hall(f"H{n}") for n in range(1, 4)]
    manager = make_user(Role.HALL_MANAGER, halls=[halls[0]])
    for hall in halls:
        make_visit(hall, "unannounced", answers={"appearance.uniform": "fail"}, visited_at=at(NOV))
    login_as(Role.MARKET)
    client.post("/notices/", data={"period": NOV})
    approved = count(Notification)  # the supervisors were told of their approved visits

    fields = publish_fields(client)  # the preview's version and hash, as the page sends them
    started = time.perf_counter()
    response = publish(client, fields=fields)
    assert time.perf_counter() - started < 5  # answered without doing the work (the figure is in tests/bench)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "等待后台处理" in page and "http-equiv=\"refresh\"" in page  # refreshes itself without JavaScript
    job = db.session.scalar(sa.select(Job))

    worker = start_worker()
    # the overlap: the visits are released (in the job's transaction) while a child of the worker renders
    wait_for(lambda: jobs.live(db.session.get(Job, job.id))["stage"] == "pdf", what="the notice being rendered")
    renderers = descendants(worker.pid)
    worker.send_signal(signal.SIGKILL)
    worker.wait(10)
    assert renderers, "the notice was not being rendered in a child process"
    wait_for(lambda: not any(alive(pid) for pid in renderers), timeout=10, what="the renderers to die with it")
    db.session.rollback()
    assert db.session.get(Job, job.id).status == "running"
    assert count(NoticeRevision) == 0 and count(Visit, Visit.released_at.is_not(None)) == 0
    assert count(Finding) == 0 and count(Notification) == approved

    time.sleep(STALE + 0.5)  # the killed worker's heartbeat goes stale; a new worker queues its job again
    start_worker()
    wait_for(lambda: db.session.get(Job, job.id).status == "done", what="the job to finish")
    done = db.session.get(Job, job.id)
    assert done.attempts == 2
    revision = db.session.scalar(sa.select(NoticeRevision))
    assert revision.number == 1 and revision.pdf.startswith(b"%PDF")
    assert done.result_url == f"/notices/revisions/{revision.id}"
    assert count(Visit, Visit.released_at.is_(None)) == 0 and count(Finding) == 3
    assert count(Notification, Notification.user_id == manager.id) == 2  # the released visit, the notice

    wait_for(lambda: count(NoticeLetter) == 3, what="the letters")
    letter = client.get(f"/notices/revisions/{revision.id}/halls/{halls[0].id}.pdf")
    stored = db.session.scalar(sa.select(NoticeLetter).where(NoticeLetter.hall_id == halls[0].id))
    assert letter.data == stored.pdf
    final = client.get(response.headers["Location"])  # the progress page ends on the published revision
    assert final.status_code == 302 and final.headers["Location"] == done.result_url
