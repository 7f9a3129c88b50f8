"""Notice pages: the market department drafts, previews and publishes; halls read published revisions and their
own hall's letter. Published revisions are served from their frozen snapshot and stored PDF."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from surveyapp import inputs, jobs, nav, photos
from surveyapp.assessment import services as assessment
from surveyapp.assessment.results import HallResult
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role, User
from surveyapp.db import db
from surveyapp.errors import Conflict, NotFound, ValidationError
from surveyapp.i18n import localized
from surveyapp.notices import document, labels, narrative, publishing, queries, rendering, services
from surveyapp.notices.forms import NewNoticeForm, NoticeTextForm, PublishForm
from surveyapp.notices.models import Notice, NoticeRevision
from surveyapp.webforms import show_error

bp = Blueprint("notices", __name__, url_prefix="/notices")
nav.register("notices.index", _l("Monthly notices"), (Role.MARKET, Role.ADMIN, Role.HALL_MANAGER), order=70)

READERS = (Role.MARKET, Role.ADMIN, Role.HALL_MANAGER)
STAFF = (Role.MARKET, Role.ADMIN)


def _is_staff(user: User) -> bool:
    return user.role in STAFF


def _own_halls(user: User) -> dict[int, Any]:
    return {h.id: h for h in user.halls} if user.role is Role.HALL_MANAGER else {}


def _notice(period: str) -> Notice:
    """The month's notice as the current user may see it: hall managers only once it is published."""
    notice = queries.get_notice(db.session, period)
    if notice is None or (not _is_staff(current_user) and not notice.revisions):
        raise NotFound(_("There is no notice for this month, or it is not published yet."))
    return notice


def _revision(revision_id: int) -> NoticeRevision:
    revision = db.session.get(NoticeRevision, revision_id)
    if revision is None:
        raise NotFound(_("This notice revision does not exist."))
    return revision


def _pdf(data: bytes, name: str) -> Response:
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=0"})


# --- lists --------------------------------------------------------------------------------------------


@bp.get("/")
@roles_required(*READERS)
def index() -> Any:
    """Every month's notice: drafts and revisions for the market department, published revisions for halls."""
    notices = list(db.session.scalars(sa.select(Notice).order_by(Notice.period.desc()))) if _is_staff(current_user) else []
    revisions = queries.published_revisions(db.session)
    return render_template("notices/index.html", notices=notices, revisions=revisions, form=NewNoticeForm(),
                           halls=_own_halls(current_user), staff=_is_staff(current_user),
                           can_edit=current_user.role is Role.MARKET, default_period=assessment.shift_period(
                               assessment.current_period(), -1))


@bp.post("/")
@roles_required(Role.MARKET)
def create() -> Any:
    """Start the notice of a month (or open the one that exists)."""
    form = NewNoticeForm()
    if form.validate_on_submit():
        try:
            notice = services.create_notice(db.session, current_user, form.period.data)
        except ValidationError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            return redirect(url_for("notices.month", period=notice.period))
    return render_template("notices/index.html", notices=list(db.session.scalars(
        sa.select(Notice).order_by(Notice.period.desc()))), revisions=queries.published_revisions(db.session),
        form=form, halls={}, staff=True, can_edit=True, default_period=form.period.data or ""), 400


# --- one month ----------------------------------------------------------------------------------------


@bp.get("/<period>")
@roles_required(*READERS)
def month(period: str) -> Any:
    """The month's notice: for the market department the live draft as it would be published, with its
    revisions; for halls the published revisions and their own halls' letters."""
    notice = _notice(period)
    if not _is_staff(current_user):
        return render_template("notices/hall_month.html", notice=notice, halls=_own_halls(current_user),
                               line=_hall_result)
    doc = services.preview_document(db.session, notice)
    context = _document_context(doc, lambda uid: url_for("notices.photo", period=period, photo=uid))
    return render_template("notices/month.html", notice=notice, publish_form=PublishForm(),
                           can_edit=current_user.role is Role.MARKET, **context)


def _hall_result(revision: NoticeRevision, hall_id: int) -> HallResult | None:
    line = queries.hall_line(revision, hall_id)
    return None if line is None else HallResult.from_json(line)


def _document_context(doc: document.Document, photo_src: Any) -> dict[str, Any]:
    return {"doc": doc, "charts": rendering.charts_of(doc), "title": narrative.title(doc.period),
            "sections": narrative.SECTIONS, "photo_src": photo_src}


@bp.route("/<period>/edit", methods=["GET", "POST"])
@roles_required(Role.MARKET)
def edit(period: str) -> Any:
    """Edit the text of the next publication; each section starts as written from the figures."""
    notice = _notice(period)
    form = NoticeTextForm()
    doc = services.preview_document(db.session, notice)
    candidates = _case_choices(doc)
    form.cases.choices = candidates
    if request.method == "GET":
        form.version.data = str(notice.version)
        form.doc_number.data = notice.doc_number
        for key, text in doc.narrative.items():
            getattr(form, key).data = text
        form.auto_cases.data = notice.cases is None
        form.cases.data = notice.cases if notice.cases is not None else [document.case_id(c) for c in doc.cases]
        return render_template("notices/edit.html", form=form, notice=notice, candidates=candidates)
    if form.validate_on_submit():
        known = {value for value, _label in candidates}
        cases = None if form.auto_cases.data else [c for c in form.cases.data if c in known]
        version = inputs.whole_number(form.version.data)
        try:
            services.update_text(db.session, current_user, notice, form.texts(), doc_number=form.doc_number.data,
                                 cases=cases, expected_version=-1 if version is None else version)
        except (ValidationError, Conflict) as exc:
            db.session.rollback()
            form.form_errors.append(str(exc.message))
            form.form_errors.extend(getattr(exc, "errors", []))
        else:
            db.session.commit()
            flash(_("Saved. The preview below is what publishing would freeze."), "success")
            return redirect(url_for("notices.month", period=period))
    return render_template("notices/edit.html", form=form, notice=notice, candidates=candidates), 400


