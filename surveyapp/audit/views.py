"""Browsing the audit trail (administrators)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l

from surveyapp import nav
from surveyapp.audit.models import AuditEntry
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role, User
from surveyapp.db import db
from surveyapp.pagination import paginate

bp = Blueprint("audit", __name__, url_prefix="/audit")
nav.register("audit.entries", _l("Audit log"), (Role.ADMIN,), order=90)


@bp.get("/")
@roles_required(Role.ADMIN)
def entries() -> Any:
    """The audit log, newest first, filtered by actor, action or object."""
    query = sa.select(AuditEntry).outerjoin(AuditEntry.actor).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    actor = request.args.get("actor", "").strip().lower()
    if actor:
        query = query.where(User.username == actor)
    action = request.args.get("action", "").strip()
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    obj = request.args.get("object", "").strip()
    if obj:
        query = query.where(sa.or_(AuditEntry.object_label.ilike(f"%{obj}%"), AuditEntry.object_id == obj))
    page = paginate(db.session, query, request.args.get("page", 1, type=int), current_app.config["PAGE_SIZE"])
    return render_template("audit/entries.html", page=page, actor=actor, action=action, obj=obj)
