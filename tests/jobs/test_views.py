"""The progress page of a job that failed: a clear error and a retry button, for its owner and the roles of its
kind only; the same job asked for twice is one job."""
from __future__ import annotations

import sqlalchemy as sa

from surveyapp import jobs
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.jobs.models import Job


def test_a_failed_job_says_so_and_can_be_retried_by_the_market_department_only(app, client, login, make_user, caplog):
    market = make_user(Role.MARKET)
    job = jobs.start(db.session, market, "letters", {"revision_id": 404, "hall_ids": [1]}, idempotency_key="k")
    assert jobs.start(db.session, market, "letters", {}, idempotency_key="k") is job  # a double click: one job
    db.session.commit()
    jobs.enqueue(job)  # runs at once on the tests' queue, and fails: there is no such revision
    db.session.refresh(job)
    assert (job.status, job.attempts) == ("failed", 1) and "letters" in caplog.text

    login(make_user(Role.MARKET))  # another market user may watch a publishing job too
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "任务因意外错误而中止" in page and "重试" in page and 'http-equiv="refresh"' not in page
    assert client.get(f"/jobs/{job.id}.json").get_json()["status"] == "failed"
    assert client.post(f"/jobs/{job.id}/retry").status_code == 302
    db.session.refresh(job)
    assert (job.status, job.attempts) == ("failed", 2)

    login(make_user(Role.HALL_MANAGER))
    assert client.get(f"/jobs/{job.id}").status_code == 404
    assert client.post(f"/jobs/{job.id}/retry").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1
