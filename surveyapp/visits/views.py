"""The market department's visit pages: the list, the validation queue and a visit's record (planning a visit by
hand: :mod:`surveyapp.planning.visit_views`); and the one photo endpoint every role uses (access decided per photo)."""
from __future__ import annotations

import uuid
from typing import Any

from flask import (
    Blueprint,
    Flask,
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

from surveyapp import inputs, nav
from surveyapp.auth.access import login_required, roles_required
from surveyapp.auth.models import Role
from surveyapp.checklists.scoring import round_half_up
from surveyapp.db import db
from surveyapp.errors import ValidationError
from surveyapp.pagination import paginate
from surveyapp.visits import evidence, queries, rules, services, validation
from surveyapp.visits.filters import filter_choices, filters_from_args
from surveyapp.visits.flags import flag_label, flag_reason
from surveyapp.visits.forms import CancelForm, DecisionForm, ReleaseForm
from surveyapp.visits.labels import STATUS_TONE, event_label, status_label
from surveyapp.visits.models import Visit, VisitStatus

bp = Blueprint("visits", __name__, url_prefix="/visits")
nav.register("visits.index", _l("Visits"), (Role.MARKET,), order=30, group="visits")
nav.register("visits.queue", _l("Validation"), (Role.MARKET,), order=31, group="visits")


@bp.record_once
def _template_helpers(state: Any) -> None:
    app: Flask = state.app
    app.jinja_env.globals.update(
        status_label=status_label, status_tone=lambda s: STATUS_TONE[VisitStatus(s)],
        score_text=lambda value: str(round_half_up(value, 1)),
        new_submission_id=lambda: str(uuid.uuid4()), event_label=event_label, answer_sections=answer_sections,
        evidence_flag_label=flag_label, evidence_flag_reason=flag_reason,
    )


def answer_sections(visit: Visit, answers: dict[str, Any], findings_only: bool = False) -> list[tuple[Any, list[Any]]]:
    """The checklist's sections with the items this visit asks (only failed ones with ``findings_only``)."""
    out = []
    for section in visit.checklist_version.definition.sections:
        items = [item for item in section.items if item.applies(visit.type, visit.hall.type)
                 and (not findings_only or (item.key in answers and answers[item.key].failed))]
        if items:
            out.append((section, items))
    return out


def _visit(uid: str) -> Visit:
    return queries.get_visit(db.session, current_user, uid)


def _list_page(template: str, query: Any) -> Any:
    """A filtered, paginated list of visits (``query`` takes the filters)."""
    filters = filters_from_args(request.args)
    page = paginate(db.session, query(filters), request.args.get("page", 1, type=inputs.whole), current_app.config["PAGE_SIZE"])
    return render_template(template, page=page, f=filters, month=request.args.get("month", ""),
                           flag_counts=queries.flag_counts(db.session, [v.id for v in page.items]), **filter_choices(db.session))


@bp.get("/")
@roles_required(Role.MARKET)
def index() -> Any:
    """Every visit, filtered by unit, hall, type, supervisor, status and month."""
    return _list_page("visits/index.html", queries.market_list)


@bp.get("/queue")
@roles_required(Role.MARKET)
def queue() -> Any:
    """Submitted visits waiting for validation, the longest waiting first."""
    return _list_page("visits/queue.html", queries.validation_queue)


# --- a visit's record and its validation --------------------------------------------------------------


@bp.get("/<uid>")
@roles_required(Role.MARKET)
def detail(uid: str) -> Any:
    """Everything about one visit: answers with points and photos, revisions, history, and the decisions."""
    visit = _visit(uid)
    photos: dict[str, list[Any]] = {}
    for photo in visit.photos:
        if photo.removed_at is None:
            photos.setdefault(photo.item_key or "", []).append(photo)
    queries.read_answers(db.session, visit)
    answers = {a.item.key: a for a in visit.answers}
    may_decide = visit.status is VisitStatus.SUBMITTED and current_user.id not in validation.submitters(visit)
    return render_template(
        "visits/detail.html", visit=visit, answers=answers, photos=photos, may_decide=may_decide,
        definition=visit.checklist_version.definition, decision=DecisionForm(version=visit.version),
        late=visit.status is VisitStatus.SUBMITTED
        and (visit.late or rules.month_closed(db.session, visit.period, rules.VisitSettings.of(current_app))),
        cancel_form=CancelForm(version=visit.version), release_form=ReleaseForm(version=visit.version),
        next_uid=_next_in_queue(visit), flags=queries.visit_flags(db.session, visit),
    )


def _next_in_queue(visit: Visit) -> str | None:
    query = queries.validation_queue(queries.VisitFilter()).where(Visit.id != visit.id).limit(1)
    following = db.session.scalar(query)
    return following.uid if following is not None else None


@bp.post("/<uid>/decide")
@roles_required(Role.MARKET)
def decide(uid: str) -> Any:
    """Approve, return for correction (with comments, per item too: ``item:<key>``), or reject (with a reason)."""
    visit = _visit(uid)
    form = DecisionForm()
    if not form.validate():
        raise ValidationError(_("The request could not be understood."), errors=[str(e) for m in form.errors.values() for e in m])
    action, comment = request.form.get("action"), form.comment.data or ""
    if action == "approve":
        validation.approve(db.session, current_user, visit, form.version.data,
                           settings=rules.VisitSettings.of(current_app), comment=comment,
                           late_confirmed=request.form.get("late_confirmed") == "y")
        done = _("The visit has been validated.")
    elif action == "return":
        items = {k[5:]: v for k, v in request.form.items() if k.startswith("item:")}
        validation.return_visit(db.session, current_user, visit, form.version.data, comment, items)
        done = _("The visit has been returned to the supervisor.")
    elif action == "reject":
        validation.reject(db.session, current_user, visit, form.version.data, comment)
        done = _("The visit has been rejected.")
    else:
        raise ValidationError(_("The request could not be understood."))
    db.session.commit()
    flash(done, "success")
    following = _next_in_queue(visit)
    if request.form.get("then") == "next" and following:
        return redirect(url_for(".detail", uid=following))
    return redirect(url_for(".detail", uid=uid))


@bp.post("/<uid>/release")
@roles_required(Role.MARKET)
def release(uid: str) -> Any:
    """Release a validated confidential visit to its hall before the month's notice."""
    visit = _visit(uid)
    form = ReleaseForm()
    if not form.validate():
        raise ValidationError(_("The request could not be understood."))
    services.check_version(visit, form.version.data)
    validation.release_visits(db.session, current_user, [visit])
    db.session.commit()
    flash(_("The hall can now see this visit."), "success")
    return redirect(url_for(".detail", uid=uid))


@bp.get("/<uid>/revisions")
@roles_required(Role.MARKET)
def revisions(uid: str) -> Any:
    """Two submitted versions side by side (default: the last two), changed items highlighted."""
    visit = _visit(uid)
    numbers = [r.number for r in visit.revisions]
    if not numbers:
        abort(404)
    b = request.args.get("b", numbers[-1], type=inputs.whole)
    a = request.args.get("a", numbers[-2] if len(numbers) > 1 else numbers[-1], type=inputs.whole)
    by_number = {r.number: r for r in visit.revisions}
    if a not in by_number or b not in by_number:
        abort(404)
    return render_template("visits/revisions.html", visit=visit, left=by_number[a], right=by_number[b],
                           numbers=numbers, definition=visit.checklist_version.definition)


@bp.get("/photos/<photo>")
@login_required
def photo(photo: str) -> Any:
    """A photo (``?thumb=1``: its thumbnail), to anyone who may see its visit (hall managers: released visits
    of their halls only)."""
    return evidence.serve(queries.get_photo(db.session, current_user, photo), thumbnail=request.args.get("thumb") == "1")
