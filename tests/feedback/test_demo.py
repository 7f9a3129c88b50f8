"""The demo feedback: a lived-in hall home (responses of every kind, overdue findings, messages), loaded once."""
from __future__ import annotations

import sqlalchemy as sa

from surveyapp import clock
from surveyapp.db import db
from surveyapp.feedback.models import (
    Appeal,
    AppealStatus,
    Finding,
    FindingStatus,
    Rectification,
)
from surveyapp.notifications.models import Notification


def test_demo_feedback(app, make_checklist):
    app.config["FROZEN_NOW"] = "2026-11-20T10:00:00+08:00"
    from surveyapp.demo.loader import discover

    make_checklist("hall-etiquette")
    make_checklist("social-supervisor")
    loaders = {loader.name: loader for loader in discover()}
    for name in ("org", "users", "visits", "feedback"):
        loaders[name].load(db.session)
        db.session.commit()
    findings = db.session.scalars(sa.select(Finding)).all()
    statuses = {f.status for f in findings}
    assert {FindingStatus.OPEN, FindingStatus.RECTIFIED, FindingStatus.VERIFIED, FindingStatus.WITHDRAWN} <= statuses
    assert {a.status for a in db.session.scalars(sa.select(Appeal))} == set(AppealStatus)
    assert any(r.accepted is False for r in db.session.scalars(sa.select(Rectification)))
    assert any(f.overdue_on(clock.today()) for f in findings)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(Notification.kind == "released"))
    rectifications = db.session.scalar(sa.select(sa.func.count()).select_from(Rectification))
    assert loaders["feedback"].load(db.session) == "feedback: already loaded"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Rectification)) == rectifications
