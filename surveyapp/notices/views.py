"""Notice pages: the market department drafts, previews and publishes; halls read published revisions and their
own hall's letter. Published revisions are served from their frozen snapshot and stored PDF."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from surveyapp import clock, inputs, jobs, nav, photos
from surveyapp.assessment import services as assessment
from surveyapp.assessment.results import HallResult
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role, User
from surveyapp.db import db
from surveyapp.errors import Conflict, InvalidTransition, NotFound, ValidationError
from surveyapp.i18n import localized
from surveyapp.notices import (
    closing,
    compare,
    document,
    labels,
    narrative,
    publishing,
    queries,
    rendering,
    services,
    settings,
)
from surveyapp.notices.forms import NewNoticeForm, NoticeTextForm, PublishForm
from surveyapp.notices.models import Notice, NoticeRevision
from surveyapp.visits.rules import MONTH_CLOSED
from surveyapp.webforms import show_error

bp = Blueprint("notices", __name__, url_prefix="/notices")
nav.register("notices.index", _l("Monthly notices"), (Role.MARKET, Role.ADMIN, Role.HALL_MANAGER), order=70, group="notices")

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
    """The month's notice: for halls the published revisions and their own halls' letters; for the market
    department the live draft with the publish form while nothing is published, then the latest published
    revision exactly as frozen (what would change is on the comparison page)."""
    notice = _notice(period)
    if not _is_staff(current_user):
        return render_template("notices/hall_month.html", notice=notice, halls=_own_halls(current_user),
                               line=_hall_result)
    if notice.revisions:
        doc = document.Document(notice.latest.snapshot)
        context = _document_context(doc, lambda uid: url_for("notices.photo", period=period, photo=uid))
        return render_template("notices/month.html", notice=notice, frozen=True,
                               can_edit=current_user.role is Role.MARKET, **context)
    return _draft_page(notice, PublishForm(), 200)


def _draft_page(notice: Notice, form: PublishForm, status: int, template: str = "notices/month.html") -> Any:
    """The live draft with the publish form drawn from it: the preview's hash and what is open in the month."""
    snapshot, digest = closing.draft_preview(db.session, notice)
    work = closing.open_work(db.session, notice.period)
    form.preview(notice.version, digest, clock.now().isoformat(), closing.token(work))
    doc = document.Document(snapshot)
    context = _document_context(doc, lambda uid: url_for("notices.photo", period=notice.period, photo=uid))
    comparison = compare.compare(db.session, notice.latest, snapshot) if notice.revisions else None
    return render_template(template, notice=notice, publish_form=form, frozen=False, work=work,
                           comparison=comparison, can_edit=current_user.role is Role.MARKET, **context), status


@bp.get("/<period>/compare")
@roles_required(*STAFF)
def compare_page(period: str) -> Any:
    """What would change if a revision were published now: each changed hall line and why, then the live draft."""
    notice = _notice(period)
    if not notice.revisions:
        return redirect(url_for("notices.month", period=period))
    return _draft_page(notice, PublishForm(), 200, "notices/compare.html")


@bp.post("/<period>/close")
@roles_required(Role.MARKET)
def close(period: str) -> Any:
    """Close the month before publishing (a visit dated in it is late from now on), or reopen it."""
    notice = _notice(period)
    try:
        if request.form.get("action") == "reopen":
            closing.reopen_month(db.session, current_user, notice)
            message = _("%(month)s is open again.", month=narrative.month_text(period))
        else:
            closing.close_month(db.session, current_user, notice)
            message = _("%(month)s is closed: a visit dated in it is now late and needs your decision.",
                        month=narrative.month_text(period))
    except InvalidTransition as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("notices.month", period=period))


def _hall_result(revision: NoticeRevision, hall_id: int) -> HallResult | None:
    line = queries.hall_line(revision, hall_id)
    return None if line is None else HallResult.from_json(line)


def _document_context(doc: document.Document, photo_src: Any) -> dict[str, Any]:
    return {"doc": doc, "title": narrative.title(doc.period), "body": rendering.notice_html(doc, photo_src),
            "body_lang": rendering.document_lang()}


