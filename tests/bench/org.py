"""Organisation lists at scale: 5,000 halls and 30,000 staff (time per request, and bulk files)."""
from __future__ import annotations

import random
import time
from collections.abc import Iterator

import sqlalchemy as sa

from tests.bench import Figure, databases, make_app, timed

HALLS, STAFF, REPEAT = 5000, 30000, 20


def _populate(app) -> int:
    """Units (company, 5 branches, 50 districts), 5,000 halls, 30,000 staff; returns a hall id."""
    from surveyapp import clock
    from surveyapp.auth.models import Role, User
    from surveyapp.db import db
    from surveyapp.org.models import Hall, Staff, Unit

    rng = random.Random(5)
    with app.app_context():
        session = db.session
        units = [{"id": 1, "code": "JZ", "name": "江州通信", "parent_id": None, "active": True}]
        units += [{"id": 1 + b, "code": f"JZ0{b}", "name": f"第{b}分公司", "parent_id": 1, "active": True} for b in range(1, 6)]
        units += [{"id": 10 + d, "code": f"JZ0{d % 5 + 1}{d:02d}", "name": f"第{d}片区", "parent_id": 2 + d % 5, "active": True}
                  for d in range(50)]
        session.execute(sa.insert(Unit), units)
        halls = [{"id": h + 1, "code": f"H{h:05d}", "name": f"{rng.choice('东南西北中')}{h}号{'合作' if h % 10 else ''}营业厅",
                  "type": "cooperative" if h % 10 else "self-run", "unit_id": 10 + h % 50, "address": f"{h}号路",
                  "active": h % 40 != 0} for h in range(HALLS)]
        session.execute(sa.insert(Hall), halls)
        surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
        staff = [{"job_number": f"{s:06d}", "name": rng.choice(surnames) + rng.choice("伟芳娜敏静丽强磊军洋"),
                  "hall_id": s % HALLS + 1, "active": s % 25 != 0} for s in range(STAFF)]
        session.execute(sa.insert(Staff), staff)
        session.add(User(username="admin", display_name="管理员", role=Role.ADMIN, active=True, external=False,
                         created_at=clock.now()))
        session.commit()
        return 2500


def _client(app):
    from surveyapp.auth import services
    from surveyapp.auth.models import User
    from surveyapp.db import db

    client = app.test_client()
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "admin"))
        token = services.open_session(db.session, user, "127.0.0.1", "bench")
        db.session.commit()
    with client.session_transaction() as sess:
        sess["_user_id"] = token
    return client


PAGES = [
    ("hall list, first page", "/org/halls"),
    ("hall list, page 50", "/org/halls?page=50"),
    ("hall search by name (all match)", "/org/halls?q=营业厅"),
    ("hall search by code prefix", "/org/halls?q=H042"),
    ("hall list, one branch's subtree", "/org/halls?unit=JZ03&status=all"),
    ("hall detail with its staff", "/org/halls/{hall}"),
    ("unit tree", "/org/units/"),
    ("staff search by name (30,000)", "/org/staff/?q=王"),
    ("staff of one hall", "/org/staff/?hall=H02500"),
]


def bench_lists(repeat: int = REPEAT) -> Iterator[Figure]:
    """Median time per request of the organisation pages (max in the note)."""
    for label, url in databases():
        app = make_app(url)
        start = time.perf_counter()
        hall = _populate(app)
        yield Figure(f"insert {HALLS:,} halls and {STAFF:,} staff", label, (time.perf_counter() - start) * 1000, "ms")
        client = _client(app)
        for name, path in PAGES:
            path = path.format(hall=hall)

            def get(path: str = path, client=client) -> None:
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)

            median, worst = timed(get, repeat)
            yield Figure(f"GET {name}", label, median, "ms/request", f"max {worst:.0f} ms")
        yield from _bulk(app, client, label)
        app.extensions["surveyapp.db"][0].dispose()


def _bulk(app, client, label: str) -> Iterator[Figure]:
    """Export every hall, then import that file again (5,000 rows, nothing changes)."""
    from surveyapp import bulk
    from surveyapp.db import db

    start = time.perf_counter()
    data = client.get("/export/halls.xlsx?status=all").data
    yield Figure(f"export {HALLS:,} halls to XLSX", label, (time.perf_counter() - start) * 1000, "ms", f"{len(data) // 1024} KiB")
    with app.test_request_context():
        start = time.perf_counter()
        report = bulk.import_file(db.session, None, "halls", "halls.xlsx", data)
        db.session.commit()
        elapsed = (time.perf_counter() - start) * 1000
    yield Figure(f"re-import {HALLS:,} halls from XLSX", label, elapsed, "ms", f"{report.unchanged} unchanged")
