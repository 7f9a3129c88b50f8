"""Optional e-mail for inbox messages, through an outbox: a message is a row written in the transaction of the
change it reports (gone if that rolls back), and a background job delivers it with retries.

Settings: ``SMTP_HOST`` (none: no mail), ``SMTP_PORT``, ``SMTP_USER``/``SMTP_PASSWORD``, ``SMTP_STARTTLS``,
``MAIL_FROM``, ``SMTP_TIMEOUT``, ``OUTBOX_RETRY_SECONDS``, ``OUTBOX_MAX_ATTEMPTS``. Nothing a user does waits
for the mail server: a server that is down delays the mail (1, 2, 4 ... retry intervals), and a message still
refused after the last attempt is listed for the administrator (``/admin/mail``), who can send it again.
"""
from __future__ import annotations

import datetime as dt
import logging
import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from surveyapp import clock, jobs
from surveyapp.notifications.models import OUTBOX_FAILED, OUTBOX_PENDING, OUTBOX_SENT, OutboxMessage
from surveyapp.notifications.settings import MailServer

log = logging.getLogger("surveyapp.notifications.mail")

_NUDGE = "surveyapp.notifications.mail"
#: Messages delivered per batch (one SMTP connection).
BATCH = 200


def queue(session: Session, to: str, subject: str, body: str) -> OutboxMessage:
    """Write the message to the outbox in the session's transaction; delivery starts once it commits."""
    now = clock.now()
    message = OutboxMessage(to=to, subject=subject[:300], body=body, status=OUTBOX_PENDING, attempts=0,
                            next_attempt_at=now, created_at=now)
    session.add(message)
    session.info[_NUDGE] = True
    return message


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_NUDGE, None):
        jobs.call("mail.deliver")


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_NUDGE, None)


def deliver(session: Session, server: MailServer) -> int:
    """Send the outbox's due messages, batch after batch; return how many were accepted. A failed message
    waits twice as long as before for its next attempt; after the last one it is marked failed. Commits
    after each batch."""
    if not server.host:
        return 0
    sent = 0
    while True:
        query = (sa.select(OutboxMessage).where(OutboxMessage.status == OUTBOX_PENDING,
                                                OutboxMessage.next_attempt_at <= clock.now())
                 .order_by(OutboxMessage.id).limit(BATCH))
        if session.get_bind().dialect.name == "postgresql":  # workers on several hosts share the batch out
            query = query.with_for_update(skip_locked=True)
        batch = list(session.scalars(query))
        if not batch:
            session.commit()
            return sent
        accepted = _send(server, batch)
        sent += accepted
        session.commit()
        if accepted < len(batch):  # the rest waits for its back-off; the next run is scheduled for it
            _schedule_retry(session)
            return sent


def _schedule_retry(session: Session) -> None:
    due = session.scalar(sa.select(sa.func.min(OutboxMessage.next_attempt_at))
                         .where(OutboxMessage.status == OUTBOX_PENDING))
    if due is not None:
        jobs.call("mail.deliver", delay=max(1.0, (due - clock.now()).total_seconds()))


def _send(server: MailServer, batch: Sequence[OutboxMessage]) -> int:
    """Send over one connection; mark each message sent or failed-for-now; return how many were accepted."""
    sent = 0
    handled: set[int] = set()
    try:
        with smtplib.SMTP(server.host, server.port, timeout=server.timeout) as smtp:
            if server.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if server.user:
                smtp.login(server.user, server.password)
            for message in batch:
                handled.add(message.id)
                try:
                    smtp.send_message(_email(server, message))
                except smtplib.SMTPServerDisconnected:
                    handled.discard(message.id)
                    raise
                except smtplib.SMTPException as exc:
                    _failed(server, message, str(exc))
                except (ValueError, TypeError, UnicodeError) as exc:
                    log.exception("mail to %r could not be written; the others are sent", message.to)
                    _failed(server, message, repr(exc), final=True)
                else:
                    message.status, message.sent_at, message.last_error = OUTBOX_SENT, clock.now(), None
                    message.attempts += 1
                    sent += 1
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail server %s:%s unavailable: %s", server.host, server.port, exc)
        for message in batch:
            if message.id not in handled:
                _failed(server, message, f"{server.host}:{server.port}: {exc}")
    return sent


def _failed(server: MailServer, message: OutboxMessage, error: str, final: bool = False) -> None:
    message.attempts += 1
    message.last_error = error[:2000]
    if final or message.attempts >= server.max_attempts:
        message.status = OUTBOX_FAILED
        log.warning("mail to %s given up after %d attempts: %s", message.to, message.attempts, error)
    else:
        wait = server.retry_seconds * 2 ** (message.attempts - 1)
        message.next_attempt_at = clock.now() + dt.timedelta(seconds=wait)


def retry(session: Session, message_ids: Sequence[int] | None = None) -> int:
    """Send undeliverable messages again (all, or those listed) from now on; return how many. Flushes only:
    the caller commits, which starts the delivery."""
    query = sa.update(OutboxMessage).where(OutboxMessage.status == OUTBOX_FAILED)
    if message_ids is not None:
        query = query.where(OutboxMessage.id.in_(list(message_ids)))
    count = session.execute(query.values(status=OUTBOX_PENDING, attempts=0, next_attempt_at=clock.now())
                            .execution_options(synchronize_session=False)).rowcount
    if count:
        session.info[_NUDGE] = True
    return count


def _email(server: MailServer, message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = server.sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain="surveyapp")
    email.set_content(message.body)
    return email
