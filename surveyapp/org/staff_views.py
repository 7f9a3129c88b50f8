"""Staff (营业员): list and search across halls, add, edit, move to another hall, deactivate."""
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
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.errors import ValidationError
from surveyapp.org import services
from surveyapp.org.forms import StaffForm
from surveyapp.org.models import Hall, Staff
from surveyapp.org.queries import StaffFilter, staff_query
from surveyapp.pagination import paginate
from surveyapp.webforms import get_or_404, show_error, toggle_active

bp = Blueprint("staff", __name__, url_prefix="/org/staff")
ORG_ROLES = (Role.ADMIN, Role.MARKET)
nav.register("staff.index", _l("Staff"), ORG_ROLES, order=25, group="organisation")
register_link("staff", "staff.edit", "staff_id")


@bp.get("/")
@roles_required(*ORG_ROLES)
def index() -> Any:
    """All staff, or one hall's (``?hall=CODE``), searched by job number or name."""
    f = StaffFilter.from_args(request.args)
    page = paginate(db.session, staff_query(db.session, f), request.args.get("page", 1, type=inputs.whole), current_app.config["PAGE_SIZE"])
    hall = db.session.scalar(sa.select(Hall).where(Hall.code == f.hall)) if f.hall else None
    return render_template("org/staff.html", page=page, f=f, hall=hall)


def _save(form: StaffForm, staff: Staff | None) -> Staff | None:
    hall = db.session.scalar(sa.select(Hall).where(Hall.code == form.hall.data))
    try:
        if hall is None:
            raise ValidationError(_("hall code %(code)s does not exist", code=form.hall.data), field="hall")
        if staff is None:
            staff = services.create_staff(db.session, current_user, job_number=form.job_number.data, name=form.name.data, hall=hall)
        else:
            services.update_staff(db.session, current_user, staff, job_number=form.job_number.data, name=form.name.data, hall=hall)
    except ValidationError as exc:
        db.session.rollback()
        show_error(form, exc)
        return None
    db.session.commit()
    return staff


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ORG_ROLES)
def new() -> Any:
    """Add an employee, to the hall given as ``?hall=CODE`` by default."""
    form = StaffForm(hall=request.args.get("hall", ""))
    if form.validate_on_submit() and (staff := _save(form, None)):
        flash(_("Employee %(number)s added.", number=staff.job_number), "success")
        return redirect(url_for("org.hall_detail", hall_id=staff.hall_id))
    return render_template("org/staff_form.html", form=form, staff=None)


@bp.route("/<int:staff_id>/edit", methods=["GET", "POST"])
@roles_required(*ORG_ROLES)
def edit(staff_id: int) -> Any:
    """Correct an employee's details or move them to another hall."""
    staff = get_or_404(Staff, staff_id)
    form = StaffForm(data={"job_number": staff.job_number, "name": staff.name, "hall": staff.hall.code}) \
        if request.method == "GET" else StaffForm()
    if form.validate_on_submit() and _save(form, staff):
        flash(_("Employee %(number)s saved.", number=staff.job_number), "success")
        return redirect(url_for("org.hall_detail", hall_id=staff.hall_id))
    return render_template("org/staff_form.html", form=form, staff=staff)


@bp.post("/<int:staff_id>/active")
@roles_required(*ORG_ROLES)
def set_active(staff_id: int) -> Any:
    """Deactivate (``active=0``: the employee left) or reactivate (``active=1``) an employee."""
    staff = get_or_404(Staff, staff_id)
    toggle_active(lambda active: services.set_staff_active(db.session, current_user, staff, active),
                  lambda active: _("Employee %(number)s reactivated.", number=staff.job_number) if active
                  else _("Employee %(number)s deactivated.", number=staff.job_number))
    return redirect(url_for("staff.edit", staff_id=staff.id))
