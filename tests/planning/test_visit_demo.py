"""The demo visits: loaded through the services on top of the demo company, and loading again changes nothing."""
from __future__ import annotations

import sqlalchemy as sa

from surveyapp.db import db
from surveyapp.visits.models import Answer, Photo, Visit, VisitStatus


def test_demo_visits_of_two_months(app, make_checklist):
    app.config["FROZEN_NOW"] = "2026-11-20T10:00:00+08:00"
    from surveyapp.demo.loader import discover

    make_checklist("hall-etiquette")
    make_checklist("social-supervisor")
    loaders = {loader.name: loader for loader in discover()}
    for name in ("org", "users", "visits"):
        loaders[name].load(db.session)
        db.session.commit()
    visits = db.session.scalars(sa.select(Visit)).all()
    by_month = {period: [v for v in visits if v.period == period] for period in ("2026-10", "2026-11")}
    assert len(by_month["2026-10"]) > 66 and len(by_month["2026-11"]) > 66
    october = by_month["2026-10"]
    assert all(v.status in (VisitStatus.VALIDATED, VisitStatus.REJECTED) for v in october)
    assert all(v.released_at is not None for v in october if v.status is VisitStatus.VALIDATED)
    statuses = {v.status for v in by_month["2026-11"]}
    assert {VisitStatus.VALIDATED, VisitStatus.SUBMITTED, VisitStatus.RETURNED, VisitStatus.IN_PROGRESS,
            VisitStatus.PLANNED} <= statuses
    scores = [v.score for v in visits if v.score is not None]
    assert sum(1 for v in visits if v.redline) >= 2 and len({round(s) for s in scores}) > 5
    assert all(v.visited_at <= v.received_at for v in visits if v.received_at)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) > 0
    answers = db.session.scalar(sa.select(sa.func.count()).select_from(Answer))
    assert loaders["visits"].load(db.session) == "visits +0 new (previous and current month)"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Answer)) == answers


def test_demo_data_on_the_first_of_a_month_is_plausible(app, make_checklist):
    """No time after the app's clock (last month's release happens on the 3rd, which is still ahead on the 1st),
    and every remark is about its own item (not "the clerk was busy" under drinking on duty)."""
    app.config["FROZEN_NOW"] = "2026-12-01T08:30:00+08:00"
    from surveyapp import clock
    from surveyapp.audit.models import AuditEntry
    from surveyapp.demo import scenes
    from surveyapp.demo.loader import discover
    from surveyapp.visits.models import VisitEvent

    make_checklist("hall-etiquette")
    make_checklist("social-supervisor")
    loaders = {loader.name: loader for loader in discover()}
    for name in ("org", "users", "visits", "notice", "feedback"):
        loaders[name].load(db.session)
        db.session.commit()
    now = clock.now()
    assert db.session.scalar(sa.select(sa.func.max(AuditEntry.at))) <= now
    assert db.session.scalar(sa.select(sa.func.max(VisitEvent.at))) <= now
    answers = db.session.scalars(sa.select(Answer).where(Answer.remark.is_not(None)).order_by(Answer.id)).all()
    assert len(answers) > 20
    for answer in answers:
        item = answer.visit.checklist_version.definition.item(answer.item.key)
        assert answer.remark in scenes.REMARKS.get(item.id, ()) or item.text.rstrip("。；;") in answer.remark, (
            item.text, answer.remark)
