"""The configuration notifications need, read in one place at the edge (a request, a job, a command) and
handed to the services as plain values: the services themselves never look at the application."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for


@dataclass(frozen=True)
class Delivery:
    """How a new message reaches its reader besides the inbox."""

    #: An SMTP server is configured: readers with an address also get an e-mail.
    mail: bool
    #: The languages of the UI, the default first (an e-mail is written in its reader's language).
    languages: tuple[str, ...]
    #: ``link(endpoint, args)`` → the page's absolute address for an e-mail, or ``None`` (no ``PUBLIC_URL``).
    link: Callable[[str, dict[str, Any]], str | None]


@dataclass(frozen=True)
class MailServer:
    """The SMTP server and the outbox's retry rule (``SMTP_*``, ``MAIL_FROM``, ``OUTBOX_*``)."""

    host: str | None
    port: int
    user: str | None
    password: str
    starttls: bool
    timeout: float
    sender: str
    retry_seconds: float
    max_attempts: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MailServer:
        return cls(host=config.get("SMTP_HOST") or None, port=int(config.get("SMTP_PORT") or 25),
                   user=config.get("SMTP_USER") or None, password=config.get("SMTP_PASSWORD") or "",
                   starttls=bool(config.get("SMTP_STARTTLS")), timeout=float(config.get("SMTP_TIMEOUT") or 10),
                   sender=config.get("MAIL_FROM") or "", retry_seconds=float(config["OUTBOX_RETRY_SECONDS"]),
                   max_attempts=int(config["OUTBOX_MAX_ATTEMPTS"]))


def delivery() -> Delivery:
    """The running application's delivery settings (read at each call: tests and operators change them)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    base = config.get("PUBLIC_URL")

    def link(endpoint: str, args: dict[str, Any]) -> str | None:
        if not base:
            return None
        with app.test_request_context(base_url=base):
            return url_for(endpoint, **args, _external=True)

    return Delivery(mail=bool(config.get("SMTP_HOST")), languages=tuple(config["LANGUAGES"]), link=link)


def mail_server() -> MailServer:
    """The running application's mail server settings."""
    return MailServer.from_config(current_app.config)
