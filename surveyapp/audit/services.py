"""Writing the audit trail. Every service that changes data calls :func:`record`."""
from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy.orm import Session

from surveyapp import clock
from surveyapp.audit import display
from surveyapp.audit.models import AuditEntry
from surveyapp.auth.models import User

#: The client address of the request being served, set by the app for each request.
current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value.value if hasattr(value, "value") else value)


def record(
    session: Session,
    actor: User | None,
    action: str,
    object_type: str,
    object_id: object = None,
    label: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry for ``actor`` doing ``action`` to an object (flushed with the caller's change).

    :raise LookupError: ``action`` has no label (:func:`surveyapp.audit.display.register_action`): a
        programming error, so that every action the log can show is readable and can be filtered on.
    """
    if not display.is_registered(action):
        raise LookupError(f"audit action {action!r} has no label: register it in surveyapp.audit.display")
    entry = AuditEntry(
        at=clock.now(),
        actor_id=actor.id if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        object_label=label[:200] if label else None,
        details=_jsonable(details) if details else None,
        ip=current_ip.get(),
    )
    session.add(entry)
    return entry


def changes(obj: object, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set attributes on ``obj`` and return ``{field: [old, new]}`` for those that really changed."""
    changed: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changed[field] = [old, new]
            setattr(obj, field, new)
    return changed
