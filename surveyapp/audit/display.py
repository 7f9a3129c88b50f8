"""How audit entries read in the log: action names, field names and links to the objects.

Capabilities register their own: ``register_action("visit.validate", _l("Visit validated"))``,
``register_field("score", _l("Score"))``, ``register_link("visit", "visits.detail", "visit_id")``.
Every action must be registered before it is recorded (:func:`surveyapp.audit.services.record` refuses
others), so each one has a translated label and is in the log's action filter; a field without a
registered label is shown as recorded.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

from surveyapp import inputs

_actions: dict[str, Any] = {}
_fields: dict[str, Any] = {}
_objects: dict[str, Any] = {}
_links: dict[str, tuple[str, str]] = {}
_values: dict[str, Callable[[Any], str]] = {}
_object_texts: dict[str, Callable[[str], str]] = {}
#: Fields whose recorded value is ``[old, new]`` whatever the action (a visit's status).
_change_fields: set[str] = set()


def register_action(action: str, label: Any) -> None:
    _actions[action] = label


def register_actions(labels: dict[str, Any]) -> None:
    for action, label in labels.items():
        register_action(action, label)


def is_registered(action: str) -> bool:
    return action in _actions


def register_field(name: str, label: Any, change: bool = False) -> None:
    """``change``: the field is recorded as ``[old, new]`` and shown as "old → new" after any action."""
    _fields[name] = label
    if change:
        _change_fields.add(name)


def register_fields(labels: dict[str, Any], change: set[str] | frozenset[str] = frozenset()) -> None:
    for name, label in labels.items():
        register_field(name, label, change=name in change)


def register_object_text(object_type: str, text: Callable[[str], str]) -> None:
    """Show the recorded text of ``object_type`` objects through ``text``, in the reader's language
    (the text is recorded once, in no particular language: "H0513 unannounced 2026-11")."""
    _object_texts[object_type] = text


def object_text(object_type: str, recorded: str | None) -> str:
    if not recorded or object_type not in _object_texts:
        return recorded or ""
    return _object_texts[object_type](recorded)


def register_value(name: str, label: Callable[[Any], str]) -> None:
    """Show the recorded values of field ``name`` through ``label`` (e.g. a role id as its name)."""
    _values[name] = label


def register_object(object_type: str, label: Any) -> None:
    _objects[object_type] = label


def register_link(object_type: str, endpoint: str, argument: str) -> None:
    """Entries about ``object_type`` link to ``url_for(endpoint, argument=object_id)``."""
    _links[object_type] = (endpoint, argument)


def action_label(action: str) -> str:
    return str(_actions[action]) if action in _actions else action


def field_label(name: str) -> str:
    return str(_fields[name]) if name in _fields else name


def object_label(object_type: str) -> str:
    return str(_objects[object_type]) if object_type in _objects else object_type


def known_actions() -> list[tuple[str, str]]:
    return sorted(((a, str(label)) for a, label in _actions.items()), key=lambda item: item[0])


def known_objects() -> list[tuple[str, str]]:
    return sorted(((o, str(label)) for o, label in _objects.items()), key=lambda item: item[0])


def object_url(object_type: str, object_id: str | None) -> str | None:
    """The page of the object an entry is about, when there is one."""
    number = inputs.whole_number(object_id)
    if object_type not in _links or number is None:
        return None
    endpoint, argument = _links[object_type]
    try:
        return url_for(endpoint, **{argument: number})
    except BuildError:
        return None


def _text(value: Any, field: str = "") -> str:
    if value is None or value == "" or value == []:
        return "—"
    if field in _values and not isinstance(value, list):
        try:
            return _values[field](value)
        except (KeyError, ValueError):
            return str(value)
    if isinstance(value, bool):
        return str(_l("yes")) if value else str(_l("no"))
    if isinstance(value, list):
        return str(_l(", ")).join(_text(v, field) for v in value)
    return str(value)


#: Actions whose details are ``{"field": [old, new]}`` (what :func:`surveyapp.audit.services.changes` returns).
CHANGE_VERBS = {"update", "move", "edit", "change"}


def readable_details(action: str, details: dict[str, Any] | None) -> list[tuple[str, str, str | None]]:
    """``(field label, value or old value, new value or None)`` rows for the log."""
    is_change = action.rsplit(".", 1)[-1] in CHANGE_VERBS
    rows: list[tuple[str, str, str | None]] = []
    for key, value in (details or {}).items():
        if (is_change or key in _change_fields) and isinstance(value, list) and len(value) == 2:
            rows.append((field_label(key), _text(value[0], key), _text(value[1], key)))
        else:
            rows.append((field_label(key), _text(value, key), None))
    return rows


# What the audit trail records itself, for the rooms below it (:mod:`surveyapp.audit.services`).
register_actions({"user.password_change": _l("Password changed by its owner")})
register_fields({"rows": _l("Rows"), "created": _l("Created"), "updated": _l("Updated"), "unchanged": _l("Unchanged")})
register_object("import", _l("Import file"))
