"""Rater calibration figures: 5,000 halls × 8 validated visits × 3 months (120,000 visits) by 200 supervisors.

Times the calibration of a month over its 3-month window (target ≤ 2 s on PostgreSQL), its SQL read and its
model, the calibration page, and ``assess`` with the policy's opt-in to severity-adjusted scores beside the
plain ``assess`` of the same month. The supervisors have known severities, so the figures also say how close
the estimates came (on this much data, within a fraction of a point).

``python -m tests.bench calibration``. PostgreSQL as in :mod:`tests.bench.assessment` (a database
``<name>_bench_calibration``); SQLite in ``bench-results/calibration.sqlite``. The databases are kept between runs and
rebuilt when the recipe or the migrations change.
"""
from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import sqlalchemy as sa

from surveyapp import create_app
from surveyapp.assessment import services as assessment
from surveyapp.db import db
from surveyapp.insight import calibration_queries as calibration
from tests.bench import Figure
from tests.bench.assessment import (
    CHANNELS,
    _bulk,
    _stamp,
    _timed,
    bulk_database,
    forget_stored,
    load_note,
    measured,
    page_figure,
    print_figures,
    stored,
)

HALLS, UNITS, PER_UNIT, PERIODS = 5000, 50, 4, ("2026-09", "2026-10", "2026-11")
SUPERVISORS = UNITS * PER_UNIT
RECIPE = "calibration-bench-1"


def severity_of(supervisor: int) -> float:
    """The known truth: most supervisors within ±3 points, every tenth +8, every fifteenth −6."""
    if supervisor % 10 == 0:
        return 8.0
    if supervisor % 15 == 0:
        return -6.0
    return ((supervisor * 37) % 13 - 6) / 2


def visitors(hall: int, month: int) -> list[int]:
    """Eight visits per hall and month: the hall's unit's 4 supervisors twice, except that the last visit is by a
    supervisor of the next unit, so every unit is linked to the others (a connected design)."""
    unit = hall % UNITS
    pool = [1 + unit * PER_UNIT + k for k in range(PER_UNIT)]
    chosen = [pool[(hall + month + n) % PER_UNIT] for n in range(7)]
    return [*chosen, 1 + ((unit + 1) % UNITS) * PER_UNIT + (hall + month) % PER_UNIT]


def generate(url: str) -> None:
    rng = random.Random(20261130)
    visits = []
    with bulk_database(url, f"{RECIPE} {_stamp()}", f"{HALLS * 8 * len(PERIODS):,} visits") as (conn, version):
        now = "2026-11-28 12:00:00"
        conn.execute(sa.text("INSERT INTO unit (id, code, name, parent_id, active) VALUES (:id, :code, :name, 1, true)"),
                     [{"id": 2 + u, "code": f"U{u:02d}", "name": f"支局{u}"} for u in range(UNITS)])
        conn.execute(sa.text("INSERT INTO hall (id, code, name, type, unit_id, active) "
                             "VALUES (:id, :code, :name, 'self-run', :unit, true)"),
                     [{"id": h, "code": f"H{h:05d}", "name": f"营业厅{h}", "unit": 2 + h % UNITS}
                      for h in range(1, HALLS + 1)])
        users = [{"id": s, "username": f"sup{s:03d}", "name": f"监督员{s}", "role": "supervisor"}
                 for s in range(1, SUPERVISORS + 1)]
        users.append({"id": SUPERVISORS + 1, "username": "market", "name": "市场部", "role": "market"})
        conn.execute(sa.text('INSERT INTO "user" (id, username, display_name, role, active, external, created_at) '
                             "VALUES (:id, :username, :name, :role, true, false, :now)"),
                     [{**u, "now": now} for u in users])
        for hall in range(1, HALLS + 1):
            quality = rng.uniform(60, 92)
            for month, period in enumerate(PERIODS):
                this_month = quality + rng.gauss(0, 2)
                for n, supervisor in enumerate(visitors(hall, month)):
                    score = round(max(0.0, min(100.0, this_month + severity_of(supervisor) + rng.gauss(0, 4))))
                    visits.append((len(visits) + 1, str(uuid.UUID(int=rng.getrandbits(128))), hall, version.id,
                                   CHANNELS[n], supervisor, "validated", period, f"{period}-{1 + n * 3:02d} 02:00:00",
                                   score, 100, Decimal(score), False, now, SUPERVISORS + 1, 1))
        _bulk(conn, "visit", "id, uid, hall_id, checklist_version_id, type, supervisor_id, status, period, visited_at, "
                             "earned, possible, score, redline, created_at, validated_by_id, version", visits)


def ready(url: str) -> bool:
    return stored(url, f"{RECIPE} {_stamp()}", "visit", HALLS * 8 * len(PERIODS))


def measure(label: str, url: str) -> Iterator[Figure]:
    load = load_note()
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        session = db.session
        period, months = PERIODS[-1], len(PERIODS)
        median, best, report = _timed(lambda: calibration.month_report(session, period, months), 5)
        target = "; target ≤ 2,000 ms" if label == "postgresql" else ""
        truth = {f"sup{s:03d}": severity_of(s) for s in range(1, SUPERVISORS + 1)}
        consensus = sum(truth[line.username] * line.rater.visits for line in report.lines) / \
            sum(line.rater.visits for line in report.lines)
        worst = max(abs(line.rater.severity - (truth[line.username] - consensus)) for line in report.lines
                    if line.rater.severity is not None)
        flagged = sum(1 for line in report.lines if {"lenient", "severe"} & set(line.rater.flags))
        yield Figure(f"calibration, {HALLS:,} halls, {months} months ({report.calibration.model_visits:,} visits, "
                     f"{len(report.lines)} supervisors)", label, median, "ms",
                     f"best {best:.0f}; largest error {worst:.2f} points; {flagged} lenient or severe; {load}{target}")
        periods = calibration.window(period, months)
        read_median, _, ratings = _timed(lambda: calibration.ratings(session, periods), 5)
        yield Figure(f"  of which the SQL read ({len(ratings.scores):,} rows)", label, read_median, "ms")
        plain_median, _, _ = _timed(lambda: assessment.assess(session, period), 3, lambda: forget_stored(session))
        yield Figure(f"assess {period}, plain", label, plain_median, "ms")
        rules = assessment.current_policy(session).policy
        adjusted = replace(rules, calibration=replace(rules.calibration, adjust=True))
        adjusted_median, _, _ = _timed(lambda: assessment.assess(session, period, policy=adjusted), 3,
                                       lambda: forget_stored(session))
        yield Figure(f"assess {period} with severity-adjusted scores", label, adjusted_median, "ms",
                     "calibrates the month and the one before it, then assesses")
    yield page_figure(app, label, f"calibration page ({SUPERVISORS} supervisors)",
                      f"/insight/calibration/?period={PERIODS[-1]}")
    app.extensions["surveyapp.db"][0].dispose()


def bench_calibration() -> Iterator[Figure]:
    """Calibration of 5,000 halls over 3 months, against the 2 s target."""
    return measured(measure, "calibration", ready, generate)


if __name__ == "__main__":
    print_figures(bench_calibration())
