"""The market department's automatic month plan: ask, review and adjust the proposal, save it all at once."""
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

from surveyapp import clock, inputs, jobs, nav
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role, User
from surveyapp.checklists.definition import VisitType
from surveyapp.db import db
from surveyapp.errors import Conflict, InvalidTransition, ValidationError
from surveyapp.i18n import localized
from surveyapp.org.models import Unit
from surveyapp.pagination import paginate
from surveyapp.planning import autoplan, month_plan, month_plan_job
from surveyapp.planning.forms import COUNT_FIELDS, MonthPlanForm, ProposalForm
from surveyapp.planning.models import PlanProposal
from surveyapp.visits import queries
from surveyapp.webforms import show_error

bp = Blueprint("visit_plan", __name__, url_prefix="/visits/plan-month")
nav.register("visit_plan.month", _l("Month plan"), (Role.MARKET,), order=33, group="visits")


def _choices(form: MonthPlanForm) -> None:
    form.unit.choices = [(0, _("All halls"))] + [
        (u.id, f"{u.name} ({u.code})") for u in db.session.scalars(sa.select(Unit).where(Unit.active.is_(True))
                                                                     .order_by(Unit.code))]
    for visit_type in autoplan.CHANNELS:
        form.checklist(visit_type).choices = [(v.id, f"{localized(v.title, v.title_en)} (v{v.version})")
                                              for v in queries.newest_versions(db.session, visit_type)]


def _settings(form: MonthPlanForm) -> month_plan.MonthSettings:
    versions = {v.id: v for t in autoplan.CHANNELS for v in queries.newest_versions(db.session, t)}
    counts = {t: form.count(t) for t in autoplan.CHANNELS}
    checklists = {t: versions[form.checklist(t).data] for t in autoplan.CHANNELS
                  if counts[t] and form.checklist(t).data in versions}
    period = form.month.data
    return month_plan.MonthSettings(period, db.session.get(Unit, form.unit.data) if form.unit.data else None, counts,
                                    checklists, form.windows.data, month_plan.first_draw(period))


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.MARKET)
def month() -> Any:
    """Ask for a month's plan: which month and halls, how many visits of each kind, which checklists. A company of
    more than ``PLAN_JOB_HALLS`` halls gets its proposal from a background job (its progress page leads to it)."""
    form = MonthPlanForm()
    _choices(form)
    if request.method == "GET":
        asked = request.args.get("month", "")
        form.month.data = asked if month_plan.parse_period(asked) else month_plan.next_period(clock.today())
        form.unit.data = request.args.get("unit", 0, type=inputs.whole)
        for visit_type, count in month_plan.default_counts(current_app.config["VISIT_PLAN_COUNTS"]).items():
            getattr(form, COUNT_FIELDS[visit_type]).data = count
            choices = form.checklist(visit_type).choices
            form.checklist(visit_type).data = choices[0][0] if choices else 0
        form.windows.data = int(current_app.config.get("VISIT_PLAN_WINDOWS", 4))
    status = 200
    if form.validate_on_submit() and month_plan_job.too_large(db.session, current_app.config["PLAN_JOB_HALLS"]):
        job = month_plan_job.start(db.session, current_user, _settings(form))
        db.session.commit()
        jobs.enqueue(job)
        return redirect(url_for("jobs.progress", job_id=job.id))
    if form.validate_on_submit():
        try:
            proposal = month_plan.propose(db.session, current_user, _settings(form))
        except ValidationError as exc:
            db.session.rollback()
            show_error(form, exc)
            status = 400
        else:
            db.session.commit()
            return redirect(url_for(".review", proposal=proposal.uid))
    elif request.method == "POST":
        status = 400
    return render_template("planning/plan_month.html", form=form, proposals=month_plan.open_proposals(db.session)), status


def _review_args() -> dict[str, Any]:
    """The review page's filters and page, from the query string or the posted form."""
    source = request.form if request.method == "POST" else request.args
    args = {name: source.get(name, type=inputs.whole) for name in ("unit", "supervisor", "page")}
    args["flagged"] = 1 if source.get("flagged") else None
    return {k: v for k, v in args.items() if v}


