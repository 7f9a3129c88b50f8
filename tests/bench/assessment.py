"""Assessment figures: ``assess`` for 5,000 halls × 8 validated visits × 40 items (1.6 M answers).

Times ``assess`` on PostgreSQL (target ≤ 3 s) and SQLite, the single hand-written SQL query that computes the
same hall scores (and checks that both agree), and the results page, the Excel export and the JSON of
``flask assess`` on the same month.

``make bench`` (``python -m tests.bench``) runs :func:`bench_assess` with the other benchmarks; run it alone with
``python -m tests.bench assessment`` or ``python -m tests.bench.assessment``.
PostgreSQL: ``SURVEYAPP_BENCH_DATABASE_URL``, else ``SURVEYAPP_TEST_DATABASE_URL``, else what ``.ci/postgres``
prints; the data goes to a database of its own (``<name>_bench_assessment``). The generated databases are
kept between runs (SQLite under ``bench-results/``) and rebuilt when the data recipe or the schema changes.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from surveyapp import collector, create_app
from surveyapp.assessment import cache, queries, ranking, services, store
from surveyapp.assessment.export import results_workbook
from surveyapp.assessment.models import AssessedMonth
from surveyapp.checklists import services as checklist_services
from surveyapp.checklists.loader import SourceFile
from surveyapp.db import db
from surveyapp.migrate import upgrade
from tests.bench import Figure

HALLS, VISITS_PER_HALL, ITEMS = 5000, 8, 40
PERIOD = "2026-11"
#: Change this when the generated data changes, so cached databases are rebuilt.
RECIPE = "assessment-bench-1"
CHANNELS = ("unannounced",) * 4 + ("announced",) * 2 + ("supervisor",) * 2
ROOT = Path(__file__).resolve().parents[2]


def _stamp() -> str:
    """The recipe and a digest of the migrations: a cached database made from other ones is rebuilt."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.read_bytes())
    return f"{RECIPE} {digest.hexdigest()[:16]}"

#: The hall scores in one hand-written query, from the answers themselves (NUMERIC on PostgreSQL, REAL on SQLite).
HAND_WRITTEN_SQL = """
WITH weight(type, w) AS (VALUES ('unannounced', 0.5), ('announced', 0.3), ('supervisor', 0.2)),
per_visit AS (
  SELECT v.hall_id, v.type,
         CASE WHEN MAX(CASE WHEN a.redline THEN 1 ELSE 0 END) = 1 THEN 0
              ELSE 100.0 * SUM(a.earned) / NULLIF(SUM(a.possible), 0) END AS score
  FROM visit v JOIN answer a ON a.visit_id = v.id
  WHERE v.status = 'validated' AND v.period = :period
  GROUP BY v.id, v.hall_id, v.type),
per_channel AS (
  SELECT hall_id, type, AVG(score) AS mean FROM per_visit WHERE score IS NOT NULL GROUP BY hall_id, type)
SELECT c.hall_id, SUM(w.w * c.mean) / SUM(w.w) AS score
FROM per_channel c JOIN weight w ON w.type = c.type
GROUP BY c.hall_id
"""
#: The same from the visits' totals, which is what ``assess`` reads.
HAND_WRITTEN_TOTALS_SQL = """
WITH weight(type, w) AS (VALUES ('unannounced', 0.5), ('announced', 0.3), ('supervisor', 0.2)),
per_channel AS (
  SELECT hall_id, type,
         AVG(CASE WHEN redline THEN 0 ELSE 100.0 * earned / NULLIF(possible, 0) END) AS mean
  FROM visit WHERE status = 'validated' AND period = :period AND possible > 0
  GROUP BY hall_id, type)
SELECT c.hall_id, SUM(w.w * c.mean) / SUM(w.w) AS score
FROM per_channel c JOIN weight w ON w.type = c.type
GROUP BY c.hall_id
"""


