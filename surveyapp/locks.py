"""One holder at a time for work that two hosts could start together (cron on each app server).

On PostgreSQL, :func:`command_lock` takes a session-level advisory lock on a connection of its own, so the
lock ends with the process even if it is killed. On SQLite (one host by nature) an exclusive ``flock`` on a
file beside the database does the same. A second caller waits for the first to finish, then runs and finds
the work done (every command guarded so is idempotent).
"""
from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from surveyapp.db import db


def _lock_id(name: str) -> int:
    """A stable signed 64-bit number for ``name`` (advisory locks are keyed by bigint)."""
    return int.from_bytes(hashlib.sha256(f"surveyapp:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def command_lock(name: str) -> Iterator[None]:
    """Hold the lock called ``name`` for the duration of the block (waiting for another holder first)."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:id)"), {"id": _lock_id(name)})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:id)"), {"id": _lock_id(name)})
                conn.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with file_lock(Path(f"{database}.{name.replace(' ', '-')}.lock")):
        yield


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` for the block: one holder per host at a time (processes, and threads
    that each call this). ``path`` is a file (created if missing) or an existing directory."""
    if path.is_dir():
        fd = os.open(path, os.O_RDONLY)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock
