"""The supervisor's pages (phone first): my visits, and the checklist page with its JSON endpoints.

The page works without JavaScript (one POST saves the draft, uploads photos and submits); with
``static/js/visit.js`` it autosaves, keeps a copy on the phone while offline, uploads photos one by one and
submits with a client-generated submission id, retrying until the server acknowledges.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.datastructures import MultiDict

from surveyapp import clock, nav, photos
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role
from surveyapp.db import commit_keeping_loaded, db
from surveyapp.errors import InvalidTransition, ValidationError
from surveyapp.security import error_response
from surveyapp.visits import evidence, queries, rules, services
from surveyapp.visits.forms import (
    attach_errors,
    field_errors,
    initial_values,
    page_names,
    visit_page_form,
)
from surveyapp.visits.models import EDITABLE, Visit, VisitStatus
from surveyapp.visits.rules import VisitSettings

bp = Blueprint("my_visits", __name__, url_prefix="/my")
nav.register("my_visits.home", _l("My visits"), (Role.SUPERVISOR,), order=10, group="visits")
nav.register_home(bp, Role.SUPERVISOR, "my_visits.home")

#: Names posted by the page that are not part of the draft.
CONTROL_FIELDS = {"csrf_token", "action", "submission_id", "remove_photo", "anchor"}


def _visit(uid: str) -> Visit:
    return queries.get_visit(db.session, current_user, uid)


@bp.get("/visits")
@roles_required(Role.SUPERVISOR)
def home() -> Any:
    """My visits: what needs me now (returned with the comments, started, due this week), then the later
    assignments by week and the recent submissions, collapsed."""
    today = clock.today()
    week_end = today + dt.timedelta(days=6 - today.weekday())
    open_ = db.session.scalars(queries.own_visits(
        current_user, [VisitStatus.RETURNED, VisitStatus.IN_PROGRESS, VisitStatus.PLANNED])).all()
    planned = [v for v in open_ if v.status is VisitStatus.PLANNED]
    return render_template(
        "visits/my_visits.html", today=today, returned=[v for v in open_ if v.status is VisitStatus.RETURNED],
        drafts=[v for v in open_ if v.status is VisitStatus.IN_PROGRESS],
        due_now=[v for v in planned if v.due_from is None or v.due_from <= week_end],
        later=_by_week((v.due_from, v) for v in planned if v.due_from is not None and v.due_from > week_end),
        recent=db.session.scalars(queries.recent_submissions(current_user)).all(), latest_return=services.latest_return,
    )


def _by_week(dated: Iterable[tuple[dt.date, Visit]]) -> list[tuple[dt.date, list[Visit]]]:
    """Visits grouped by the Monday of the week they are due from, earliest week first."""
    weeks: dict[dt.date, list[Visit]] = {}
    for day, visit in dated:
        weeks.setdefault(day - dt.timedelta(days=day.weekday()), []).append(visit)
    return sorted(weeks.items(), key=lambda week: week[0])


def _page_form(visit: Visit, formdata: MultiDict | None = None, draft: bool = True) -> Any:
    """The checklist form for ``visit``: posted data, else the saved draft, else the last submission."""
    form_class = visit_page_form(visit)
    context = {"meta": {"csrf": False}, "staff": {s.job_number: s.name for s in visit.hall.staff},
               "evidence_counts": {key: len(uids) for key, uids in rules.current_photos(visit).items()}}
    if formdata is None and draft and visit.draft:
        formdata = MultiDict([tuple(pair) for pair in visit.draft["fields"]])
    if formdata is not None:
        return form_class(formdata=formdata, **context)
    return form_class(formdata=None, **context, **initial_values(visit))


def _render(visit: Visit, form: Any, status: int = 200) -> Any:
    photos: dict[str, list[Any]] = {}
    for photo in visit.photos:
        if photo.removed_at is None:
            photos.setdefault(photo.item_key or "", []).append(photo)
    template = "visits/fill.html" if visit.editable else "visits/my_visit.html"
    return render_template(template, visit=visit, form=form, photos=photos, returned=services.latest_return(visit),
                           approval=services.latest_event(visit, "approve"),
                           revision=services.latest_revision(visit), item_comments=_item_comments(visit)), status


def _item_comments(visit: Visit) -> dict[str, str]:
    event = services.latest_return(visit)
    return dict((event.details or {}).get("items", {})) if event is not None and visit.editable else {}


@bp.get("/visits/<uid>")
@roles_required(Role.SUPERVISOR)
def visit(uid: str) -> Any:
    """The checklist page of one of my visits (read-only once submitted; a start button while planned)."""
    visit = _visit(uid)
    if visit.status is VisitStatus.PLANNED:
        return render_template("visits/start.html", visit=visit)
    return _render(visit, _page_form(visit, draft=visit.editable))


def _posted_fields() -> list[list[str]]:
    return [[name, value] for name, value in request.form.items(multi=True) if name not in CONTROL_FIELDS]


@bp.errorhandler(CSRFError)
def _aged_form(exc: CSRFError) -> Any:
    """A refused CSRF token on the checklist page (e.g. after logging in again): nothing was saved, and the
    posted answers are shown again for the supervisor to send once more. Elsewhere: the usual error."""
    if request.endpoint == "my_visits.post_visit" and getattr(current_user, "role", None) is Role.SUPERVISOR:
        visit = _visit(request.view_args["uid"])
        if visit.editable:
            flash(_("This page had been open for a long time. Your answers are shown again: check them and press "
                    "the button again (photos you had just chosen must be chosen again)."), "warning")
            return _render(visit, _page_form(visit, formdata=request.form), 400)
    return error_response(400, _("This form has expired or was sent from another page. Go back, reload it and send it again."))


@bp.post("/visits/<uid>")
@roles_required(Role.SUPERVISOR)
def post_visit(uid: str) -> Any:
    """The page without JavaScript: save the draft, add photos, remove one, or submit (an aged-out CSRF token
    shows the answers again instead of losing them: see :func:`_aged_form`)."""
    visit = _visit(uid)
    form = _page_form(visit, formdata=request.form)
    if not visit.editable:
        if request.form.get("action") == "submit":  # a repeat (double tap, reload): the same result again
            return _submit(visit, form, request.form.get("submission_id", ""), None, json=False, names=_posted_names())
        flash(str(services.not_editable(visit).message), "error")
        return redirect(url_for(".visit", uid=uid))
    with photos.deleted_on_error() as stored:
        services.save_draft(db.session, current_user, visit, _posted_fields(), clock.now(), settings=VisitSettings.of(current_app))
        problems = _store_posted_photos(visit, stored)
        if request.form.get("remove_photo"):
            evidence.remove_photo(db.session, current_user, visit, request.form["remove_photo"])
        db.session.commit()
    if problems:
        attach_errors(form, problems)
        return _render(visit, form, 422)
    if request.form.get("action") != "submit":
        if not request.form.get("remove_photo"):
            flash(_("Your answers have been saved."), "success")
        return redirect(url_for(".visit", uid=uid))
    return _submit(visit, form, request.form.get("submission_id", ""), None, json=False, names=_posted_names())


def _posted_names() -> list[str]:
    """The names the page posted, photo inputs included (those with a file)."""
    return [*request.form.keys(), *(name for name, upload in request.files.items(multi=True) if upload.filename)]


def _store_posted_photos(visit: Visit, stored: list[str]) -> dict[str, list[str]]:
    """Photos chosen in the page's file inputs (``<key>.photos``), their keys added to ``stored``;
    returns the problems by field (a refused photo does not stop the others)."""
    problems: dict[str, list[str]] = {}
    for name, upload in request.files.items(multi=True):
        if not upload or not upload.filename or not name.endswith(".photos"):
            continue
        key = name[: -len(".photos")] or None
        try:
            photo, _created = evidence.add_photo(db.session, current_user, visit, key, None, upload, settings=VisitSettings.of(current_app))
            stored.append(photo.key)
        except ValidationError as exc:
            problems.setdefault(name, []).append(str(exc.message))
    return problems


def _submit(visit: Visit, form: Any, submission_id: str, submitted_at: dt.datetime | None, json: bool,
            names: Iterable[str]) -> Any:
    """Validate the form's content and submit it; a race with a repeat of the same submission is retried once.

    :param names: the field names posted: one that is no field of the page is refused, not dropped.
    """
    unknown = form.unknown_fields(names, CONTROL_FIELDS)
    if not form.validate() or unknown:
        return _refuse(visit, form, {**field_errors(form), **unknown}, json)
    content = form.content(clock.company_tz())
    for attempt in (1, 2):
        try:
            result = services.submit_visit(db.session, current_user, visit, submission_id, content, submitted_at,
                                           settings=VisitSettings.of(current_app))
            # What the answer says, read before the commit expires it (not loaded again afterwards).
            answer = {"status": visit.status.value, "revision": result.revision.number}
            done = url_for(".visit", uid=visit.uid)
            db.session.commit()
            break
        except rules.ContentInvalid as exc:
            db.session.rollback()
            return _refuse(visit, form, exc.fields, json)
        except services.SubmissionRace:
            db.session.rollback()
            if attempt == 2:
                raise
            visit = _visit(visit.uid)
    message = (_("Submitted. Thank you: the market department will check it.") if not result.repeated
               else _("This submission had already been received."))
    if json:
        return jsonify(status=answer["status"], revision=answer["revision"], repeated=result.repeated,
                       redirect=done, message=message)
    flash(message, "success")
    return redirect(done)


def _refuse(visit: Visit, form: Any, fields: dict[str, list[str]], json: bool) -> Any:
    if json:
        return jsonify(error=_("The visit was not submitted: correct the items marked."), fields=page_names(form, fields)), 422
    attach_errors(form, {name: messages for name, messages in fields.items() if name not in form.errors})
    flash(_("The visit was not submitted: correct the items marked."), "error")
    return _render(visit, form, 422)


@bp.post("/visits/<uid>/start")
@roles_required(Role.SUPERVISOR)
def start(uid: str) -> Any:
    visit = _visit(uid)
    services.start_visit(db.session, current_user, visit)
    db.session.commit()
    return redirect(url_for(".visit", uid=uid))


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationError(_("The request is not in the expected format."))
    return data


def _client_time(value: object) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


@bp.post("/visits/<uid>/draft")
@roles_required(Role.SUPERVISOR)
def draft(uid: str) -> Any:
    """Autosave (JSON ``{"fields": [[name, value], ...], "client_at": ISO time}``)."""
    visit = _visit(uid)
    data = _json_body()
    stored = services.save_draft(db.session, current_user, visit, data.get("fields"), _client_time(data.get("client_at")),
                                 settings=VisitSettings.of(current_app))
    db.session.commit()
    return jsonify(saved=stored, saved_at=visit.draft_saved_at.isoformat() if visit.draft_saved_at else None)


@bp.post("/visits/<uid>/submit")
@roles_required(Role.SUPERVISOR)
def submit(uid: str) -> Any:
    """Submit (JSON ``{"submission_id", "fields", "submitted_at"}``): 200 done (or a repeat), 422 problems by field,
    409 refused (other content under this id, or not editable any more)."""
    visit = _visit(uid)
    data = _json_body()
    fields = services.clean_fields(data.get("fields"))
    submission_id = services.clean_uuid(data.get("submission_id"), _("The submission id"))
    if visit.status in EDITABLE:
        # The answers are kept as the draft first: a refused submission loses nothing. A concurrent
        # repeat of this submission may have submitted the visit meanwhile: that is for _submit to judge.
        try:
            services.save_draft(db.session, current_user, visit, fields, _client_time(data.get("submitted_at")),
                                settings=VisitSettings.of(current_app))
            commit_keeping_loaded(db.session)  # the visit, its hall and checklist are not read again
        except InvalidTransition:
            db.session.rollback()
    form = _page_form(visit, formdata=MultiDict([tuple(pair) for pair in fields]))
    return _submit(visit, form, submission_id, _client_time(data.get("submitted_at")), json=True,
                   names=[name for name, _value in fields])


@bp.post("/visits/<uid>/photos")
@roles_required(Role.SUPERVISOR)
def upload_photo(uid: str) -> Any:
    """One photo (multipart: ``file``, ``item`` key or empty, ``client_id`` UUID); a retried upload returns the first."""
    visit = _visit(uid)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError(_("Choose a photo."))
    with photos.deleted_on_error() as stored:
        photo, created = evidence.add_photo(db.session, current_user, visit, request.form.get("item") or None,
                                            request.form.get("client_id"), upload, settings=VisitSettings.of(current_app))
        if created:
            stored.append(photo.key)
        db.session.commit()
    return jsonify(uid=photo.uid, item=photo.item_key, url=url_for("visits.photo", photo=photo.uid),
                   thumbnail=url_for("visits.photo", photo=photo.uid, thumb=1)), 201 if created else 200


@bp.post("/visits/<uid>/photos/<photo>/remove")
@roles_required(Role.SUPERVISOR)
def remove_photo(uid: str, photo: str) -> Any:
    visit = _visit(uid)
    evidence.remove_photo(db.session, current_user, visit, photo)
    db.session.commit()
    return jsonify(removed=photo)


@bp.get("/csrf-token")
@roles_required(Role.SUPERVISOR)
def csrf_token() -> Any:
    """A fresh CSRF token for the page's JavaScript (after a new login, the page's token no longer matches)."""
    return jsonify(token=generate_csrf())
