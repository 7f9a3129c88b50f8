"""Evidence integrity figures: 5,000 halls × 3 submitted visits in one month (15,000 visits, 30,000 photos, each
with its perceptual-hash slices) by 200 supervisors, with about 1 % of the photos reused on a visit of another
hall and 2 % taken hours away from their visit.

Times the month's report (target < 1 s on PostgreSQL: what the report page and ``flask integrity`` read), the
report page itself, and a full recompute of the month's flags (``flask integrity --recompute``).

``python -m tests.bench integrity``. PostgreSQL as in :mod:`tests.bench.assessment` (a database
``<name>_bench_integrity``); SQLite in ``bench-results/integrity.sqlite``; kept between runs and rebuilt when the
recipe or the migrations change.
"""
from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections.abc import Iterator

import sqlalchemy as sa

from surveyapp import create_app
from surveyapp.db import db
from surveyapp.insight import integrity_queries as integrity
from surveyapp.insight.integrity import Rules
from surveyapp.photos import phash_bands
from surveyapp.visits.models import Visit
from tests.bench import Figure
from tests.bench.assessment import (
    _bulk,
    _stamp,
    _timed,
    bulk_database,
    load_note,
    measured,
    page_figure,
    print_figures,
    stored,
)

HALLS, UNITS, SUPERVISORS, PER_HALL, PHOTOS = 5000, 50, 200, 3, 2
PERIOD = "2026-11"
RECIPE = "integrity-bench-2"


def generate(url: str) -> None:
    rng = random.Random(20261203)
    visits, photos, bands = [], [], []
    with bulk_database(url, f"{RECIPE} {_stamp()}", f"{HALLS * PER_HALL:,} visits, {HALLS * PER_HALL * PHOTOS:,} photos"
                       ) as (conn, version):
        now = "2026-11-28 12:00:00"
        conn.execute(sa.text("INSERT INTO unit (id, code, name, parent_id, active) VALUES (:id, :code, :name, 1, true)"),
                     [{"id": 2 + u, "code": f"U{u:02d}", "name": f"支局{u}"} for u in range(UNITS)])
        conn.execute(sa.text("INSERT INTO hall (id, code, name, type, unit_id, active, latitude, longitude) "
                             "VALUES (:id, :code, :name, 'self-run', :unit, true, :lat, :lon)"),
                     [{"id": h, "code": f"H{h:05d}", "name": f"营业厅{h}", "unit": 2 + h % UNITS,
                       "lat": round(30 + rng.random() * 2, 6), "lon": round(120 + rng.random() * 2, 6)}
                      for h in range(1, HALLS + 1)])
        users = [{"id": s, "username": f"sup{s:03d}", "name": f"监督员{s}", "role": "supervisor"}
                 for s in range(1, SUPERVISORS + 1)]
        users.append({"id": SUPERVISORS + 1, "username": "market", "name": "市场部", "role": "market"})
        conn.execute(sa.text('INSERT INTO "user" (id, username, display_name, role, active, external, created_at) '
                             "VALUES (:id, :username, :name, :role, true, false, :now)"),
                     [{**u, "now": now} for u in users])
        base = dt.datetime(2026, 11, 1, 1, 0)
        for hall in range(1, HALLS + 1):
            for n in range(PER_HALL):
                vid = len(visits) + 1
                supervisor = 1 + (hall * PER_HALL + n) % SUPERVISORS
                # Each supervisor's visits are hours apart, so overlaps and travel stay rare, as in life.
                at = base + dt.timedelta(hours=4 * (vid // SUPERVISORS), minutes=rng.randrange(60))
                visits.append((vid, str(uuid.UUID(int=rng.getrandbits(128))), hall, version.id, "unannounced",
                               supervisor, "validated", PERIOD, at, at, at + dt.timedelta(minutes=30),
                               90, 100, 90, False, now, SUPERVISORS + 1, 1))
                for k in range(PHOTOS):
                    pid = len(photos) + 1
                    reused = photos and rng.random() < 0.01
                    sha, phash = (photos[rng.randrange(len(photos))][6:8] if reused
                                  else (f"{rng.getrandbits(256):064x}", f"{rng.getrandbits(64):016x}"))
                    taken = at + dt.timedelta(hours=5 if rng.random() < 0.02 else 0, minutes=k)
                    photos.append((pid, str(uuid.UUID(int=rng.getrandbits(128))), vid, f"s0.i{k}",
                                   str(uuid.UUID(int=rng.getrandbits(128))), f"{rng.getrandbits(128):032x}", sha, phash,
                                   200_000, 2048, 1536, taken, at))
                    bands += [(pid, b, v) for b, v in enumerate(phash_bands(phash))]
        _bulk(conn, "visit", "id, uid, hall_id, checklist_version_id, type, supervisor_id, status, period, visited_at, "
                             "started_at, submitted_at, earned, possible, score, redline, created_at, validated_by_id, "
                             "version", visits)
        _bulk(conn, "photo", "id, uid, visit_id, item_key, client_id, key, sha256, phash, size, width, height, "
                             "taken_at, uploaded_at", photos)
        _bulk(conn, "photo_hash_band", "photo_id, band, value", bands)
    # The month's flags, as the submission receiver stores them (ready() waits for them).
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url})
    with app.app_context():
        integrity.check(db.session, Visit.period == PERIOD, Rules())
        db.session.commit()
    app.extensions["surveyapp.db"][0].dispose()


def ready(url: str) -> bool:
    return stored(url, f"{RECIPE} {_stamp()}", "visit_flag", None)


def measure(label: str, url: str) -> Iterator[Figure]:
    load = load_note()
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        session = db.session
        median, best, report = _timed(lambda: integrity.month_report(session, PERIOD), 5)
        target = "; target < 1,000 ms" if label == "postgresql" else ""
        yield Figure(f"integrity report, {HALLS:,} halls, one month ({report.visits:,} visits, {report.flagged:,} "
                     "flagged)", label, median, "ms", f"best {best:.0f}; {load}{target}")
        start = time.perf_counter()
        integrity.check(session, Visit.period == PERIOD, Rules())
        session.commit()
        yield Figure(f"  recompute the month's flags ({HALLS * PER_HALL * PHOTOS:,} photos)", label,
                     (time.perf_counter() - start) * 1000, "ms", "flask integrity --recompute; once")
    yield page_figure(app, label, "integrity report page", f"/insight/integrity/?period={PERIOD}")
    app.extensions["surveyapp.db"][0].dispose()


def bench_integrity() -> Iterator[Figure]:
    """The month's integrity report for 5,000 halls, against the 1 s target."""
    return measured(measure, "integrity", ready, generate)


if __name__ == "__main__":
    print_figures(bench_integrity())
