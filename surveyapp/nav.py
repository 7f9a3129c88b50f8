"""The navigation menu: each capability registers its entries with the roles that may see them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from surveyapp.auth.models import Role


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: Any  # a lazy string, translated when the menu is drawn
    roles: frozenset[Role]
    order: int
    #: Other endpoints under which this entry shows as the current one.
    prefix: str


_entries: list[NavEntry] = []


def register(endpoint: str, label: Any, roles: tuple[Role, ...], order: int = 100) -> None:
    """Add a menu entry (idempotent: registering the same endpoint again replaces it)."""
    global _entries
    _entries = [e for e in _entries if e.endpoint != endpoint]
    _entries.append(NavEntry(endpoint, label, frozenset(roles), order, endpoint.rsplit(".", 1)[0] + "."))
    _entries.sort(key=lambda e: e.order)


def entries_for(user: Any) -> list[NavEntry]:
    """The entries a user sees, in menu order."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [e for e in _entries if user.role in e.roles]


def init_app(app: Any) -> None:
    """Make the current user's menu available to every template as ``nav_entries``."""
    from flask_login import current_user

    @app.context_processor
    def inject_nav() -> dict[str, Any]:
        return {"nav_entries": entries_for(current_user)}