def checklist_toml() -> str:
    """40 check items in 5 sections, worth 1–5 points; the first item is a red line."""
    lines = ['[form]', 'id = "bench"', 'version = 1', 'title = "基准测试检查表"',
             'visit_types = ["announced", "unannounced", "supervisor"]']
    for s in range(5):
        lines += ["", "[[section]]", f'id = "s{s}"', f'title = "第{s + 1}部分"']
        for i in range(ITEMS // 5):
            n = s * (ITEMS // 5) + i
            lines += ["", "[[section.item]]", f'id = "i{n}"', f'text = "检查项目{n}"', 'kind = "check"',
                      f"points = {1 + n % 5}"] + (["redline = true"] if n == 0 else [])
    return "\n".join(lines) + "\n"


def answer_rows(rng: random.Random, visit_id: int, items: list[tuple[int, int, bool]]) -> Iterator[tuple[Any, ...]]:
    for item_id, points, redline in items:
        roll = rng.random()
        if redline:
            value = "fail" if roll < 0.004 else "pass"
        else:
            value = "na" if roll < 0.05 else "fail" if roll < 0.17 else "pass"
        earned = None if value == "na" else (points if value == "pass" else 0)
        yield (visit_id, item_id, value, earned, None if value == "na" else points, value == "fail",
               redline and value == "fail")


@contextmanager
def bulk_database(url: str, stamp: str, what: str) -> Iterator[tuple[Any, Any]]:
    """Build a benchmark database at ``url`` from empty: the schema and the bench checklist, then the caller's rows
    through the yielded ``(connection, checklist version)``; unit 1 (the company) is named ``stamp`` so
    :func:`stored` can tell the recipe. Commits, sets PostgreSQL's sequences past the rows, analyzes."""
    start = time.perf_counter()
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url})
    upgrade(app)
    with app.app_context():
        session = db.session
        [outcome] = checklist_services.load_sources(session, None, [SourceFile("bench.toml", checklist_toml())])
        session.flush()
        conn = session.connection()
        conn.execute(sa.text("INSERT INTO unit (id, code, name, parent_id, active) VALUES (1, 'C', :n, NULL, true)"),
                     {"n": stamp})
        yield conn, outcome.version
        session.commit()
        with db.engine.connect() as c:
            if c.dialect.name == "postgresql":
                for table in ("unit", "hall", "user", "visit", "answer", "photo"):
                    c.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                      f"(SELECT max(id) FROM \"{table}\"))"))
                c.commit()
                c.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM ANALYZE"))
            else:
                c.execute(sa.text("ANALYZE"))
                c.commit()
    app.extensions["surveyapp.db"][0].dispose()
    print(f"  generated {what} in {time.perf_counter() - start:.1f} s", file=sys.stderr)


