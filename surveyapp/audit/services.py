"""Writing the audit trail. Every service that changes data calls :func:`record`."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveyapp import bulk, clock
from surveyapp.audit import display
from surveyapp.audit.models import AuditEntry
from surveyapp.auth.models import User
from surveyapp.auth.signals import password_changed
from surveyapp.security import current_ip


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
    entry = AuditEntry(**_row(actor, action, object_type, object_id, label, details))
    session.add(entry)
    return entry


def record_many(session: Session, actor: User | None, action: str, object_type: str,
                objects: Iterable[tuple[object, str | None, dict[str, Any] | None]]) -> list[dict[str, Any]]:
    """:func:`record` for many objects at once (``(object_id, label, details)`` each), inserted in bulk now,
    without an ORM object per entry (a month's release writes one per visit).

    :return: the rows inserted.
    :raise LookupError: see :func:`record`.
    """
    rows = [_row(actor, action, object_type, object_id, label, details) for object_id, label, details in objects]
    if rows:
        session.execute(sa.insert(AuditEntry), rows)
    return rows


def _row(actor: User | None, action: str, object_type: str, object_id: object, label: str | None,
         details: dict[str, Any] | None) -> dict[str, Any]:
    if not display.is_registered(action):
        raise LookupError(f"audit action {action!r} has no label: register it in surveyapp.audit.display")
    return {"at": clock.now(), "actor_id": actor.id if actor is not None else None, "action": action,
            "object_type": object_type, "object_id": None if object_id is None else str(object_id),
            "object_label": label[:200] if label else None, "details": _jsonable(details) if details else None,
            "ip": current_ip.get()}


def changes(obj: object, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set attributes on ``obj`` and return ``{field: [old, new]}`` for those that really changed."""
    changed: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changed[field] = [old, new]
            setattr(obj, field, new)
    return changed


# --- what the rooms below the audit trail tell it (they may not import it) ---------------------------


@bulk.imported.connect
def _record_import(session: Session, actor: User | None, kind: str, filename: str, report: bulk.Report) -> None:
    record(session, actor, f"{kind}.import", "import", None, filename[:200],
           {"rows": report.rows, "created": report.created, "updated": report.updated, "unchanged": report.unchanged})


@password_changed.connect
def _record_password_change(session: Session, user: User) -> None:
    record(session, user, "user.password_change", "user", user.id, user.username)
