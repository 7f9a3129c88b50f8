"""Messages to users: the in-app inbox and the e-mail outbox."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.auth.models import User
from surveyapp.db import Model


class Notification(Model):
    """One message in a user's inbox. The text is made when shown, in the reader's language, from ``kind``
    and ``params``; the link from ``endpoint`` and ``args``."""

    __tablename__ = "notification"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "dedupe_key"),
        sa.Index("ix_notification_user_read", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(30))
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    endpoint: Mapped[str | None] = mapped_column(sa.String(60))
    args: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    #: Set for messages that must be sent once only (reminders): a second one with the same key is skipped.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime]
    read_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()


OUTBOX_PENDING, OUTBOX_SENT, OUTBOX_FAILED = "pending", "sent", "failed"


class OutboxMessage(Model):
    """An e-mail to send, written in the transaction of the change it reports; a background job delivers it
    (:mod:`surveyapp.notifications.mail`), so a change never waits for, nor depends on, the mail server."""

    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index("ix_outbox_message_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    #: ``pending`` (to send, again after a failure), ``sent``, ``failed`` (gave up: the administrator sees it).
    status: Mapped[str] = mapped_column(sa.String(10), default=OUTBOX_PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    #: Not before this moment (back-off after a failure).
    next_attempt_at: Mapped[dt.datetime]
    #: What the mail server (or the network) said at the last failed attempt.
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