def stored(url: str, stamp: str, table: str, rows: int | None) -> bool:
    """Whether the database at ``url`` holds the recipe ``stamp`` (at the current schema) with ``rows`` in ``table``
    (``None``: at least one)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url})
    try:
        with app.app_context(), db.engine.connect() as conn:
            name = conn.execute(sa.text("SELECT name FROM unit WHERE id = 1")).scalar()
            count = conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
        return name == stamp and (count == rows if rows is not None else bool(count))
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        app.extensions["surveyapp.db"][0].dispose()


def generate(url: str, periods: tuple[str, ...] = (PERIOD,), stamp: str | None = None) -> None:
    """The month(s) of 5,000 halls × 8 validated visits × 40 answers, in the database at ``url`` built from empty."""
    rng = random.Random(20261101)
    visits, answers = [], []
    with bulk_database(url, stamp or _stamp(), f"{HALLS * VISITS_PER_HALL * len(periods):,} visits and "
                                               f"{HALLS * VISITS_PER_HALL * ITEMS * len(periods):,} answers") as (conn, version):
        items = [(i.id, i.points, i.redline) for i in version.items]
        now = "2026-11-28 12:00:00"
        units = [{"id": 2 + b, "code": f"B{b:02d}", "name": f"分公司{b}", "parent": 1} for b in range(10)]
        units += [{"id": 100 + c, "code": f"B{c // 5:02d}-{c % 5}", "name": f"支局{c}", "parent": 2 + c // 5}
                  for c in range(50)]
        conn.execute(sa.text("INSERT INTO unit (id, code, name, parent_id, active) VALUES (:id, :code, :name, :parent, true)"),
                     units)
        conn.execute(sa.text("INSERT INTO hall (id, code, name, type, unit_id, active) "
                             "VALUES (:id, :code, :name, :type, :unit, true)"),
                     [{"id": h, "code": f"H{h:05d}", "name": f"营业厅{h}", "type": "self-run" if h % 3 else "cooperative",
                       "unit": 100 + h % 50} for h in range(1, HALLS + 1)])
        conn.execute(sa.text("INSERT INTO \"user\" (id, username, display_name, role, active, external, created_at) "
                             "VALUES (1, 'sup', '监督员', 'supervisor', true, false, :now), "
                             "(2, 'market', '市场部', 'market', true, false, :now)"), {"now": now})
        for month, period in enumerate(periods):
            for hall in range(1, HALLS + 1):
                for n, channel in enumerate(CHANNELS):
                    visit_id = (month * HALLS + hall - 1) * VISITS_PER_HALL + n + 1
                    rows = list(answer_rows(rng, visit_id, items))
                    earned = sum(r[3] or 0 for r in rows)
                    possible = sum(r[4] or 0 for r in rows)
                    red = any(r[6] for r in rows)
                    score = Decimal(0) if red else (Decimal(100 * earned) / possible).quantize(Decimal("0.000001"))
                    visits.append((visit_id, str(uuid.UUID(int=rng.getrandbits(128))), hall, version.id, channel, 1,
                                   "validated", period, f"{period}-{1 + n * 3:02d} 02:00:00", earned, possible, score,
                                   red, now, 2, 1))
                    answers.extend(rows)
        columns = ("id, uid, hall_id, checklist_version_id, type, supervisor_id, status, period, visited_at, earned, "
                   "possible, score, redline, created_at, validated_by_id, version")
        _bulk(conn, "visit", columns, visits)
        _bulk(conn, "answer", "visit_id, item_id, value, earned, possible, failed, redline", answers)


def _bulk(conn: Any, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    """COPY on PostgreSQL, one executemany in one transaction on SQLite."""
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(columns.split(",")))
        plain = ([str(v) if isinstance(v, Decimal) else v for v in row] for row in rows)  # sqlite3 takes no Decimal
        raw.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", plain)


def ready(url: str) -> bool:
    """Whether the database at ``url`` holds this recipe's data at the current schema."""
    return stored(url, _stamp(), "answer", HALLS * VISITS_PER_HALL * ITEMS)


def postgres_url(suffix: str = "assessment") -> str | None:
    """A database ``<name>_bench_<suffix>`` on the benchmark's PostgreSQL server (created when missing)."""
    base = os.environ.get("SURVEYAPP_BENCH_DATABASE_URL") or os.environ.get("SURVEYAPP_TEST_DATABASE_URL")
    if not base:
        found = subprocess.run([str(ROOT / ".ci" / "postgres")], capture_output=True, text=True, check=False)
        if found.returncode != 0:
            print(f"  PostgreSQL not available: {found.stderr.strip()}", file=sys.stderr)
            return None
        base = found.stdout.strip()
    url = sa.make_url(base)
    name = f"{url.database}_bench_{suffix}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def reset_postgres(url: str) -> None:
    parsed = sa.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def _timed(fn: Callable[[], Any], repeat: int, before: Callable[[], Any] = lambda: None) -> tuple[float, float, Any]:
    """Median and best of ``repeat`` runs after one warm-up (milliseconds), and the last result; ``before()`` runs
    before each, outside the time."""
    before()
    result = fn()
    samples = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), min(samples), result


def _cpu(fn: Callable[[], Any], repeat: int, before: Callable[[], Any] = lambda: None) -> float:
    """The least CPU time of this process over ``repeat`` runs of ``fn`` (milliseconds)."""
    samples = []
    for _ in range(repeat):
        before()
        start = time.process_time()
        fn()
        samples.append((time.process_time() - start) * 1000)
    return min(samples)


