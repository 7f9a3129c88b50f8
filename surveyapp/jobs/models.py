"""A background job as people see it: what it does, how far it got, how it ended."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.auth.models import User
from surveyapp.db import Model

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class Job(Model):
    """One run of a kind of background work (publishing a notice, an export ...), started by a person or the
    system. The queue only carries the job's id; everything else lives here, so a job survives its worker."""

    __tablename__ = "job"
    __table_args__ = (sa.Index("ix_job_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the job does: a kind registered with :func:`surveyapp.jobs.define` (``publish``, ``export`` ...).
    kind: Mapped[str] = mapped_column(sa.String(40))
    #: Its arguments, plain JSON.
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: The same key (e.g. "publish 2026-11 revision 1") gives the same job back instead of a second one.
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    #: ``queued`` → ``running`` → ``done`` | ``failed``.
    status: Mapped[str] = mapped_column(sa.String(10), default=QUEUED)
    #: The step reached (the kind names its steps), and how far into it: ``done`` of ``total``.
    stage: Mapped[str | None] = mapped_column(sa.String(40))
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    #: Why it failed, in words a person can act on.
    error: Mapped[str | None] = mapped_column(sa.Text)
    #: Where its result is (the published revision, the file to download).
    result_url: Mapped[str | None] = mapped_column(sa.String(300))
    #: A file the job made (an export), kept until downloaded or cleaned up.
    result_name: Mapped[str | None] = mapped_column(sa.String(200))
    result: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    #: How many times a worker started it (a killed worker's job is started again).
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]

    created_by: Mapped[User | None] = relationship()

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"
