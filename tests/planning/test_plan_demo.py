"""The demo's next month, planned by the automatic month plan; loading again changes nothing."""
from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from surveyapp.checklists.definition import VisitType
from surveyapp.db import db
from surveyapp.org.models import Hall
from surveyapp.planning.models import PlanProposal, ProposalStatus
from surveyapp.visits.models import Visit, VisitStatus


def test_the_demo_plans_next_month_with_the_planner(app, make_checklist):
    app.config["FROZEN_NOW"] = "2026-11-20T10:00:00+08:00"
    from surveyapp.demo.loader import discover

    make_checklist("hall-etiquette")
    make_checklist("social-supervisor")
    loaders = {loader.name: loader for loader in discover()}
    assert [name for name in loaders if name in ("visits", "visit_plan")] == ["visits", "visit_plan"]
    for name in ("org", "users", "visits"):
        loaders[name].load(db.session)
        db.session.commit()
    summary = loaders["visit_plan"].load(db.session)
    db.session.commit()
    assert summary.startswith("month plan 2026-12: ")
    december = db.session.scalars(sa.select(Visit).where(Visit.period == "2026-12")).all()
    halls = db.session.scalars(sa.select(Hall).where(Hall.active.is_(True))).all()
    per_hall = Counter((v.hall_id, v.type) for v in december)
    assert {v.status for v in december} == {VisitStatus.PLANNED}
    # Every hall gets its unannounced and social-supervisor visit; announced ones where an internal inspector covers it.
    assert all(per_hall[h.id, VisitType.UNANNOUNCED] == 1 and per_hall[h.id, VisitType.SUPERVISOR] == 1 for h in halls)
    assert max(per_hall.values()) == 1
    assert db.session.scalar(sa.select(PlanProposal.status)) is ProposalStatus.SAVED
    assert loaders["visit_plan"].load(db.session) == "month plan 2026-12 unchanged"
