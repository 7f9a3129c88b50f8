"""Benchmarks: ``python -m tests.bench`` (``make bench``) runs every ``bench_*`` function of every module
here and prints their figures. A benchmark function yields ``Figure`` rows; speed and memory targets
live here, never in timed unit tests.

Databases: SQLite in a temporary folder always, PostgreSQL too when ``SURVEYAPP_TEST_DATABASE_URL``
is set (a database ``<name>_bench`` is created afresh on that server).
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa


@dataclass(frozen=True)
class Figure:
    """One measured figure: what, on which database, the value and its unit."""

    name: str
    database: str
    value: float
    unit: str
    note: str = ""


def databases(suffix: str = "bench") -> Iterator[tuple[str, str]]:
    """``(label, URL)`` of each database to measure on, created empty (on PostgreSQL: ``<name>_<suffix>``; a module
    whose benchmark may run while others do gives its own suffix)."""
    folder = tempfile.mkdtemp(prefix="surveyapp-bench-")
    yield "sqlite", "sqlite:///" + os.path.join(folder, "bench.sqlite")
    base = os.environ.get("SURVEYAPP_TEST_DATABASE_URL")
    if base:
        url = sa.make_url(base)
        name = f"{url.database}_{suffix}"
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        yield "postgresql", url.set(database=name).render_as_string(hide_password=False)


def make_app(url: str) -> Any:
    """The app on ``url``, migrated to the newest schema."""
    from surveyapp import create_app
    from surveyapp.migrate import upgrade

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url, "DEMO": False,
                      "WTF_CSRF_ENABLED": False})
    upgrade(app)
    return app


def timed(action: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median and maximum wall time of ``repeat`` runs of ``action``, in milliseconds (after one warm-up)."""
    action()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times)
