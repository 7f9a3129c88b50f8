"""The audit trail: who changed what, when (UTC)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.auth.models import User
from surveyapp.db import Model


class AuditEntry(Model):
    """One change: an actor did an action to an object."""

    __tablename__ = "audit_entry"
    __table_args__ = (sa.Index("ix_audit_entry_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    #: ``None`` for the system (CLI without a user, scheduled jobs).
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    #: Dotted verb, e.g. ``user.create``, ``hall.deactivate``, ``visit.validate``.
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    #: A short human-readable label of the object at the time (e.g. hall code and name).
    object_label: Mapped[str | None] = mapped_column(sa.String(200))
    #: What changed: ``{"field": [old, new]}`` or other details.
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(45))

    actor: Mapped[User | None] = relationship()
