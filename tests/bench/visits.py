"""Visits: the supervisor's phone page and its JSON calls (47-item checklist), concurrent repeats of one
submission over HTTP, and the market department's lists over 20,000 visits.

Run with ``make bench`` or ``python -m tests.bench visits``.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa

from tests.bench import Figure, databases, make_app, timed

REPEAT, CONCURRENT, VISITS = 20, 20, 20_000


def _setup(app: Any) -> dict[str, Any]:
    """The shipped checklists, a hall with staff, a supervisor and a market user."""
    from surveyapp.checklists import services as checklist_services
    from surveyapp.checklists.loader import read_sources
    from surveyapp.db import db
    from surveyapp.org.models import Hall, Staff, Unit
    from surveyapp.resources import resource_dir
    from surveyapp.users import services as users_services

    with app.app_context():
        sources, _ = read_sources(sorted(resource_dir("forms").glob("*.toml")))
        checklist_services.load_sources(db.session, None, sources)
        unit = Unit(code="JZ", name="江州通信")
        hall = Hall(code="H0001", name="中山路营业厅", type="self-run", unit=unit)
        db.session.add_all([unit, hall, Staff(job_number="1001", name="张三", hall=hall)])
        db.session.flush()
        supervisor = users_services.create_user(db.session, None, username="sup", display_name="王建国",
                                               role="supervisor", unit_codes=["JZ"])
        market = users_services.create_user(db.session, None, username="market", display_name="刘敏", role="market")
        db.session.commit()
        return {"hall": hall.id, "supervisor": supervisor.id, "market": market.id, "unit": unit.id}


def _client(app: Any, user_id: int) -> Any:
    from surveyapp.auth import services
    from surveyapp.auth.models import User
    from surveyapp.db import db

    client = app.test_client()
    with app.app_context():
        token = services.open_session(db.session, db.session.get(User, user_id), "127.0.0.1", "bench")
        db.session.commit()
    with client.session_transaction() as sess:
        sess["_user_id"] = token
    return client


def _started_visits(app: Any, ids: dict[str, Any], n: int, start: bool = True) -> list[Any]:
    from surveyapp import clock
    from surveyapp.auth.models import User
    from surveyapp.db import db
    from surveyapp.org.models import Hall
    from surveyapp.planning import services as planning
    from surveyapp.visits import queries, services

    with app.app_context():
        hall, supervisor = db.session.get(Hall, ids["hall"]), db.session.get(User, ids["supervisor"])
        version = queries.newest_versions(db.session, "unannounced")[0]
        today = clock.today()
        uids = []
        for _ in range(n):
            visit = planning.plan_visit(db.session, None, planning.Plan(hall, version, "unannounced", supervisor,
                                                                         today, today + dt.timedelta(days=7)))
            if start:
                services.start_visit(db.session, supervisor, visit)
            uids.append(visit.uid)
        db.session.commit()
        return uids


def _fields(app: Any, uid: str) -> list[list[str]]:
    """What the page posts for a complete visit (every item passes)."""
    from surveyapp import clock
    from surveyapp.db import db
    from surveyapp.visits.models import Visit
    from tests.conftest import full_marks

    with app.app_context():
        visit = db.session.scalar(sa.select(Visit).where(Visit.uid == uid))
        answers = full_marks(visit.checklist_version, "unannounced", "self-run", ["1001"])
        local = clock.local(clock.now()).strftime("%Y-%m-%dT%H:%M")
    fields = [[k, ",".join(v) if isinstance(v, list) else str(v)] for k, v in answers.items()]
    return fields + [["visited_at", local], ["scenario", "缴费"], ["impression", "营业员态度热情，办理迅速，环境整洁有序。"]]


def bench_phone_page(repeat: int = REPEAT) -> Iterator[Figure]:
    """Time per request of the checklist page and its JSON calls; 20 concurrent repeats of a submission."""
    for label, url in databases():
        yield from _phone_figures(label, url, repeat)


def _phone_figures(label: str, url: str, repeat: int) -> Iterator[Figure]:
    json_headers = {"Accept": "application/json"}
    app = make_app(url)
    ids = _setup(app)
    client = _client(app, ids["supervisor"])
    uids = _started_visits(app, ids, repeat + 2 + 1)
    fields = _fields(app, uids[0])
    median, worst = timed(lambda: client.get(f"/my/visits/{uids[0]}").close(), repeat)
    yield Figure("checklist page (42 items asked), GET", label, median, "ms", f"max {worst:.1f} ms")
    moments = iter(range(10**6))

    def autosave() -> None:
        at = (dt.datetime.now(dt.UTC) + dt.timedelta(microseconds=next(moments))).isoformat()
        assert client.post(f"/my/visits/{uids[0]}/draft", json={"fields": fields, "client_at": at},
                           headers=json_headers).status_code == 200

    median, worst = timed(autosave, repeat)
    yield Figure("autosave of the whole draft, POST", label, median, "ms", f"max {worst:.1f} ms")
    pending = iter(uids[1:-1])

    def submit() -> None:
        response = client.post(f"/my/visits/{next(pending)}/submit", headers=json_headers,
                               json={"submission_id": str(uuid.uuid4()), "fields": fields})
        assert response.status_code == 200, response.get_data(as_text=True)

    median, worst = timed(submit, repeat)
    yield Figure("submission (scored, 45 answer rows), POST", label, median, "ms", f"max {worst:.1f} ms")
    yield Figure(f"{CONCURRENT} concurrent repeats of one submission over HTTP", label,
                 _concurrent(app, client, uids[-1], fields), "ms", "all answered 200, one revision")
    app.extensions["surveyapp.db"][0].dispose()


CPU_REPEAT = 40


def bench_cpu(repeat: int = CPU_REPEAT) -> Iterator[Figure]:
    """CPU time of the app process (``time.process_time``: valid on a shared machine, the database server's
    work not included) per start of a visit, phone page and JSON submission (the load suite's supervisors'
    requests), and per visit page of the market department (its validators' heaviest page in the load suite)."""
    for label, url in databases("cpu"):
        yield from _cpu_figures(label, url, repeat)


def _cpu_figures(label: str, url: str, repeat: int) -> Iterator[Figure]:
    app = make_app(url)
    ids = _setup(app)
    client = _client(app, ids["supervisor"])
    uids = _started_visits(app, ids, 2 * repeat + 2)
    planned = _started_visits(app, ids, repeat + 2, start=False)
    fields = _fields(app, uids[0])
    pages, submissions = uids[: repeat + 1], uids[repeat + 1:]

    def start(uid: str) -> None:
        assert client.post(f"/my/visits/{uid}/start").status_code == 302

    def page(uid: str) -> None:
        client.get(f"/my/visits/{uid}").close()

    def submit(uid: str) -> None:
        response = client.post(f"/my/visits/{uid}/submit", headers={"Accept": "application/json"},
                               json={"submission_id": str(uuid.uuid4()), "fields": fields})
        assert response.status_code == 200, response.get_data(as_text=True)

    market = _client(app, ids["market"])

    def validate(uid: str) -> None:
        app.config["WTF_CSRF_ENABLED"] = True  # the page draws its decision forms' tokens
        response = market.get(f"/visits/{uid}")
        app.config["WTF_CSRF_ENABLED"] = False
        assert response.status_code == 200
        response.close()

    for name, action, visits in (("start of a visit, POST", start, planned),
                                 ("phone checklist page, GET", page, pages),
                                 ("JSON submission (45 answers), POST", submit, submissions),
                                 ("market department's visit page, GET", validate, submissions)):
        yield Figure(f"CPU per {name}", label, _cpu(action, visits[: repeat // 2 + 1]), "ms",
                     f"median of {repeat // 2}")
        yield Figure(f"Python calls per {name}", label, _calls(action, visits[repeat // 2 + 1:]), "k",
                     "thousands of function calls, mean (load-independent)")
    app.extensions["surveyapp.db"][0].dispose()


def _calls(action: Callable[[str], Any], uids: list[str]) -> float:
    """Mean number of Python function calls (thousands) per ``action(uid)``: unlike time, the same on a busy
    machine, so two versions of the code compare exactly."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    for uid in uids:
        action(uid)
    profile.disable()
    return pstats.Stats(profile).total_calls / len(uids) / 1000  # type: ignore[attr-defined]


def _cpu(action: Callable[[str], Any], uids: list[str]) -> float:
    """Median CPU milliseconds of this process per ``action(uid)`` over ``uids`` (after one warm-up on the first):
    the median, as other work on a shared machine inflates single requests (caches, frequency)."""
    action(uids[0])
    times = []
    for uid in uids[1:]:
        start = time.process_time()
        action(uid)
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def _concurrent(app: Any, client: Any, uid: str, fields: list[list[str]]) -> float:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cookie = client.get_cookie("surveyapp_session").value
    body = json.dumps({"submission_id": str(uuid.uuid4()), "fields": fields}).encode()
    barrier, statuses = threading.Barrier(CONCURRENT + 1), []

    def send() -> None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.server_port}/my/visits/{uid}/submit", data=body, method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json",
                     "Cookie": f"surveyapp_session={cookie}"})
        barrier.wait()
        with urllib.request.urlopen(request, timeout=60) as response:
            statuses.append(response.status)

    threads = [threading.Thread(target=send) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = (time.perf_counter() - start) * 1000
    server.shutdown()
    assert statuses == [200] * CONCURRENT, statuses
    return elapsed


def _many_visits(app: Any, ids: dict[str, Any]) -> None:
    """20,000 visits of 50 supervisors over 500 halls in 50 districts and 12 months, in every state
    (inserted directly)."""
    from surveyapp import clock
    from surveyapp.auth.models import User, user_hall
    from surveyapp.db import db
    from surveyapp.org.models import Hall, Unit
    from surveyapp.visits import queries
    from surveyapp.visits.models import Visit

    rng = random.Random(4)
    with app.app_context():
        session = db.session
        session.execute(sa.insert(Unit), [{"id": 100 + d, "code": f"D{d:02d}", "name": f"第{d}片区",
                                          "parent_id": ids["unit"], "active": True} for d in range(50)])
        session.execute(sa.insert(Hall), [{"id": 1000 + h, "code": f"H{h:05d}", "name": f"{h}号营业厅",
                                           "type": "cooperative", "unit_id": 100 + h % 50, "active": True}
                                          for h in range(500)])
        session.execute(sa.insert(user_hall), [{"user_id": ids["market"], "hall_id": 1000}])  # for the hall query
        version = queries.newest_versions(session, "unannounced")[0].id
        now = clock.now()
        others = [User(username=f"sup{n:02d}", display_name=f"监督员{n}", role="supervisor", created_at=now)
                  for n in range(49)]
        session.add_all(others)
        session.flush()
        supervisors = [ids["supervisor"]] + [u.id for u in others]
        statuses = ["validated"] * 6 + ["submitted", "returned", "planned", "in_progress", "rejected", "cancelled"]
        rows = []
        for n in range(VISITS):
            month = 1 + n % 12
            status = rng.choice(statuses)
            visited = dt.datetime(2026, month, 1 + n % 27, 10, tzinfo=dt.UTC)
            rows.append({
                "uid": str(uuid.UUID(int=rng.getrandbits(128))), "hall_id": 1000 + n % 500,
                "checklist_version_id": version, "type": rng.choice(["announced", "unannounced", "supervisor"]),
                "supervisor_id": supervisors[n % 50], "status": status, "due_from": visited.date(),
                "due_until": visited.date() + dt.timedelta(days=7), "period": f"2026-{month:02d}",
                "visited_at": visited, "received_at": visited, "released_at": visited if status == "validated" else None,
                "score": rng.randrange(6000, 10000) / 100 if status in ("validated", "submitted") else None,
                "redline": False, "created_at": now, "version": 1,
            })
        session.execute(sa.insert(Visit), rows)
        session.commit()


LISTS = [
    ("visit list, first page", "market", "/visits/"),
    ("visit list, page 100", "market", "/visits/?page=100"),
    ("visit list, one district's subtree", "market", "/visits/?unit=120"),
    ("visit list, one month, validated", "market", "/visits/?month=2026-06&status=validated"),
    ("validation queue", "market", "/visits/queue"),
    ("supervisor's My visits (400 of theirs)", "supervisor", "/my/visits"),
    ("hall manager's results (40 released)", "hall", "/hall/visits/"),
]


def bench_lists(repeat: int = REPEAT) -> Iterator[Figure]:
    """Time per request of the visit lists over 20,000 visits (max in the note)."""
    for label, url in databases():
        app = make_app(url)
        ids = _setup(app)
        start = time.perf_counter()
        _many_visits(app, ids)
        yield Figure(f"insert {VISITS:,} visits", label, (time.perf_counter() - start) * 1000, "ms")
        with app.app_context():
            from surveyapp.db import db
            from surveyapp.users import services as users_services

            manager = users_services.create_user(db.session, None, username="hm", display_name="厅经理",
                                                role="hall_manager", hall_codes=["H00000"])
            db.session.commit()
            ids["hall"] = manager.id
        clients = {role: _client(app, ids[role]) for role in ("market", "supervisor", "hall")}
        for name, role, path in LISTS:
            median, worst = timed(lambda c=clients[role], p=path: c.get(p).close(), repeat)
            yield Figure(name, label, median, "ms", f"max {worst:.1f} ms")
        app.extensions["surveyapp.db"][0].dispose()


if __name__ == "__main__":
    for bench in (bench_phone_page, bench_lists):
        for figure in bench():
            print(f"{figure.database:<10} {figure.name}: {figure.value:.1f} {figure.unit} {figure.note}")
