"""The unit tree: view it, add, rename, move and deactivate units."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from surveyapp import inputs, nav
from surveyapp.audit.display import register_link
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.errors import ValidationError
from surveyapp.org import services
from surveyapp.org.forms import UnitForm, unit_choices
from surveyapp.org.models import Unit
from surveyapp.org.queries import flatten, unit_path, unit_tree
from surveyapp.webforms import get_or_404, show_error, toggle_active

bp = Blueprint("units", __name__, url_prefix="/org/units")
ORG_ROLES = (Role.ADMIN, Role.MARKET)
nav.register("units.tree", _l("Units"), ORG_ROLES, order=15, group="organisation")
register_link("unit", "units.edit", "unit_id")


@bp.get("/")
@roles_required(*ORG_ROLES)
def tree() -> Any:
    """The organisation as a tree, with the number of active halls in each unit."""
    show = request.args.get("status", "active")
    roots = unit_tree(db.session, include_inactive=show == "all")
    return render_template("org/units.html", roots=roots, show=show)


def _parent_choices(unit: Unit | None) -> list[Any]:
    """Possible parents: active units, never the unit itself or a unit below it (no loops)."""
    exclude = services.descendant_ids(db.session, unit.id) if unit is not None else set()
    nodes = [n for n in flatten(unit_tree(db.session)) if n.unit.active or (unit is not None and n.unit.id == unit.parent_id)]
    return unit_choices(nodes, _l("None (top of the tree)"), exclude)


def _save(form: UnitForm, unit: Unit | None) -> Unit | None:
    parent_id = inputs.whole_number(form.parent.data)
    parent = db.session.get(Unit, parent_id) if parent_id is not None else None
    try:
        if unit is None:
            unit = services.create_unit(db.session, current_user, code=form.code.data, name=form.name.data, parent=parent)
        else:
            services.update_unit(db.session, current_user, unit, code=form.code.data, name=form.name.data, parent=parent)
    except ValidationError as exc:
        db.session.rollback()
        show_error(form, exc)
        return None
    db.session.commit()
    return unit


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ORG_ROLES)
def new() -> Any:
    """Add a unit, by default under the unit given as ``?parent=ID``."""
    form = UnitForm(parent=request.args.get("parent", ""))
    form.parent.choices = _parent_choices(None)
    if form.validate_on_submit() and (unit := _save(form, None)):
        flash(_("Unit %(code)s created.", code=unit.code), "success")
        return redirect(url_for("units.tree"))
    return render_template("org/unit_form.html", form=form, unit=None)


@bp.route("/<int:unit_id>/edit", methods=["GET", "POST"])
@roles_required(*ORG_ROLES)
def edit(unit_id: int) -> Any:
    """Rename a unit, change its code, or move it under another parent."""
    unit = get_or_404(Unit, unit_id)
    form = UnitForm(data={"code": unit.code, "name": unit.name, "parent": str(unit.parent_id or "")}) \
        if request.method == "GET" else UnitForm()
    form.parent.choices = _parent_choices(unit)
    if form.validate_on_submit() and _save(form, unit):
        flash(_("Unit %(code)s saved.", code=unit.code), "success")
        return redirect(url_for("units.tree"))
    return render_template("org/unit_form.html", form=form, unit=unit, path=unit_path(unit))


@bp.post("/<int:unit_id>/active")
@roles_required(*ORG_ROLES)
def set_active(unit_id: int) -> Any:
    """Deactivate (``active=0``) or reactivate (``active=1``) a unit."""
    unit = get_or_404(Unit, unit_id)
    saved = toggle_active(lambda active: services.set_unit_active(db.session, current_user, unit, active),
                          lambda active: _("Unit %(code)s reactivated.", code=unit.code) if active
                          else _("Unit %(code)s deactivated.", code=unit.code))
    return redirect(url_for("units.tree", status="all") if saved else url_for("units.edit", unit_id=unit.id))