def measure(label: str, url: str) -> Iterator[Figure]:
    """The figures on one database (``label``: ``postgresql`` or ``sqlite``)."""
    load = load_note()
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        session = db.session

        def nothing_kept() -> None:
            """Neither this process nor the database keeps an assessed month (outside the time)."""
            forget_stored(session)

        def new_process() -> None:
            """A process that has not assessed the month (another gunicorn worker); the database keeps it."""
            cache.forget()
            session.rollback()

        cold_median, best, month = _timed(lambda: services.assess(session, PERIOD), 5, nothing_kept)
        target = "; target ≤ 3,000 ms" if label == "postgresql" else ""
        yield Figure(f"assess {PERIOD} computed (nothing cached): {month.summary.halls:,} halls, "
                     f"{month.summary.total_visits:,} visits, {HALLS * VISITS_PER_HALL * ITEMS:,} answers", label,
                     cold_median, "ms", f"best {best:.0f}; {load}{target}")
        cpu = _cpu(lambda: services.assess(session, PERIOD), 5, nothing_kept)
        yield Figure("  of which this process's CPU time (the rest: waiting for the database and for the CPU)", label,
                     cpu, "ms", "best of 5; less sensitive to the machine's load than the wall time")
        store_median, _, _ = _timed(lambda: store.save(session, "bench", "bench", month), 5)
        forget_stored(session)
        yield Figure("  of which storing the month for the other processes (encode, write)", label, store_median, "ms",
                     f"{len(store.encode(month)) / 1024:,.0f} KiB compressed")
        services.assess(session, PERIOD)  # computed and stored
        stored_median, stored_best, stored = _timed(lambda: services.assess(session, PERIOD), 5, new_process)
        assert replace(stored, computed_at=month.computed_at) == month, "the month read back differs from the computed"
        yield Figure(f"assess {PERIOD} in a new process, month stored", label, stored_median, "ms",
                     f"best {stored_best:.0f}; what a page costs in a worker that has not assessed the month")
        stored_cpu = _cpu(lambda: services.assess(session, PERIOD), 5, new_process)
        yield Figure("  of which this process's CPU time", label, stored_cpu, "ms", "best of 5")
        median, _, _ = _timed(lambda: services.assess(session, PERIOD), 5)
        yield Figure(f"assess {PERIOD} again in the process (data unchanged)", label, median, "ms",
                     f"computed/again = {cold_median / median:.0f}")
        periods = [PERIOD, services.shift_period(PERIOD, -1)]
        sql_median, _, groups = _timed(lambda: queries.visit_groups(session, periods), 5)
        yield Figure(f"  of which the SQL grouping ({len(groups):,} rows)", label, sql_median, "ms")
        halls = queries.halls_listed(session, PERIOD)

        def arithmetic() -> Any:
            with collector.paused():  # as assess does
                return ranking.evaluate(halls, ranking.tally(groups), month.policy, periods)

        py_median, _, _ = _timed(arithmetic, 5)
        yield Figure("  of which exact arithmetic and ranking in Python", label, py_median, "ms",
                     "the cycle collector paused, as in assess")
        by_id = {h.hall_id: h.score for h in month.ranked}
        for what, sql in (("from the answers", HAND_WRITTEN_SQL), ("from the visit totals", HAND_WRITTEN_TOTALS_SQL)):
            hand_median, _, rows = _timed(lambda sql=sql: session.execute(sa.text(sql), {"period": PERIOD}).all(), 5)
            worst = max(abs(Fraction(str(score)) - by_id[hall_id]) for hall_id, score in rows)
            same_display = all(services.display(by_id[h], 2) == services.display(Fraction(str(v)), 2) for h, v in rows)
            agree = len(rows) == len(by_id) and worst < Fraction(1, 10**9) and same_display
            yield Figure(f"one hand-written SQL query {what}", label, hand_median, "ms",
                         f"assess/hand = {median / hand_median:.2f} in the process, "
                         f"{stored_median / hand_median:.2f} in a new process (month stored), "
                         f"{cold_median / hand_median:.1f} computed; target ≤ 2; same scores: {'yes' if agree else 'NO'} "
                         f"(largest difference {float(worst):.0e})")
        forget_stored(session)
        tracemalloc.start()
        services.assess(session, PERIOD)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        yield Figure("peak Python memory of assess", label, peak / 2**20, "MiB")
        json_median, _, _ = _timed(lambda: json.dumps(month.to_assess_json(), ensure_ascii=False, indent=2), 3)
        yield Figure("flask assess --json document", label, json_median, "ms")
        snap_median, _, _ = _timed(lambda: type(month).from_json(json.loads(json.dumps(month.to_json()))), 3)
        yield Figure("snapshot to_json + from_json", label, snap_median, "ms")
        with app.test_request_context():
            xlsx_median, _, data = _timed(lambda: results_workbook(month), 1)
        yield Figure("Excel export of the month", label, xlsx_median, "ms", f"{len(data) / 1024:.0f} KiB")
    # Requests outside the context above, each in its own as on a server (a shared ``g`` would keep its user).
    page = f"/assessment/results?period={PERIOD}&page=3"
    yield page_figure(app, label, f"results page (page 3, {app.config['PAGE_SIZE']} of 5,000 ranked halls)", page,
                      note="; the month assessed earlier in the process; target ≤ 100 ms")
    yield page_figure(app, label, "results page, new process, month stored", page, setup=cache.forget,
                      note="; reads the month another process stored, then draws the page; target ≤ 100 ms")

    def nothing_kept() -> None:
        with app.app_context():
            forget_stored(db.session)

    yield page_figure(app, label, "results page, month not yet assessed in any process (cold)", page,
                      setup=nothing_kept, note="; assesses the month, stores it, then draws the page")
    app.extensions["surveyapp.db"][0].dispose()