def _case_choices(doc: document.Document) -> list[tuple[str, str]]:
    """Findings worth citing as typical cases (red lines, or with a photo or a remark), at most 200."""
    choices = []
    names = {h.code: h.name for h in doc.results.halls}
    for code in sorted(doc.data["findings"]):
        for f in doc.findings(code):
            if f["redline"] or f["photos"] or f["remark"]:
                label = f"{names.get(code, code)} · {localized(f['text'], f['text_en'])}"
                if f["photos"]:
                    label += " · " + _("%(n)d photos", n=len(f["photos"]))
                choices.append((document.case_id(f), label))
    return choices[:200]


@bp.post("/<period>/publish")
@roles_required(Role.MARKET)
def publish(period: str) -> Any:
    """Publish the month's notice (first publication, or a revision with its reason): a background job, whose
    progress page this answers with at once."""
    notice = _notice(period)
    form = PublishForm()
    if form.validate_on_submit():
        try:
            job = publishing.start(db.session, current_user, notice, form.reason.data)
        except ValidationError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            jobs.enqueue(job)
            return redirect(url_for("jobs.progress", job_id=job.id))
    doc = services.preview_document(db.session, notice)
    context = _document_context(doc, lambda uid: url_for("notices.photo", period=period, photo=uid))
    return render_template("notices/month.html", notice=notice, publish_form=form, can_edit=True, **context), 400


@bp.get("/<period>/preview.pdf")
@roles_required(*STAFF)
def preview_pdf(period: str) -> Any:
    """The draft as PDF, as publishing now would render it (not stored)."""
    notice = _notice(period)
    snapshot = services.draft_snapshot(db.session, notice)
    return _pdf(rendering.notice_pdf(snapshot, draft=True), f"notice-{period}-draft.pdf")


@bp.get("/<period>/photos/<photo>")
@roles_required(*READERS)
def photo(period: str, photo: str) -> Any:
    """An evidence photo's thumbnail as the notice shows it: staff see any finding's photo of the month; halls
    the typical cases of a published revision and their own halls' findings."""
    notice = queries.get_notice(db.session, period)
    if notice is None or not _may_see_photo(notice, photo):
        raise NotFound(_("This photo does not exist."))
    key = queries.photo_key(db.session, photo)
    if key is None:
        raise NotFound(_("This photo does not exist."))
    return photos.send_photo(key, thumbnail=True)


def _may_see_photo(notice: Notice, uid: str) -> bool:
    if _is_staff(current_user):
        return queries.photo_in_month(db.session, notice.period, uid)
    halls = {h.code for h in current_user.halls}
    for revision in notice.revisions:
        data = revision.snapshot
        if any(uid in case["photos"] for case in data["cases"]):
            return True
        if any(uid in f["photos"] for code in halls for f in data["findings"].get(code, [])):
            return True
    return False


# --- published revisions ------------------------------------------------------------------------------


@bp.get("/revisions/<int:revision_id>")
@roles_required(*READERS)
def revision(revision_id: int) -> Any:
    """A published revision exactly as frozen."""
    found = _revision(revision_id)
    doc = document.Document(found.snapshot)
    context = _document_context(doc, lambda uid: url_for("notices.photo", period=doc.period, photo=uid))
    return render_template("notices/revision.html", revision=found, halls=_own_halls(current_user),
                           staff=_is_staff(current_user), **context)


@bp.get("/revisions/<int:revision_id>.pdf")
@roles_required(*READERS)
def download(revision_id: int) -> Any:
    """The revision's PDF, byte for byte as stored when it was published."""
    found = _revision(revision_id)
    return _pdf(found.pdf, f"notice-{found.period}-r{found.number}.pdf")


@bp.get("/revisions/<int:revision_id>/halls/<int:hall_id>.pdf")
@roles_required(*READERS)
def hall_letter(revision_id: int, hall_id: int) -> Any:
    """A hall's feedback letter from a revision, byte for byte as stored (rendered and stored now if its job has not
    come to it yet); hall managers only for their own halls (others: 404, as missing)."""
    found = db.session.get(NoticeRevision, revision_id)
    line = queries.hall_line(found, hall_id) if found is not None else None
    if line is None or (not _is_staff(current_user) and hall_id not in _own_halls(current_user)):
        raise NotFound(_("This letter does not exist, or you may not see it."))
    name = f"letter-{found.period}-r{found.number}-{line['code']}.pdf"
    return _pdf(publishing.letter(db.session, found, hall_id), name)



@bp.record_once
def _template_helpers(state: Any) -> None:
    """How the notice's pages show dates, rates and changed lines (the PDFs get the same in their context)."""
    state.app.jinja_env.globals.update(labels.helpers())
