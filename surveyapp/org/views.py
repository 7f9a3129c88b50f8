"""Organisation pages: halls (list, detail, create, edit, deactivate). Units and staff have their own modules."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from surveyapp import inputs, nav
from surveyapp.audit.display import register_link
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role, User, user_hall
from surveyapp.db import db
from surveyapp.errors import ValidationError
from surveyapp.org import (
    imports,  # noqa: F401  (registers the units, halls and staff file formats)
    services,
)
from surveyapp.org.forms import HallForm, unit_choices
from surveyapp.org.labels import hall_type_label
from surveyapp.org.models import Hall, HallType, Staff, Unit
from surveyapp.org.queries import (
    HallFilter,
    flatten,
    hall_query,
    staff_counts,
    unit_path,
    unit_tree,
)
from surveyapp.pagination import paginate
from surveyapp.webforms import get_or_404, show_error, toggle_active

bp = Blueprint("org", __name__, url_prefix="/org")
bp.add_app_template_global(hall_type_label, "hall_type_label")
ORG_ROLES = (Role.ADMIN, Role.MARKET)
nav.register("org.halls", _l("Halls"), ORG_ROLES, order=20, group="organisation")
register_link("hall", "org.hall_detail", "hall_id")


@bp.get("/halls")
@roles_required(*ORG_ROLES)
def halls() -> Any:
    """Halls with search (code, name, address), filters (unit and its sub-units, type, status) and pagination."""
    f = HallFilter.from_args(request.args)
    page = paginate(db.session, hall_query(db.session, f), request.args.get("page", 1, type=inputs.whole), current_app.config["PAGE_SIZE"])
    counts = staff_counts(db.session, [h.id for h in page.items])
    units = unit_choices(flatten(unit_tree(db.session)), _l("All units"), by_code=True)
    return render_template("org/halls.html", page=page, f=f, units=units, counts=counts, HallType=HallType)


@bp.get("/halls/<int:hall_id>")
@roles_required(*ORG_ROLES)
def hall_detail(hall_id: int) -> Any:
    """A hall: its details, unit, managers and staff."""
    hall = get_or_404(Hall, hall_id)
    staff = db.session.scalars(sa.select(Staff).where(Staff.hall_id == hall.id).order_by(Staff.active.desc(), Staff.job_number)).all()
    managers = db.session.scalars(sa.select(User).join(user_hall).where(user_hall.c.hall_id == hall.id).order_by(User.username)).all()
    return render_template("org/hall_detail.html", hall=hall, staff=staff, managers=managers, path=unit_path(hall.unit))


def _unit_choices(hall: Hall | None) -> list[Any]:
    """Active units, plus the hall's own unit even if it has been deactivated since."""
    nodes = [n for n in flatten(unit_tree(db.session)) if n.unit.active or (hall is not None and n.unit.id == hall.unit_id)]
    return unit_choices(nodes, _l("Choose a unit"))


def _save_hall(form: HallForm, hall: Hall | None) -> Hall | None:
    unit_id = inputs.whole_number(form.unit.data)
    unit = db.session.get(Unit, unit_id) if unit_id is not None else None
    values = {"code": form.code.data, "name": form.name.data, "type": form.type.data, "unit": unit, "address": form.address.data,
              "latitude": form.latitude.data, "longitude": form.longitude.data}
    try:
        if hall is None:
            hall = services.create_hall(db.session, current_user, **values)
        else:
            services.update_hall(db.session, current_user, hall, **values)
    except ValidationError as exc:
        db.session.rollback()
        show_error(form, exc)
        return None
    db.session.commit()
    return hall


@bp.route("/halls/new", methods=["GET", "POST"])
@roles_required(*ORG_ROLES)
def hall_new() -> Any:
    """Open a new hall."""
    form = HallForm(unit=request.args.get("unit", ""))
    form.unit.choices = _unit_choices(None)
    if form.validate_on_submit() and (hall := _save_hall(form, None)):
        flash(_("Hall %(code)s created.", code=hall.code), "success")
        return redirect(url_for("org.hall_detail", hall_id=hall.id))
    return render_template("org/hall_form.html", form=form, hall=None)


@bp.route("/halls/<int:hall_id>/edit", methods=["GET", "POST"])
@roles_required(*ORG_ROLES)
def hall_edit(hall_id: int) -> Any:
    """Change a hall's code, name, type, unit or address."""
    hall = get_or_404(Hall, hall_id)
    form = HallForm(data={"code": hall.code, "name": hall.name, "type": hall.type.value, "unit": str(hall.unit_id),
                          "address": hall.address or "", "latitude": hall.latitude,
                          "longitude": hall.longitude}) if request.method == "GET" else HallForm()
    form.unit.choices = _unit_choices(hall)
    if form.validate_on_submit() and _save_hall(form, hall):
        flash(_("Hall %(code)s saved.", code=hall.code), "success")
        return redirect(url_for("org.hall_detail", hall_id=hall.id))
    return render_template("org/hall_form.html", form=form, hall=hall)


@bp.post("/halls/<int:hall_id>/active")
@roles_required(*ORG_ROLES)
def hall_set_active(hall_id: int) -> Any:
    """Deactivate (``active=0``) or reactivate (``active=1``) a hall."""
    hall = get_or_404(Hall, hall_id)
    toggle_active(lambda active: services.set_hall_active(db.session, current_user, hall, active),
                  lambda active: _("Hall %(code)s reactivated.", code=hall.code) if active else _("Hall %(code)s deactivated.", code=hall.code))
    return redirect(url_for("org.hall_detail", hall_id=hall.id))