def forget_stored(session: Any) -> None:
    """Drop this process's months and the months stored in the database (the benchmarks time the computation)."""
    cache.forget()
    session.execute(sa.delete(AssessedMonth))
    session.commit()


def page_figure(app: Any, label: str, name: str, path: str, repeat: int = 3, note: str = "",
                before: Callable[[], Any] = lambda: None, setup: Callable[[], Any] = lambda: None) -> Figure:
    """The median time of the market department's ``GET path`` (after one warm-up), with the page's size;
    ``before()`` runs before each request, inside the time; ``setup()`` too, outside it."""
    client = _market_client(app)
    median, _, response = _timed(lambda: (before(), client.get(path))[1], repeat, setup)
    assert response.status_code == 200, response.status_code
    return Figure(name, label, median, "ms", f"{len(response.data) / 1024:.0f} KiB{note}")


def print_figures(figures: Iterable[Figure]) -> None:
    """What a benchmark module prints when run by itself (``python -m tests.bench.<module>``)."""
    for figure in figures:
        print(f"  {figure.database:<10} {figure.name}: {figure.value:,.1f} {figure.unit}  {figure.note}".rstrip())


def _market_client(app: Any) -> Any:
    from surveyapp.auth import services as auth_services
    from surveyapp.auth.models import User

    with app.app_context():
        market = db.session.scalar(sa.select(User).where(User.username == "market"))
        token = auth_services.open_session(db.session, market, "127.0.0.1", "bench")
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = token
    return client


def prepared(suffix: str = "assessment", is_ready: Callable[[str], bool] | None = None,
             make: Callable[[str], None] | None = None) -> Iterator[tuple[str, str]]:
    """``(label, URL)`` of PostgreSQL (when available) and SQLite, each holding a recipe's data: this module's
    month by default, or what ``make`` builds where ``is_ready`` says it is missing (generated once, then kept)."""
    is_ready, make = is_ready or ready, make or generate
    pg = postgres_url(suffix)
    if pg is not None:
        if not is_ready(pg):
            reset_postgres(pg)
            make(pg)
        yield "postgresql", pg
    folder = ROOT / "bench-results"
    folder.mkdir(exist_ok=True)
    sqlite = f"sqlite:///{folder / f'{suffix}.sqlite'}"
    if not is_ready(sqlite):
        for ending in ("", "-wal", "-shm"):
            (folder / f"{suffix}.sqlite{ending}").unlink(missing_ok=True)
        make(sqlite)
    yield "sqlite", sqlite


def measured(measure_one: Callable[[str, str], Iterator[Figure]], suffix: str = "assessment",
             is_ready: Callable[[str], bool] | None = None, make: Callable[[str], None] | None = None) -> Iterator[Figure]:
    """The figures of ``measure_one(label, url)`` on each :func:`prepared` database."""
    for label, url in prepared(suffix, is_ready, make):
        yield from measure_one(label, url)


def load_note() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def bench_assess() -> Iterator[Figure]:
    """``assess`` for 5,000 halls × 8 validated visits × 40 items, against one hand-written query."""
    return measured(measure)


if __name__ == "__main__":
    print_figures(bench_assess())