@bp.route("/<period>/edit", methods=["GET", "POST"])
@roles_required(Role.MARKET)
def edit(period: str) -> Any:
    """Edit the text of the next publication; each section starts as written from the figures."""
    notice = _notice(period)
    form = NoticeTextForm()
    doc = services.preview_document(db.session, notice)
    candidates = _case_choices(doc)
    form.cases.choices = [(c.value, c.label) for c in candidates]
    if request.method == "GET":
        form.version.data = str(notice.version)
        form.doc_number.data = notice.doc_number
        form.layout.data = notice.layout
        if not notice.doc_number and notice.layout == "formal":
            form.doc_number.data = services.suggested_doc_number(db.session, notice)
        with force_locale(rendering.document_language()):
            lines = services.formal_texts(db.session, notice, services.company_texts(db.session, settings.letterhead())[0])
        for key, text in lines.items():
            getattr(form, key).data = text
        for key, text in doc.narrative.items():
            getattr(form, key).data = text
        form.auto_cases.data = notice.cases is None
        form.cases.data = notice.cases if notice.cases is not None else [document.case_id(c) for c in doc.cases]
        return render_template("notices/edit.html", form=form, notice=notice, candidates=candidates,
                               case_groups=_by_hall(candidates))
    if form.validate_on_submit():
        known = {c.value for c in candidates}
        cases = None if form.auto_cases.data else [c for c in form.cases.data if c in known]
        version = inputs.whole_number(form.version.data)
        try:
            services.update_text(db.session, current_user, notice, form.texts(), doc_number=form.doc_number.data,
                                 layout=form.layout.data,
                                 formal=form.formal_lines() if form.layout.data == "formal" else None,
                                 cases=cases, expected_version=-1 if version is None else version)
        except (ValidationError, Conflict) as exc:
            db.session.rollback()
            form.form_errors.append(str(exc.message))
            form.form_errors.extend(getattr(exc, "errors", []))
        else:
            db.session.commit()
            flash(_("Saved. The preview below is what publishing would freeze."), "success")
            return redirect(url_for("notices.compare_page" if notice.revisions else "notices.month", period=period))
    return render_template("notices/edit.html", form=form, notice=notice, candidates=candidates,
                               case_groups=_by_hall(candidates)), 400


@dataclass(frozen=True)
class CaseChoice:
    """A finding offered as a typical case in the editor."""

    value: str
    hall: str
    item: str
    photos: int
    redline: bool
    remark: str

    @property
    def label(self) -> str:
        return f"{self.hall} · {self.item}"


def _case_choices(doc: document.Document) -> list[CaseChoice]:
    """Findings worth citing as typical cases (red lines, or with a photo or a remark), at most 200, by hall."""
    choices = []
    names = {h.code: h.name for h in doc.results.halls}
    for code in sorted(doc.data["findings"]):
        for f in doc.findings(code):
            if f["redline"] or f["photos"] or f["remark"]:
                choices.append(CaseChoice(document.case_id(f), names.get(code, code), localized(f["text"], f["text_en"]),
                                          len(f["photos"]), f["redline"], f["remark"] or ""))
    return choices[:200]


def _by_hall(choices: list[CaseChoice]) -> list[tuple[str, list[CaseChoice]]]:
    groups: dict[str, list[CaseChoice]] = {}
    for choice in choices:
        groups.setdefault(choice.hall, []).append(choice)
    return list(groups.items())


@bp.post("/<period>/publish")
@roles_required(Role.MARKET)
def publish(period: str) -> Any:
    """Publish exactly the previewed draft (first publication, or a revision with its reason): the request runs
    the guard, then starts the publish job and answers at once with its progress page; the job checks the
    preview again. A replayed form gets the revision it already made, a double click the same job."""
    notice = _notice(period)
    form = PublishForm()
    if form.validate_on_submit():
        version, digest = inputs.whole_number(form.version.data), form.digest.data
        revision = closing.replayed(notice, version, digest)
        if revision is None:
            previewed_at, confirmed = _moment(form.previewed_at.data), form.confirmed()
            try:
                closing.check_publish(db.session, notice, draft_version=version, digest=digest,
                                      previewed_at=previewed_at, confirmed=confirmed)
                job = publishing.start(db.session, current_user, notice, form.reason.data, draft_version=version,
                                       preview_sha256=digest, previewed_at=previewed_at, confirmed_open=confirmed)
                db.session.commit()
            except IntegrityError:  # a concurrent request (a double click) started this revision's job first
                db.session.rollback()
                job = publishing.existing(db.session, _notice(period))
                if job is None:
                    raise
            except (ValidationError, Conflict) as exc:
                db.session.rollback()
                revision = _published_meanwhile(period, version, digest)
                if revision is None:
                    show_error(form, exc)
                    return _draft_page(notice, _kept(form), 409 if isinstance(exc, Conflict) else 400,
                                       "notices/compare.html" if notice.revisions else "notices/month.html")
            if revision is None:
                jobs.enqueue(job)
                return redirect(url_for("jobs.progress", job_id=job.id))
        flash(_("Revision %(n)s was already published from this preview; nothing was published again.",
                n=revision.number), "info")
        return redirect(url_for("notices.revision", revision_id=revision.id))
    return _draft_page(notice, _kept(form), 400, "notices/compare.html" if notice.revisions else "notices/month.html")


def _published_meanwhile(period: str, version: int | None, digest: str | None) -> NoticeRevision | None:
    """After a refused publish: the revision the job of a concurrent request (a double click) made from the same
    preview."""
    db.session.expire_all()
    notice = queries.get_notice(db.session, period)
    return closing.replayed(notice, version, digest) if notice is not None else None


def _kept(form: PublishForm) -> PublishForm:
    """A fresh form for the page drawn again (new preview, new counts) that keeps the reason and the errors."""
    fresh = PublishForm(formdata=None, reason=form.reason.data)
    fresh.form_errors = form.form_errors
    fresh.confirm_open.errors = form.confirm_open.errors
    fresh.reason.errors = form.reason.errors
    return fresh


def _moment(text: str | None) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text or "")
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


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
    state.app.extensions[MONTH_CLOSED] = closing.is_closed
    state.app.extensions[assessment.PUBLISHED_RESULTS] = closing.published_results
