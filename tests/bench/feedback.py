"""Feedback figures on a month of 1,000 halls × 8 visits × 40 items (the assessment bench's data recipe, smaller):
releasing the whole month at once (as publishing its notice does) makes every finding and message; then the
hall manager's home, the market department's findings list and the inbox, with every finding open.

Run with ``make bench`` or ``python -m tests.bench feedback``.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from tests.bench import Figure, databases, timed

HALLS = 1000
REPEAT = 20


def _generate(url: str) -> None:
    from tests.bench import assessment

    saved = assessment.HALLS
    assessment.HALLS = HALLS
    try:
        assessment.generate(url)
    finally:
        assessment.HALLS = saved


def _client(app: Any, username: str) -> Any:
    from surveyapp.auth import services as auth_services
    from surveyapp.auth.models import User
    from surveyapp.db import db

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        token = auth_services.open_session(db.session, user, "127.0.0.1", "bench")
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = token
    return client


def _figures(label: str, url: str) -> Iterator[Figure]:
    from surveyapp import create_app
    from surveyapp.auth.models import User
    from surveyapp.db import db
    from surveyapp.feedback.models import Finding
    from surveyapp.notifications.models import Notification
    from surveyapp.users import services as users_services
    from surveyapp.visits import validation
    from surveyapp.visits.models import Visit

    _generate(url)
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False,
                      "FROZEN_NOW": "2026-12-02T10:00:00+08:00"})
    with app.app_context():
        for hall in range(1, HALLS + 1):  # every hall has a manager, so every release sends a message
            users_services.create_user(db.session, None, username=f"hm{hall}", display_name=f"厅长{hall}",
                                      role="hall_manager", hall_codes=[f"H{hall:05d}"])
        db.session.commit()
        visits = db.session.scalars(sa.select(Visit).order_by(Visit.id)).all()
        market = db.session.scalar(sa.select(User).where(User.username == "market"))
        start = time.perf_counter()
        validation.release_visits(db.session, market, visits)
        db.session.commit()
        seconds = time.perf_counter() - start
        findings = db.session.scalar(sa.select(sa.func.count()).select_from(Finding))
        messages = db.session.scalar(sa.select(sa.func.count()).select_from(Notification))
    yield Figure("release a month (8,000 visits): findings and messages made", label, seconds, "s",
                 f"{findings:,} findings, {messages:,} messages")
    hall = _client(app, "hm1")
    market_client = _client(app, "market")
    for name, client, path in (("hall manager's home", hall, "/feedback/hall"),
                               ("hall's findings list", hall, "/feedback/findings"),
                               ("market findings list, all halls open", market_client, "/feedback/findings?show=open"),
                               ("market findings list, overdue", market_client, "/feedback/findings?show=overdue"),
                               ("inbox", hall, "/inbox/")):
        def get(path: str = path, client: Any = client) -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        median, worst = timed(get, REPEAT)
        yield Figure(name, label, median, "ms", f"max {worst:.0f} ms")
    app.extensions["surveyapp.db"][0].dispose()


def bench_feedback() -> Iterator[Figure]:
    for label, url in databases():
        yield from _figures(label, url)
