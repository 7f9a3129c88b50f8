"""Feedback pages: the hall manager's home, findings (the hall's and the market department's), rectifying,
appealing and deciding, and the photos halls attach."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
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

from surveyapp import clock, inputs, nav, photos
from surveyapp.assessment.services import parse_period
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.errors import Conflict, InvalidTransition, ValidationError
from surveyapp.feedback import dashboard, labels, queries, services, tasks  # noqa: F401 - tasks registers the reminder job
from surveyapp.feedback.forms import AppealForm, CheckForm, DecideForm, RectifyForm
from surveyapp.feedback.models import Finding, FindingStatus
from surveyapp.notices import sources
from surveyapp.org.models import Hall, Unit
from surveyapp.pagination import paginate
from surveyapp.visits.validation import submitters
from surveyapp.webforms import show_error

bp = Blueprint("feedback", __name__, url_prefix="/feedback")
nav.register_home(bp, Role.HALL_MANAGER, "feedback.home")
nav.register("feedback.home", _l("My hall"), (Role.HALL_MANAGER,), order=5, group="feedback")
nav.register("feedback.findings", _l("Rectification & appeals"), (Role.HALL_MANAGER, Role.MARKET), order=35, group="feedback")


@bp.record_once
def _give_notices_their_readers(state: Any) -> None:
    """The notice's annex, the publishing guard and the letters read feedback through these (notices sits below)."""
    sources.provide(overdue_annex=queries.overdue_annex, undecided_appeals=queries.undecided_appeals,
                    settled_findings=queries.settled_findings)


@bp.record_once
def _template_helpers(state: Any) -> None:
    state.app.jinja_env.globals.update(finding_status=labels.finding_status, appeal_status=labels.appeal_status,
                                       show_label=labels.show_label, due_words=labels.due_words,
                                       local_date=lambda moment: clock.local(moment).date(),
                                       findings_of=lambda visit: queries.for_visit(db.session, visit.id))


@bp.get("/hall")
@roles_required(Role.HALL_MANAGER)
def home() -> Any:
    """The hall manager's home: the notice line, open findings, the score trend, the notices (``?hall=`` switches)."""
    halls = list(current_user.halls)
    if not halls:
        return render_template("feedback/home.html", hall=None, halls=[])
    wanted = request.args.get("hall", type=inputs.whole)
    hall = next((h for h in halls if h.id == wanted), None) if wanted is not None else halls[0]
    if hall is None:
        abort(404)
    return render_template("feedback/home.html", hall=hall, halls=halls, **dashboard.overview(db.session, hall, clock.today()))


def _filter() -> queries.FindingFilter:
    show = request.args.get("show", "")
    period = request.args.get("month", "").strip()
    try:
        period = parse_period(period) if period else ""
    except ValidationError:
        period = ""
    return queries.FindingFilter(show=show if show in queries.SHOWS else queries.SHOWS[0],
                                 hall_id=request.args.get("hall", type=inputs.whole), unit_id=request.args.get("unit", type=inputs.whole),
                                 period=period or None)


@bp.get("/findings")
@roles_required(Role.HALL_MANAGER, Role.MARKET)
def findings() -> Any:
    """Findings to act on: a hall's own; for the market department every hall's, with filters."""
    f = _filter()
    page = paginate(db.session, queries.findings(current_user, f, clock.today()), request.args.get("page", 1, type=inputs.whole),
                    current_app.config["PAGE_SIZE"])
    if current_user.role is Role.MARKET:
        halls = db.session.scalars(sa.select(Hall).order_by(Hall.code)).all()
        units = db.session.scalars(sa.select(Unit).order_by(Unit.code)).all()
    else:
        halls, units = list(current_user.halls), []
    return render_template("feedback/findings.html", page=page, f=f, halls=halls, units=units, today=clock.today(),
                           shows=queries.SHOWS, month=f.period or "")


def _finding(uid: str) -> Finding:
    return queries.get_finding(db.session, current_user, uid)


@bp.get("/findings/<finding>")
@roles_required(Role.HALL_MANAGER, Role.MARKET)
def finding(finding: str) -> Any:
    """One finding: the item, the supervisor's remark and photos, the responses and decisions, the next step."""
    found = _finding(finding)
    return _finding_page(found)


