"""The workers' minute tick: every registered duty runs, each holding a lock named for it (workers on several
hosts tick in the same minute, and a duty must run on one at a time), and gives it back."""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

import sqlalchemy as sa

from surveyapp import locks
from surveyapp.db import db
from surveyapp.jobs import queue as queue_module


def _held(name: str) -> bool:
    """Whether another holder has the lock ``name`` now (asked as a second worker would, without waiting)."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = conn.scalar(sa.text("SELECT pg_try_advisory_lock(:id)"), {"id": locks._lock_id(name)})
            if got:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:id)"), {"id": locks._lock_id(name)})
            return not got
    fd = os.open(Path(f"{engine.url.database}.{name.replace(' ', '-')}.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_each_duty_runs_under_its_own_lock_and_gives_it_back(app, monkeypatch):
    name = f"periodic {__name__}.duty"
    seen: list[bool] = []

    def duty() -> None:
        seen.append(_held(name))

    def broken() -> None:
        raise RuntimeError("a duty failing must not stop the others")

    monkeypatch.setattr(queue_module, "_PERIODIC", [("minute", broken), ("minute", duty)])
    with app.app_context():
        tick = queue_module.queue().tasks["tick"]
        tick()
        tick()
        assert seen == [True, True] and not _held(name)