def _render_review(proposal: PlanProposal, problem: Exception | None = None, status: int = 200) -> Any:
    args = _review_args()
    query = month_plan.item_query(proposal, args.get("unit"), args.get("supervisor"), bool(args.get("flagged")))
    page = paginate(db.session, query, args.get("page", 1), current_app.config["PAGE_SIZE"])
    options: dict[tuple[int, VisitType], list[User]] = {}
    for item in page.items:
        key = (item.hall.unit_id, item.type)
        if key not in options:
            options[key] = month_plan.candidates(db.session, item)
    review = month_plan.review(db.session, proposal)
    settings = month_plan.settings_of(db.session, proposal)
    asked = [(t, n, settings.checklists.get(t)) for t, n in settings.counts.items() if n]
    return render_template(
        "planning/proposal.html", proposal=proposal, review=review, page=page, options=options, args=args, asked=asked,
        form=ProposalForm(version=proposal.version), problem=problem, channels=autoplan.CHANNELS,
        units=db.session.scalars(sa.select(Unit).order_by(Unit.code)).all(),
        supervisors=[load.supervisor for load in sorted(review.loads, key=lambda load: load.supervisor.display_name)],
    ), status


@bp.get("/<proposal>")
@roles_required(Role.MARKET)
def review(proposal: str) -> Any:
    """Review a proposal: warnings, loads per supervisor, and every proposed visit (adjustable)."""
    return _render_review(month_plan.get_proposal(db.session, proposal))


def _version(form: ProposalForm) -> int:
    if not form.validate():
        raise ValidationError(_("The request could not be understood. Reload the page."))
    return int(form.version.data)


@bp.post("/<proposal>/adjust")
@roles_required(Role.MARKET)
def adjust(proposal: str) -> Any:
    """Give the visits of the page to the supervisors chosen in it."""
    plan = month_plan.get_proposal(db.session, proposal)
    version = _version(ProposalForm())
    chosen = ((inputs.whole_number(name[4:]), inputs.whole_number(value))
              for name, value in request.form.items() if name.startswith("sup-"))
    changes = {visit_id: supervisor for visit_id, supervisor in chosen if visit_id is not None and supervisor is not None}
    try:
        changed = month_plan.adjust(db.session, current_user, plan, version, changes)
    except (ValidationError, Conflict, InvalidTransition) as exc:
        db.session.rollback()
        return _render_review(month_plan.get_proposal(db.session, proposal), exc, exc.status)
    db.session.commit()
    flash(_("%(n)d visits were given to other supervisors.", n=changed) if changed else _("Nothing was changed."),
          "success")
    return redirect(url_for(".review", proposal=proposal, **_review_args()))


@bp.post("/<proposal>/save")
@roles_required(Role.MARKET)
def save(proposal: str) -> Any:
    """Plan every proposed visit at once (all or nothing)."""
    plan = month_plan.get_proposal(db.session, proposal)
    version = _version(ProposalForm())
    try:
        visits = month_plan.save(db.session, current_user, plan, version)
    except (ValidationError, Conflict, InvalidTransition) as exc:
        db.session.rollback()
        return _render_review(month_plan.get_proposal(db.session, proposal), exc, exc.status)
    db.session.commit()
    flash(_("%(n)d visits of %(month)s have been planned.", n=len(visits), month=plan.period), "success")
    return redirect(url_for("visit_calendar.calendar", month=plan.period, unit=plan.unit_id))


@bp.post("/<proposal>/discard")
@roles_required(Role.MARKET)
def discard(proposal: str) -> Any:
    """Drop the proposal; nothing is planned."""
    plan = month_plan.get_proposal(db.session, proposal)
    month_plan.discard(db.session, current_user, plan, _version(ProposalForm()))
    db.session.commit()
    flash(_("The proposal was discarded; nothing was planned."), "success")
    return redirect(url_for(".month", month=plan.period))


@bp.post("/<proposal>/again")
@roles_required(Role.MARKET)
def again(proposal: str) -> Any:
    """Propose the month again with another draw (ties broken differently); the old proposal is replaced."""
    old = month_plan.get_proposal(db.session, proposal)
    month_plan.check_open(old, _version(ProposalForm()))
    new = month_plan.propose(db.session, current_user, month_plan.settings_of(db.session, old, seed=old.settings["seed"] + 1))
    db.session.commit()
    return redirect(url_for(".review", proposal=new.uid))
