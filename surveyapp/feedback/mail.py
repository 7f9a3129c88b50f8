"""Optional e-mail for inbox messages: queued with the change, sent only after its transaction commits.

Settings: ``SMTP_HOST`` (none: no mail), ``SMTP_PORT``, ``SMTP_USER``/``SMTP_PASSWORD``, ``SMTP_STARTTLS``,
``MAIL_FROM``, ``SMTP_TIMEOUT``. A message that cannot be sent is logged; the change it reports stands, and
the inbox still has it. Nothing here may raise once the transaction has committed: a saved change must not
become an error page, and one bad message must not stop the rest of the batch.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger("surveyapp.feedback.mail")

_QUEUE = "surveyapp.feedback.mail"


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    body: str
    #: The SMTP settings at the time the message was queued (sending happens outside the app's request).
    settings: dict[str, Any]


def enabled() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def queue(session: Session, to: str, subject: str, body: str) -> None:
    """Send this message once the session's transaction commits (dropped if it rolls back)."""
    config = current_app.config
    settings = {name: config.get(name) for name in
                ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "SMTP_STARTTLS", "MAIL_FROM", "SMTP_TIMEOUT")}
    session.info.setdefault(_QUEUE, []).append(Outgoing(to, subject, body, settings))


def send(messages: list[Outgoing]) -> int:
    """Send messages over one connection per SMTP server; return how many were accepted."""
    sent = 0
    by_server: dict[tuple[Any, ...], list[Outgoing]] = {}
    for message in messages:
        by_server.setdefault(tuple(sorted(message.settings.items())), []).append(message)
    for batch in by_server.values():
        s = batch[0].settings
        try:
            with smtplib.SMTP(s["SMTP_HOST"], int(s["SMTP_PORT"] or 25), timeout=float(s["SMTP_TIMEOUT"] or 10)) as smtp:
                if s["SMTP_STARTTLS"]:
                    smtp.starttls(context=ssl.create_default_context())
                if s["SMTP_USER"]:
                    smtp.login(s["SMTP_USER"], s["SMTP_PASSWORD"] or "")
                for message in batch:
                    try:
                        smtp.send_message(_email(message))
                        sent += 1
                    except smtplib.SMTPException as exc:
                        log.warning("mail to %s was refused: %s", message.to, exc)
                    except (ValueError, TypeError, UnicodeError):
                        log.exception("mail to %r could not be written; the others are sent", message.to)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("mail server %s:%s unavailable, %d message(s) not sent: %s", s["SMTP_HOST"], s["SMTP_PORT"],
                        len(batch), exc)
    return sent


def _email(message: Outgoing) -> EmailMessage:
    email = EmailMessage()
    email["From"] = message.settings["MAIL_FROM"]
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain="surveyapp")
    email.set_content(message.body)
    return email


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending = session.info.pop(_QUEUE, None)
    if not pending:
        return
    try:
        send(pending)
    except Exception:  # the change is committed: whatever happens to its mail, the request goes on
        log.exception("%d queued message(s) not sent", len(pending))


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_QUEUE, None)
