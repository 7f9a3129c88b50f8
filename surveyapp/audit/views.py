"""Browsing the audit trail (administrators)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l

from surveyapp import clock, inputs, nav
from surveyapp.audit import display
from surveyapp.audit.models import AuditEntry
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role, User
from surveyapp.db import db
from surveyapp.pagination import paginate
from surveyapp.webforms import contains

bp = Blueprint("audit", __name__, url_prefix="/audit")
nav.register("audit.entries", _l("Audit log"), (Role.ADMIN,), order=90, group="admin")


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight of a company-local day, in UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=clock.company_tz()).astimezone(dt.UTC)


@bp.get("/")
@roles_required(Role.ADMIN)
def entries() -> Any:
    """The audit log, newest first, filtered by user, action, object and date (company time zone)."""
    args = request.args
    f = {k: args.get(k, "").strip()[:100] for k in ("actor", "action", "type", "id", "object", "from", "to")}
    query = sa.select(AuditEntry).outerjoin(AuditEntry.actor).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if f["actor"]:
        query = query.where(User.username == f["actor"].lower()) if f["actor"] != "-" else query.where(AuditEntry.actor_id.is_(None))
    if f["action"]:
        query = query.where(AuditEntry.action == f["action"] if "." in f["action"] else AuditEntry.action.startswith(f["action"] + "."))
    if f["type"]:
        query = query.where(AuditEntry.object_type == f["type"])
    if f["id"]:
        query = query.where(AuditEntry.object_id == f["id"])
    if f["object"]:
        query = query.where(sa.or_(contains(AuditEntry.object_label, f["object"]), AuditEntry.object_id == f["object"]))
    start, end = _date(f["from"]), _date(f["to"])
    if start:
        query = query.where(AuditEntry.at >= _start_of(start))
    if end:
        query = query.where(AuditEntry.at < _start_of(end + dt.timedelta(days=1)))
    page = paginate(db.session, query, args.get("page", 1, type=inputs.whole), current_app.config["PAGE_SIZE"])
    actors = db.session.scalars(sa.select(User).where(User.id.in_(sa.select(AuditEntry.actor_id).distinct())).order_by(User.username)).all()
    return render_template("audit/entries.html", page=page, f=f, actors=actors, display=display,
                           actions=display.known_actions(), objects=display.known_objects())
