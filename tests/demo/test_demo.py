"""The demo: refused outside demo mode, complete, and idempotent."""
from __future__ import annotations

from collections import Counter

import sqlalchemy as sa

from surveyapp.auth.models import Role, User
from surveyapp.db import db
from surveyapp.org.models import Hall, HallType, Staff, Unit


def test_demo_load_refuses_unless_demo_mode(runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code != 0 and "demo mode is off" in result.output
    assert runner.invoke(args=["demo", "logins"]).exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_demo_data_is_complete_and_loads_idempotently(app, runner):
    app.config["DEMO"] = True
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    units = db.session.scalars(sa.select(Unit)).all()
    company = next(u for u in units if u.parent is None)
    branches = [c.name for c in company.children]
    assert len(branches) == 5 and sum("市区" in b for b in branches) == 1 and sum("县分公司" in b for b in branches) == 4
    halls = db.session.scalars(sa.select(Hall)).all()
    assert Counter(h.type for h in halls) == {HallType.SELF_RUN: 6, HallType.COOPERATIVE: 60}
    per_hall = Counter(s.hall_id for s in db.session.scalars(sa.select(Staff)))
    assert len(per_hall) == 66 and min(per_hall.values()) >= 3 and max(per_hall.values()) <= 8
    users = db.session.scalars(sa.select(User)).all()
    roles = Counter(u.role for u in users)
    assert roles[Role.ADMIN] == 1 and roles[Role.MARKET] == 2 and roles[Role.SUPERVISOR] == 6
    assert sum(u.external for u in users) == 4 and all(u.units for u in users if u.role is Role.SUPERVISOR)
    managed = {h.code for u in users if u.role is Role.HALL_MANAGER for h in u.halls}
    assert {h.code for h in halls if h.type is HallType.SELF_RUN} < managed
    before = {table: db.session.scalar(sa.select(sa.func.count()).select_from(table)) for table in (Unit, Hall, Staff, User)}
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0 and "+0 new, 0 updated" in result.output
    assert before == {table: db.session.scalar(sa.select(sa.func.count()).select_from(table)) for table in (Unit, Hall, Staff, User)}


def test_demo_logins_work(app, runner, client):
    app.config["DEMO"] = True
    runner.invoke(args=["demo", "load"])
    listing = runner.invoke(args=["demo", "logins"]).output
    assert "sup03" in listing and "hall_manager" in listing
    username, password = listing.splitlines()[2].split()[:2]
    assert username == "market1"
    assert client.post("/login", data={"username": username, "password": password}).status_code == 302
