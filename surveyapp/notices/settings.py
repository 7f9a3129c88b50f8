"""The configuration a notice needs, read in one place at the edge (a request, the publish job) and handed
to the services as a plain value."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class Letterhead:
    """Who the notice is from: ``COMPANY_NAME`` (none: the organisation's top unit) and ``NOTICE_ISSUER``
    (none: the market department)."""

    company: str | None
    issuer: str | None


def letterhead() -> Letterhead:
    """The running application's letterhead settings (read at each call: operators change them)."""
    config = current_app.config
    return Letterhead(company=config.get("COMPANY_NAME") or None, issuer=config.get("NOTICE_ISSUER") or None)