def _finding_page(found: Finding, status: int = 200, **forms: Any) -> Any:
    visit = found.visit
    answer = found.answer
    evidence = [p for p in visit.photos if p.item_key == found.item_key and p.removed_at is None]
    today = clock.today()
    is_hall = current_user.role is Role.HALL_MANAGER
    may = {
        "rectify": is_hall and found.status is FindingStatus.OPEN,
        "appeal": is_hall and found.appeal is None and found.status is not FindingStatus.WITHDRAWN,
        "check": not is_hall and found.status is FindingStatus.RECTIFIED,
        "decide": not is_hall and found.appeal_pending,
    }
    defaults = {"version": found.version}
    return render_template(
        "feedback/finding.html", finding=found, visit=visit, answer=answer, evidence=evidence, today=today, may=may,
        appeal_open=found.appeal_open_on(today), overdue=found.overdue_on(today),
        decider_did_visit=not is_hall and current_user.id in submitters(visit),
        rectify_form=forms.get("rectify_form") or RectifyForm(data=defaults),
        appeal_form=forms.get("appeal_form") or AppealForm(data=defaults),
        check_form=forms.get("check_form") or CheckForm(data=defaults),
        decide_form=forms.get("decide_form") or DecideForm(data=defaults),
    ), status


def _uploads(field: Any) -> list[Any]:
    return [f for f in (field.data or []) if getattr(f, "filename", "")]


def _respond(found: Finding, form: Any, name: str, action: Any, done: str) -> Any:
    """Validate ``form``, run ``action`` and commit (photos written by it are removed if anything fails);
    a refusal shows the page again with the input kept and the reason."""
    if not form.validate_on_submit():
        return _finding_page(found, status=400, **{name: form})
    try:
        with photos.deleted_on_error() as keys:
            made = action(form)
            keys.extend(p.key for p in getattr(made, "photos", []) or [])
            db.session.commit()
    except (ValidationError, InvalidTransition, Conflict) as exc:
        # Refused: the page again, with what was typed and why (a closed window, a decision made meanwhile ...).
        db.session.rollback()
        if isinstance(exc, ValidationError):
            show_error(form, exc)
        else:
            flash(str(exc.message), "error")
        return _finding_page(_finding(found.uid), status=exc.status, **{name: form})
    flash(done, "success")
    return redirect(url_for(".finding", finding=found.uid))


@bp.post("/findings/<finding>/rectify")
@roles_required(Role.HALL_MANAGER)
def rectify(finding: str) -> Any:
    found = _finding(finding)
    return _respond(found, RectifyForm(), "rectify_form", lambda form: services.rectify(
        db.session, current_user, found, form.version.data, form.text.data, _uploads(form.photos)),
        _("Your rectification has been sent to the market department."))


@bp.post("/findings/<finding>/appeal")
@roles_required(Role.HALL_MANAGER)
def appeal(finding: str) -> Any:
    found = _finding(finding)
    return _respond(found, AppealForm(), "appeal_form", lambda form: services.appeal(
        db.session, current_user, found, form.version.data, form.reason.data, _uploads(form.photos)),
        _("Your appeal has been sent to the market department."))


@bp.post("/findings/<finding>/check")
@roles_required(Role.MARKET)
def check(finding: str) -> Any:
    """Verify (``action=verify``) or reopen (``action=reopen``) the hall's rectification."""
    found = _finding(finding)
    action = request.form.get("action")
    if action not in ("verify", "reopen"):
        raise ValidationError(_("The request could not be understood."))
    return _respond(found, CheckForm(), "check_form", lambda form: services.check_rectification(
        db.session, current_user, found, form.version.data, action == "verify", form.comment.data),
        _("The rectification has been verified.") if action == "verify" else _("The finding has been reopened."))


@bp.post("/findings/<finding>/decide")
@roles_required(Role.MARKET)
def decide(finding: str) -> Any:
    """Uphold (``action=uphold``, with ``corrected_to``) or reject (``action=reject``, with a reason) the appeal."""
    found = _finding(finding)
    action = request.form.get("action")
    if action not in ("uphold", "reject"):
        raise ValidationError(_("The request could not be understood."))
    return _respond(found, DecideForm(), "decide_form", lambda form: services.decide_appeal(
        db.session, current_user, found, form.version.data, action == "uphold", form.corrected_to.data,
        form.reason.data),
        _("The appeal has been upheld and the score recomputed.") if action == "uphold" else _("The appeal has been rejected."))


@bp.get("/photos/<feedback_photo>")
@roles_required(Role.HALL_MANAGER, Role.MARKET)
def photo(feedback_photo: str) -> Any:
    """A photo a hall attached to a rectification or an appeal (``?thumb=1``: its thumbnail)."""
    found = queries.get_photo(db.session, current_user, feedback_photo)
    return photos.send_photo(found.key, download_name=f"feedback-{found.uid[:8]}", thumbnail=request.args.get("thumb") == "1")
