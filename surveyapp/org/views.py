"""Organisation pages: units, halls, staff."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l

from surveyapp import nav
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.org.models import Hall, HallType, Unit
from surveyapp.pagination import paginate

bp = Blueprint("org", __name__, url_prefix="/org")
ORG_ROLES = (Role.ADMIN, Role.MARKET)
nav.register("org.halls", _l("Halls"), ORG_ROLES, order=20)


@bp.get("/halls")
@roles_required(*ORG_ROLES)
def halls() -> Any:
    """Halls with search (code or name), filters (unit, type, active) and pagination."""
    q = request.args.get("q", "").strip()
    query = sa.select(Hall).join(Hall.unit).order_by(Hall.code)
    if q:
        like = f"%{q}%"
        query = query.where(sa.or_(Hall.code.ilike(like), Hall.name.ilike(like)))
    unit_code = request.args.get("unit", "")
    if unit_code:
        query = query.where(Unit.code == unit_code)
    hall_type = request.args.get("type", "")
    if hall_type in {t.value for t in HallType}:
        query = query.where(Hall.type == HallType(hall_type))
    status = request.args.get("status", "active")
    if status in ("active", "inactive"):
        query = query.where(Hall.active.is_(status == "active"))
    page = paginate(db.session, query, request.args.get("page", 1, type=int), current_app.config["PAGE_SIZE"])
    units = db.session.scalars(sa.select(Unit).order_by(Unit.code)).all()
    return render_template("org/halls.html", page=page, units=units, q=q, unit_code=unit_code,
                           hall_type=hall_type, status=status, HallType=HallType)
