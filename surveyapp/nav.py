"""The navigation menu and each role's home page: each capability registers its entries with the roles that may
see them. Roles are the plain values of the accounts' role enumeration (``"market"``); this module knows no capability."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

#: The menu's groups, in menu order: a group with two entries or more for a user becomes a drop-down (a
#: ``<details>``, so it opens without script); a group with one entry shows as that entry.
GROUPS = {
    "visits": _l("Visits and validation"),
    "results": _l("Assessment"),
    "notices": _l("Notices"),
    "feedback": _l("Feedback"),
    "organisation": _l("Organisation"),
    "admin": _l("Administration"),
}


@dataclass(frozen=True)
class NavEntry:
    endpoint: str
    label: Any  # a lazy string, translated when the menu is drawn
    #: Role values (``"admin"``) that see the entry.
    roles: frozenset[str]
    order: int
    #: Other endpoints under which this entry shows as the current one.
    prefix: str
    #: A key of :data:`GROUPS`; ``None``: a top-level entry.
    group: str | None = None


@dataclass(frozen=True)
class NavGroup:
    """A drop-down of the menu: its label and the user's entries in it."""

    key: str
    label: Any
    entries: tuple[NavEntry, ...]


_entries: list[NavEntry] = []


def role_value(role: Any) -> str:
    """``"market"`` for a member of a str-valued role enumeration or for the plain value."""
    return str(getattr(role, "value", role))


def register(endpoint: str, label: Any, roles: tuple[str, ...], order: int = 100, group: str | None = None) -> None:
    """Add a menu entry (idempotent: registering the same endpoint again replaces it)."""
    global _entries
    if group is not None and group not in GROUPS:
        raise ValueError(f"unknown menu group {group!r}")
    _entries = [e for e in _entries if e.endpoint != endpoint]
    _entries.append(NavEntry(endpoint, label, frozenset(map(role_value, roles)), order, endpoint.rsplit(".", 1)[0] + ".", group))
    _entries.sort(key=lambda e: e.order)


def register_home(bp: Any, role: Any, endpoint: str) -> None:
    """``role`` lands on ``endpoint`` (its home page) after login, from when the blueprint ``bp`` of the capability
    that owns the page is registered with the app.

    :raise RuntimeError: at start-up, when two capabilities claim the same role's home.
    """
    value = role_value(role)

    def record(state: Any) -> None:
        homes = state.app.extensions.setdefault("surveyapp.homes", {})
        if homes.setdefault(value, endpoint) != endpoint:
            raise RuntimeError(f"two home pages for the role {value!r}: {homes[value]} and {endpoint}")

    bp.record_once(record)


def homes(app: Any) -> dict[str, str]:
    """Each role's home page endpoint, as the capabilities registered them."""
    return dict(app.extensions.get("surveyapp.homes", {}))


def entries_for(user: Any) -> list[NavEntry]:
    """The entries a user sees, in menu order."""
    if not getattr(user, "is_authenticated", False):
        return []
    role = role_value(user.role)
    return [e for e in _entries if role in e.roles]


#: A menu of at most this many entries stays one row of links (a hall manager's seven need no drop-downs).
FLAT_UP_TO = 7


def menu(entries: list[NavEntry]) -> list[NavEntry | NavGroup]:
    """The menu drawn from a user's entries: the groups in :data:`GROUPS` order (one-entry groups as their
    entry), then the top-level entries, each list in entry order; a short menu as it is."""
    if len(entries) <= FLAT_UP_TO:
        return list(entries)
    grouped = {key: tuple(e for e in entries if e.group == key) for key in GROUPS}
    items: list[NavEntry | NavGroup] = []
    for key, members in grouped.items():
        if len(members) > 1:
            items.append(NavGroup(key, GROUPS[key], members))
        items.extend(members[:1] if len(members) == 1 else ())
    return items + [e for e in entries if e.group is None]


def current(entries: list[NavEntry], endpoint: str | None, path: str = "") -> str | None:
    """The one entry shown as the current page: the entry of ``endpoint`` itself; else the entry whose URL
    is the longest start of ``path`` (a policy version belongs to "Policy", a visit to "Visits"); else the
    first entry of the same blueprint."""
    from flask import url_for

    if not endpoint:
        return None
    if any(e.endpoint == endpoint for e in entries):
        return endpoint
    under = [(len(url), e.endpoint) for e in entries
             if (url := url_for(e.endpoint)) != "/" and path.startswith(url.rstrip("/") + "/")]
    if under:
        return max(under)[1]
    return next((e.endpoint for e in entries if endpoint.startswith(e.prefix)), None)


def init_app(app: Any) -> None:
    """Make the current user's menu available to every template as ``nav_entries`` (``nav_current``: the
    endpoint of the entry to mark as the current page)."""
    from flask import has_request_context, request
    from flask_login import current_user

    @app.context_processor
    def inject_nav() -> dict[str, Any]:
        entries = entries_for(current_user)
        return {"nav_entries": entries, "nav_menu": menu(entries), "nav_current": current(entries, request.endpoint, request.path) if has_request_context() else None}
