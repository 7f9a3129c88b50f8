"""Concurrent repeats of one submission over real HTTP (threads against the live server): one revision, one
visit state change, every request answered 200 with the same result; on SQLite and on PostgreSQL."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid

import sqlalchemy as sa

from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.visits.models import (
    Answer,
    Visit,
    VisitEvent,
    VisitRevision,
    VisitStatus,
)
from tests.visits.test_supervisor import page_fields

REPEATS = 20


def test_twenty_concurrent_repeats_of_a_submission_make_one_revision(live_server, client, login, make_visit,
                                                                     make_user, make_staff, make_hall):
    hall = make_hall()
    make_staff(hall, "1001")
    supervisor = make_user(Role.SUPERVISOR, units=[hall.unit])
    visit = make_visit(hall, "unannounced", supervisor, status="in_progress")
    login(supervisor)
    token = client.csrf_token()
    cookie = client.get_cookie("surveyapp_session").value
    body = json.dumps({"submission_id": str(uuid.uuid4()), "fields": page_fields(visit),
                       "submitted_at": "2026-01-01T00:00:00+00:00"}).encode()
    barrier = threading.Barrier(REPEATS)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def submit() -> None:
        request = urllib.request.Request(
            f"{live_server}/my/visits/{visit.uid}/submit", data=body, method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token,
                     "Cookie": f"surveyapp_session={cookie}"})
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                outcome = (response.status, json.loads(response.read()))
        except urllib.error.HTTPError as error:
            outcome = (error.code, json.loads(error.read() or b"{}"))
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=submit) for _ in range(REPEATS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert [status for status, _ in results] == [200] * REPEATS, results
    assert sum(1 for _, data in results if not data["repeated"]) == 1
    assert {data["revision"] for _, data in results} == {1}
    db.session.expire_all()
    count = lambda model: db.session.scalar(sa.select(sa.func.count()).select_from(model))
    assert count(VisitRevision) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitEvent).where(VisitEvent.action == "submit")) == 1
    stored = db.session.get(Visit, visit.id)
    assert stored.status is VisitStatus.SUBMITTED
    assert count(Answer) == len([f for f in page_fields(visit) if "." in f[0]])
