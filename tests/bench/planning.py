"""Visits planning: the automatic month plan (the pure planner at 5,000 halls × 3 visits; proposing, reviewing
and saving through the database), the calendar of a planned month, and the import of 1,000 paper records.

Run with ``make bench`` or ``python -m tests.bench planning``.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from tests.bench import Figure, databases, make_app, timed

#: The pure planner's size, and the size planned and saved through the database.
PURE_HALLS, DB_HALLS, SUPERVISORS, RECORDS = 5000, 1000, 60, 1000


def _organisation(halls: int, supervisors: int, seed: int = 5) -> tuple[list[Any], list[Any]]:
    """A company, 10 branches, 10 districts each; halls spread over the districts; supervisors covering a
    branch or one to three districts, half of them social supervisors."""
    from surveyapp.planning.autoplan import PlanHall, PlanSupervisor

    rng = random.Random(seed)
    plan_halls = [PlanHall(h, frozenset({0, 100 + h % 10, 1000 + h % 100})) for h in range(halls)]
    people = []
    for i in range(supervisors):
        branch = rng.randrange(10)
        units = {100 + branch} if rng.random() < 0.3 else {1000 + branch + 10 * rng.randrange(10) for _ in range(rng.randint(1, 3))}
        people.append(PlanSupervisor(10_000 + i, frozenset(units), external=rng.random() < 0.5))
    return plan_halls, people


def bench_pure_planner() -> Iterator[Figure]:
    """The planner alone: two consecutive months (the second avoiding the first's pairs)."""
    from surveyapp.checklists.definition import VisitType
    from surveyapp.planning.autoplan import MonthRequest, plan_month

    counts = {VisitType.ANNOUNCED: 1, VisitType.UNANNOUNCED: 1, VisitType.SUPERVISOR: 1}
    for halls, supervisors in ((500, 30), (PURE_HALLS, 300)):
        plan_halls, people = _organisation(halls, supervisors)
        start = time.perf_counter()
        first = plan_month(MonthRequest(plan_halls, people, counts, dt.date(2026, 11, 1), dt.date(2026, 11, 30), seed=1))
        took = time.perf_counter() - start
        yield Figure(f"plan {halls:,} halls × 3 visits, {supervisors} supervisors", "-", took, "s",
                     f"loads differ by {first.spread}")
        last = frozenset((a.supervisor_id, a.hall_id) for a in first.assignments)
        start = time.perf_counter()
        second = plan_month(MonthRequest(plan_halls, people, counts, dt.date(2026, 12, 1), dt.date(2026, 12, 31),
                                         last_month=last, seed=2))
        took = time.perf_counter() - start
        yield Figure(f"plan the next month avoiding last month's pairs ({halls:,} halls)", "-", took, "s",
                     f"{second.repeats} unavoidable repeats of {len(second.assignments):,}")


def _populate(app: Any, halls: int) -> dict[str, Any]:
    """Units, halls with two staff each, supervisors as in :func:`_organisation`, a market user, the checklists."""
    from surveyapp import clock
    from surveyapp.auth.models import Role, User, user_unit
    from surveyapp.checklists import services as checklist_services
    from surveyapp.checklists.loader import read_sources
    from surveyapp.db import db
    from surveyapp.org.models import Hall, Staff, Unit
    from surveyapp.resources import resource_dir

    _, people = _organisation(halls, SUPERVISORS)
    with app.app_context():
        session = db.session
        sources, _ = read_sources(sorted(resource_dir("forms").glob("*.toml")))
        checklist_services.load_sources(session, None, sources)
        units = [{"id": 1, "code": "JZ", "name": "江州通信", "parent_id": None}]
        units += [{"id": 101 + b, "code": f"B{b}", "name": f"第{b}分公司", "parent_id": 1} for b in range(10)]
        units += [{"id": 1001 + d, "code": f"D{d:02d}", "name": f"第{d}片区", "parent_id": 101 + d % 10} for d in range(100)]
        session.execute(sa.insert(Unit), [{**u, "active": True} for u in units])
        session.execute(sa.insert(Hall), [{"id": h + 1, "code": f"H{h:05d}", "name": f"{h}号营业厅", "type": "self-run",
                                           "unit_id": 1001 + h % 100, "active": True} for h in range(halls)])
        session.execute(sa.insert(Staff), [{"job_number": f"{h:05d}{n}", "name": "营业员", "hall_id": h + 1, "active": True}
                                           for h in range(halls) for n in (1, 2)])
        now = clock.now()
        session.execute(sa.insert(User), [
            {"id": 10_000 + i, "username": f"sup{i:03d}", "display_name": f"监督员{i}", "role": Role.SUPERVISOR,
             "active": True, "external": p.external, "created_at": now} for i, p in enumerate(people)]
            + [{"id": 1, "username": "market", "display_name": "刘敏", "role": Role.MARKET, "active": True,
                "external": False, "created_at": now}])
        # The planner's unit ids map to the database's: 0 → 1, 100 + b → 101 + b, 1000 + d → 1001 + d.
        session.execute(sa.insert(user_unit), [{"user_id": p.id, "unit_id": u + 1} for p in people for u in p.units])
        session.commit()
    return {"halls": halls}


def _client(app: Any) -> Any:
    from surveyapp.auth import services
    from surveyapp.auth.models import User
    from surveyapp.db import db

    client = app.test_client()
    with app.app_context():
        token = services.open_session(db.session, db.session.get(User, 1), "127.0.0.1", "bench")
        db.session.commit()
    with client.session_transaction() as sess:
        sess["_user_id"] = token
    return client


def bench_month_plan_in_the_database() -> Iterator[Figure]:
    """Propose, review and save next month for 1,000 halls × 3 visits; then the month's calendar."""
    from surveyapp.auth.models import User
    from surveyapp.checklists.definition import VisitType
    from surveyapp.db import db
    from surveyapp.planning import month_plan
    from surveyapp.visits import queries

    for label, url in databases():
        app = make_app(url)
        app.config["FROZEN_NOW"] = "2026-11-20T10:00:00+08:00"
        _populate(app, DB_HALLS)
        with app.app_context():
            market = db.session.get(User, 1)
            checklists = {t: queries.newest_versions(db.session, t)[0] for t in VisitType}
            settings = month_plan.MonthSettings("2026-12", None, {t: 1 for t in VisitType}, checklists, 4, 1)
            start = time.perf_counter()
            proposal = month_plan.propose(db.session, market, settings)
            db.session.commit()
            yield Figure(f"propose 2026-12 for {DB_HALLS:,} halls × 3 (gather, plan, store)", label,
                         time.perf_counter() - start, "s", f"{len(proposal.items):,} visits")
            uid = proposal.uid
        client = _client(app)
        median, worst = timed(lambda c=client, u=uid: c.get(f"/visits/plan-month/{u}"), 5)
        yield Figure("review page of that proposal (loads, warnings, first 50 visits)", label, median, "ms",
                     f"max {worst:.0f}")
        with app.app_context():
            proposal = month_plan.get_proposal(db.session, uid)
            start = time.perf_counter()
            visits = month_plan.save(db.session, db.session.get(User, 1), proposal, proposal.version)
            db.session.commit()
            took = time.perf_counter() - start
            yield Figure(f"save it: {len(visits):,} planned visits, each checked and audited", label, took, "s",
                         f"{len(visits) / took:,.0f} visits/s")
        median, worst = timed(lambda c=client: c.get("/visits/calendar/?month=2026-12"), 5)
        yield Figure(f"calendar of that month ({DB_HALLS * 3:,} visits)", label, median, "ms", f"max {worst:.0f}")
        median, worst = timed(lambda c=client: c.get("/visits/calendar/?month=2026-12&unit=1001"), 5)
        yield Figure("calendar of one district", label, median, "ms", f"max {worst:.0f}")
        app.extensions["surveyapp.db"][0].dispose()


def _records(app: Any, count: int) -> bytes:
    """``count`` paper records of November: full marks with a failed item each, evidence kept on paper."""
    from surveyapp.checklists import scoring
    from surveyapp.checklists.definition import ItemKind, VisitType
    from surveyapp.db import db
    from surveyapp.org.models import Hall
    from surveyapp.planning.autoplan import may_do
    from surveyapp.visits import queries

    rng = random.Random(3)
    records = []
    with app.app_context():
        halls = db.session.scalars(sa.select(Hall).order_by(Hall.id)).all()
        for n in range(count):
            kind = (VisitType.ANNOUNCED, VisitType.UNANNOUNCED, VisitType.SUPERVISOR)[n % 3]
            hall = halls[rng.randrange(len(halls))]
            supervisor = next((s for s in queries.supervisors_for_hall(db.session, hall) if may_do(s.external, kind)), None)
            if supervisor is None:
                continue
            version = queries.newest_versions(db.session, kind)[0]
            answers: dict[str, Any] = {}
            for item in scoring.applicable_items(version.definition, kind, hall.type):
                if item.kind is ItemKind.CHECK:
                    answers[item.key] = "pass"
                elif item.kind in (ItemKind.COUNT,):
                    answers[item.key] = 0
                elif item.kind is ItemKind.SCALE:
                    answers[item.key] = item.points
                elif item.kind is ItemKind.STAFF:
                    answers[item.key] = [hall.staff[0].job_number]
            failed = rng.choice([k for k, v in answers.items() if v == "pass"])
            answers[failed] = "fail"
            records.append({"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "hall": hall.code,
                            "form": version.checklist.slug, "form_version": version.version, "type": kind.value,
                            "supervisor": supervisor.username, "visited_at": f"2026-11-{1 + n % 19:02d}T10:20:00+08:00",
                            "answers": answers, "remarks": {failed: "现场记录"}, "staff": [hall.staff[1].job_number],
                            "scenario": "缴费", "impression": "营业员态度热情，业务办理较快，环境整洁有序。", "evidence": "paper"})
    return json.dumps({"visits": records}, ensure_ascii=False).encode()


def bench_import() -> Iterator[Figure]:
    """``flask visits import`` of 1,000 paper records (checked, submitted, scored, audited), then again unchanged."""
    from surveyapp.db import db
    from surveyapp.visits import imports
    from surveyapp.visits.rules import VisitSettings

    for label, url in databases():
        app = make_app(url)
        app.config["FROZEN_NOW"] = "2026-11-20T10:00:00+08:00"
        _populate(app, 200)
        data = _records(app, RECORDS)
        with app.app_context():
            start = time.perf_counter()
            report = imports.import_visits(db.session, None, data, "paper.json", settings=VisitSettings.of(app))
            db.session.commit()
            took = time.perf_counter() - start
            yield Figure(f"import {report.records:,} paper records", label, took, "s", f"{report.imported / took:,.0f} records/s")
            start = time.perf_counter()
            report = imports.import_visits(db.session, None, data, "paper.json", settings=VisitSettings.of(app))
            db.session.commit()
            yield Figure("import the same file again (all unchanged)", label, time.perf_counter() - start, "s",
                         f"{report.unchanged:,} unchanged")
        app.extensions["surveyapp.db"][0].dispose()
