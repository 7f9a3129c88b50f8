"""Planning a visit by hand (market department): plan, change or cancel one visit, under the visit list's
``/visits`` URLs; the month plan and the calendar have pages of their own."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp import clock, inputs
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role, User
from surveyapp.checklists.definition import VisitType
from surveyapp.checklists.models import ChecklistVersion
from surveyapp.db import db
from surveyapp.errors import InvalidTransition, ValidationError
from surveyapp.i18n import localized
from surveyapp.org.models import Hall
from surveyapp.planning import services
from surveyapp.planning.forms import PlanForm
from surveyapp.visits import queries
from surveyapp.visits.forms import CancelForm
from surveyapp.visits.models import CANCELLABLE, Visit, VisitStatus

bp = Blueprint("planning", __name__, url_prefix="/visits")


def _visit(uid: str) -> Visit:
    return queries.get_visit(db.session, current_user, uid)


def _plan_choices(form: PlanForm, visit: Visit | None = None) -> None:
    halls = db.session.scalars(sa.select(Hall).where(Hall.active.is_(True)).order_by(Hall.code)).all()
    form.hall.choices = [(h.id, f"{h.code} {h.name}") for h in halls]
    if visit is not None and not visit.hall.active:
        form.hall.choices.insert(0, (visit.hall.id, f"{visit.hall.code} {visit.hall.name}"))
    versions = queries.newest_versions(db.session)
    form.checklist.choices = [(v.checklist.slug, f"{localized(v.title, v.title_en)} (v{v.version})",
                               {"data-types": " ".join(t.value for t in v.definition.visit_types)}) for v in versions]
    form.supervisor.choices = [(u.id, u.display_name) for u in queries.active_supervisors(db.session)]


def _plan_from_form(form: PlanForm, visit: Visit | None) -> services.Plan:
    hall = db.session.get(Hall, form.hall.data)
    supervisor = db.session.get(User, form.supervisor.data)
    if visit is not None and form.checklist.data == visit.checklist_version.checklist.slug \
            and visit.status is VisitStatus.IN_PROGRESS:
        version: ChecklistVersion | None = visit.checklist_version  # started: the frozen version stays
    else:
        version = next((v for v in queries.newest_versions(db.session) if v.checklist.slug == form.checklist.data), None)
    if hall is None or supervisor is None or version is None:
        raise ValidationError(_("Choose a hall, a checklist and a supervisor from the lists."))
    return services.Plan(hall, version, VisitType(form.type.data), supervisor, form.due_from.data, form.due_until.data)


def _show_refusal(form: PlanForm, exc: ValidationError | InvalidTransition) -> None:
    form.form_errors.extend(getattr(exc, "errors", None) or [str(exc.message)])


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.MARKET)
def new() -> Any:
    """Plan a visit by hand."""
    form = PlanForm()
    _plan_choices(form)
    if request.method == "GET":
        today = clock.today()
        form.due_from.data = today
        form.due_until.data = today + dt.timedelta(days=7)
        hall_id = inputs.whole_number(request.args.get("hall"))
        if hall_id is not None:
            form.hall.data = hall_id
    if form.validate_on_submit():
        try:
            visit = services.plan_visit(db.session, current_user, _plan_from_form(form, None))
        except ValidationError as exc:
            db.session.rollback()
            _show_refusal(form, exc)
        else:
            db.session.commit()
            flash(_("The visit has been planned."), "success")
            return redirect(url_for("visits.detail", uid=visit.uid))
    return render_template("planning/plan.html", form=form, visit=None)


@bp.route("/<uid>/edit", methods=["GET", "POST"])
@roles_required(Role.MARKET)
def edit(uid: str) -> Any:
    """Change a planned visit (once started: its due window only)."""
    visit = _visit(uid)
    if visit.status not in CANCELLABLE:
        flash(_("This visit has been submitted; its plan can no longer change."), "error")
        return redirect(url_for("visits.detail", uid=uid))
    form = PlanForm(obj=None)
    _plan_choices(form, visit)
    if request.method == "GET":
        form.hall.data, form.type.data = visit.hall_id, visit.type.value
        form.checklist.data, form.supervisor.data = visit.checklist_version.checklist.slug, visit.supervisor_id
        form.due_from.data, form.due_until.data, form.version.data = visit.due_from, visit.due_until, visit.version
    if form.validate_on_submit():
        try:
            expected = inputs.whole_number(form.version.data)
            changed = services.update_plan(db.session, current_user, visit, expected, _plan_from_form(form, visit))
        except (ValidationError, InvalidTransition) as exc:
            db.session.rollback()
            _show_refusal(form, exc)
        else:
            db.session.commit()
            flash(_("The visit has been changed.") if changed else _("Nothing was changed."), "success")
            return redirect(url_for("visits.detail", uid=uid))
    return render_template("planning/plan.html", form=form, visit=visit)


@bp.post("/<uid>/cancel")
@roles_required(Role.MARKET)
def cancel(uid: str) -> Any:
    visit = _visit(uid)
    form = CancelForm()
    if not form.validate():
        raise ValidationError(_("The request could not be understood."))
    services.cancel_visit(db.session, current_user, visit, form.version.data, form.reason.data)
    db.session.commit()
    flash(_("The visit has been cancelled."), "success")
    return redirect(url_for("visits.detail", uid=uid))


@bp.get("/options")
@roles_required(Role.MARKET)
def plan_options() -> Any:
    """For the planning form: the supervisors who cover a hall (JSON ``{"supervisors": [id, ...]}``)."""
    hall = db.session.get(Hall, request.args.get("hall", 0, type=inputs.whole))
    if hall is None:
        abort(404)
    return jsonify(supervisors=[u.id for u in queries.supervisors_for_hall(db.session, hall)])
