"""The notice's rules: drafting, editing the text, publishing revisions (frozen for ever), flagging a revision as due.

For the hall feedback capability::

    from surveyapp.notices import services as notices, queries

    notices.mark_revision_pending(session, actor, "2026-11", "申诉成立：H001 …")   # after an upheld appeal
    revision = notices.publish(session, actor, notice, reason="…")                 # market publishes the correction
    queries.latest_revision(session, "2026-11").snapshot["changes"]                # the hall lines that changed
    queries.hall_line(revision, hall.id)                                           # a hall's line, frozen

A published :class:`NoticeRevision` never changes: this module refuses any update or deletion of a stored row
(an SQLAlchemy flush hook), so no code path can alter what halls were sent.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from surveyapp import clock
from surveyapp.assessment import cache
from surveyapp.assessment import services as assessment
from surveyapp.assessment.models import PolicyVersion
from surveyapp.audit import display
from surveyapp.audit.services import record
from surveyapp.auth.access import require_role
from surveyapp.auth.models import Role, User
from surveyapp.errors import (
    Conflict,
    DomainError,
    InvalidTransition,
    ValidationError,
)
from surveyapp.notices import closing, document, forked, narrative, queries, rendering, settings
from surveyapp.notices.models import DRAFT, FORMAL_KEYS, LAYOUTS, PUBLISHED, Notice, NoticeRevision
from surveyapp.notices.settings import Letterhead
from surveyapp.notices.signals import notice_published
from surveyapp.visits.models import Visit, VisitStatus
from surveyapp.visits.validation import release_visits

log = logging.getLogger("surveyapp.notices")

MAX_REASON = 2000
MAX_DOC_NUMBER = 100
MAX_FORMAL_LINE = 200


class NoticeNotRendered(DomainError):
    """The notice's PDF could not be made: nothing is published (the transaction is rolled back)."""

    status = 500


class RevisionFrozen(InvalidTransition):
    """Something tried to change or delete a published revision."""


@sa.event.listens_for(NoticeRevision, "before_update")
def _refuse_update(mapper: Any, connection: Any, revision: NoticeRevision) -> None:
    # SQLAlchemy calls this for every "dirty" row, also one whose columns did not change.
    if sa.inspect(revision).session.is_modified(revision, include_collections=False):
        raise RevisionFrozen(frozen_message(revision.number, revision.notice.period))


@sa.event.listens_for(NoticeRevision, "before_delete")
def _refuse_delete(mapper: Any, connection: Any, revision: NoticeRevision) -> None:
    raise RevisionFrozen(frozen_message(revision.number, revision.notice.period))


def frozen_message(number: int, period: str) -> str:
    return _("Revision %(n)s of the %(month)s notice is published and never changes. To correct it, publish a new "
             "revision with the reason.", n=number, month=narrative.month_text(period))


#: Why anyone but the market department (or the system) is refused here.
MARKET_ONLY = _l("Only the market department drafts and publishes notices.")


def flush(session: Session) -> None:
    try:
        session.flush()
    except (StaleDataError, IntegrityError) as exc:
        raise Conflict(_("Someone else changed this notice at the same moment. Reload it to see what they did.")) from exc


# --- drafting -----------------------------------------------------------------------------------------


def create_notice(session: Session, actor: User | None, period: str) -> Notice:
    """Start the notice of month ``period`` (a draft), or return the one that exists.

    :raise ValidationError: ``period`` is not a month, or is a month still to come.
    """
    require_role(actor, Role.MARKET, because=MARKET_ONLY)
    period = assessment.parse_period(period)
    if period > assessment.current_period():
        raise ValidationError(_("%(month)s has not begun yet: a notice reports on a month that has.",
                                month=narrative.month_text(period)))
    existing = queries.get_notice(session, period)
    if existing is not None:
        return existing
    now = clock.now()
    notice = Notice(period=period, status=DRAFT, narrative={}, created_at=now, created_by=actor, updated_at=now,
                    updated_by=actor)
    session.add(notice)
    flush(session)
    record(session, actor, "notice.create", "notice", notice.id, period)
    return notice


def update_text(session: Session, actor: User | None, notice: Notice, texts: Mapping[str, str], *,
                doc_number: str | None = None, cases: list[str] | None = None,
                expected_version: int | None = None, layout: str | None = None,
                formal: Mapping[str, str] | None = None) -> None:
    """Save the editable text of the next publication. A section left empty, or equal to the text written from
    the figures, keeps following the figures. ``cases`` chooses the typical cases (``None``: automatic).
    ``formal`` sets the formal layout's lines (:data:`FORMAL_KEYS`; ``None`` keeps them).

    Published revisions are not touched: the text goes into the next revision.

    :raise Conflict: someone saved the text since ``expected_version``.
    :raise ValidationError: a text is too long.
    """
    require_role(actor, Role.MARKET, because=MARKET_ONLY)
    if expected_version is not None and expected_version != notice.version:
        raise Conflict(_("%(name)s changed this notice after you opened it. Reload it, then make your change again.",
                         name=notice.updated_by.display_name if notice.updated_by else _("the system")))
    generated = narrative.defaults(preview_document(session, notice))
    cleaned: dict[str, str] = {}
    problems = []
    for key, label in narrative.SECTIONS.items():
        text = (texts.get(key) or "").replace("\r\n", "\n").strip()
        if len(text) > narrative.MAX_LENGTH:
            problems.append(_("%(section)s: at most %(n)d characters.", section=label, n=narrative.MAX_LENGTH))
        if text and text != generated[key]:
            cleaned[key] = text
    doc_number = (doc_number or "").strip() or None
    if doc_number and len(doc_number) > MAX_DOC_NUMBER:
        problems.append(_("Document number: at most %(n)d characters.", n=MAX_DOC_NUMBER))
    if layout is not None and layout not in LAYOUTS:
        problems.append(_("Layout: choose one of the layouts offered."))
    lines = None
    if formal is not None:
        lines = {key: " ".join((formal.get(key) or "").split()) for key in FORMAL_KEYS}
        labels = formal_labels()
        problems += [_("%(field)s: at most %(n)d characters.", field=labels[key], n=MAX_FORMAL_LINE)
                     for key, text in lines.items() if len(text) > MAX_FORMAL_LINE]
        if not lines["issuing_unit"]:
            problems.append(_("%(field)s: required for the formal layout.", field=labels["issuing_unit"]))
        if not lines["main_to"]:
            problems.append(_("%(field)s: required for the formal layout.", field=labels["main_to"]))
    if problems:
        raise ValidationError(_("The notice was not saved."), errors=problems)
    changed = {k for k in narrative.SECTIONS if cleaned.get(k) != (notice.narrative or {}).get(k)}
    notice.narrative, notice.doc_number, notice.cases = cleaned, doc_number, cases
    notice.layout = layout or notice.layout
    if lines is not None:
        notice.formal = lines
    notice.updated_at, notice.updated_by = clock.now(), actor
    flush(session)
    record(session, actor, "notice.edit", "notice", notice.id, notice.period,
           {"sections": sorted(changed), "doc_number": doc_number, "cases": cases, "layout": notice.layout,
            "formal": notice.formal})


def formal_labels() -> dict[str, str]:
    return {"issuing_unit": _("Issuing unit"), "main_to": _("Main recipients"),
            "report_to": _("Reported to"), "copy_to": _("Copied to")}


def _previous_notice(session: Session, notice: Notice) -> Notice | None:
    return session.scalars(sa.select(Notice).where(Notice.period < notice.period)
                           .order_by(Notice.period.desc()).limit(1)).first()


def formal_texts(session: Session, notice: Notice, company: str) -> dict[str, str]:
    """The formal layout's lines of ``notice``: as saved in its editor; unsaved, the previous month's notice's
    (the market department sets them once); else the defaults: 「<company>文件」, 主送 各分公司、各营业厅."""
    saved = notice.formal or (previous.formal if (previous := _previous_notice(session, notice)) else None)
    defaults = {"issuing_unit": _("%(company)s document", company=company),
                "main_to": _("all branches and business halls"), "report_to": "", "copy_to": ""}
    return {key: (saved or {}).get(key, defaults[key]) for key in FORMAL_KEYS}


_NUMBERED = re.compile(r"^(?P<head>.*?〔)(?P<year>\d{4})(?P<mid>〕\D*?)(?P<n>\d+)(?P<tail>号.*)$")


def suggested_doc_number(session: Session, notice: Notice) -> str:
    """The document number the editor offers when the notice has none: the previous notice's, numbered on
    (市场〔2026〕45号 → 市场〔2026〕46号; a new year starts at 1); empty when there is none to follow."""
    previous = _previous_notice(session, notice)
    match = _NUMBERED.match(previous.doc_number or "") if previous else None
    if match is None:
        return ""
    year = notice.period[:4]
    number = int(match["n"]) + 1 if match["year"] == year else 1
    return f"{match['head']}{year}{match['mid']}{number}{match['tail']}"


def company_texts(session: Session, letterhead: Letterhead) -> tuple[str, str]:
    """The company named in the header and the issuer signing the notice: settings ``COMPANY_NAME`` and
    ``NOTICE_ISSUER``; without ``COMPANY_NAME``, the name of the organisation's top unit when there is one."""
    from surveyapp.org.models import Unit

    company = letterhead.company
    if not company:
        tops = session.scalars(sa.select(Unit.name).where(Unit.parent_id.is_(None), Unit.active.is_(True))
                               .limit(2)).all()
        company = tops[0] if len(tops) == 1 else _("Service supervision")
    return company, letterhead.issuer or _("Market department")


def _snapshot(session: Session, notice: Notice, version: PolicyVersion, issued_on: dt.date,
              letterhead: Letterhead | None) -> dict[str, Any]:
    """The notice's snapshot; the text written from the figures is in the document's language whatever the reader's."""
    latest = notice.latest
    with force_locale(rendering.document_language()):
        company, issuer = company_texts(session, letterhead or settings.letterhead())
        return document.build_snapshot(session, notice, version, issued_on=issued_on, company=company,
                                       issuer=issuer, previous=latest.snapshot if latest else None,
                                       formal=formal_texts(session, notice, company))


def draft_snapshot(session: Session, notice: Notice, letterhead: Letterhead | None = None) -> dict[str, Any]:
    """What publishing now would freeze (the preview): live results, today's deadlines. ``letterhead``: the
    running application's when not given."""
    latest = notice.latest
    version = latest.policy_version if latest else assessment.current_policy(session)
    return _snapshot(session, notice, version, clock.today(), letterhead)


def preview_document(session: Session, notice: Notice) -> document.Document:
    return document.Document(draft_snapshot(session, notice))


# --- publishing ---------------------------------------------------------------------------------------


def check_publishable(actor: User | None, notice: Notice, reason: str | None) -> str | None:
    """The reason, cleaned, if ``actor`` may publish the notice's next revision with it.

    :raise ValidationError: a revision without a reason, or a reason too long.
    """
    require_role(actor, Role.MARKET, because=MARKET_ONLY)
    reason = (reason or "").strip() or None
    latest = notice.latest
    if latest is not None and reason is None:
        raise ValidationError(frozen_message(latest.number, notice.period), field="reason")
    if reason and len(reason) > MAX_REASON:
        raise ValidationError(_("Reason: at most %(n)d characters.", n=MAX_REASON), field="reason")
    return reason


def _no_progress(stage: str, done: int = 0, total: int = 0) -> None:
    """Publishing outside a job reports its progress to no one."""


#: Visits released (findings and messages made) per step of the release.
RELEASE_BATCH = 200


def publish(session: Session, actor: User | None, notice: Notice, reason: str | None, *,
            draft_version: int | None = None, preview_sha256: str | None = None,
            previewed_at: dt.datetime | None = None, confirmed_open: str | None = None,
            progress: Callable[..., None] = _no_progress, letterhead: Letterhead | None = None) -> NoticeRevision:
    """Publish the notice: freeze results, policy and text into a new revision, render its PDF once and store
    it with its SHA-256, close the month, and release the month's validated visits to their halls. Nothing is
    committed here: the caller commits it all, or nothing.

    The first publication uses the policy in force; a revision (a correction) keeps the policy of the first
    publication, states its reason and records which hall lines changed since the previous revision.

    Exact and idempotent when given what the publisher previewed (``draft_version``: the notice's version;
    ``preview_sha256``: :func:`closing.snapshot_digest` of the preview): the same pair again returns the
    revision it made (nothing else happens), a draft or results changed since the preview (``previewed_at``)
    are refused, and so is open work in the month unless ``confirmed_open`` is the token of its very counts
    (:func:`closing.token`) — the request checked all this already; the publish job checks it again.

    ``progress(stage, done, total)`` hears of each step (``assess``, ``snapshot``, ``release``, ``pdf``,
    ``notify``): the publish job shows them. The PDF renders in a forked process (:mod:`surveyapp.notices.forked`)
    from the snapshot on, while this one releases the visits; ``pdf`` is the wait for it. The revision is added
    once its PDF is there; a failed render fails the whole publication (:class:`NoticeNotRendered`).

    :raise ValidationError: a revision without a reason, or a reason too long.
    :raise closing.PreviewStale: the draft or the results are not those previewed.
    :raise closing.OpenWorkUnconfirmed: open work in the month, its counts not confirmed.
    """
    require_role(actor, Role.MARKET, because=MARKET_ONLY)
    done = closing.replayed(notice, draft_version, preview_sha256)
    if done is not None:
        return done
    reason = check_publishable(actor, notice, reason)
    guarded = draft_version is not None or preview_sha256 is not None
    if guarded:
        closing.check_open_work(closing.open_work(session, notice.period), confirmed_open)
    latest = notice.latest
    progress("assess")
    version = latest.policy_version if latest else assessment.current_policy(session, store=True)
    now = clock.now()
    progress("snapshot")
    snapshot = _snapshot(session, notice, version, clock.local(now).date(), letterhead)
    digest = closing.snapshot_digest(snapshot)
    if guarded:
        closing.check_draft(session, notice, draft_version, preview_sha256, previewed_at, snapshot)
    number = latest.number + 1 if latest else 1
    snapshot["revision"], snapshot["reason"] = number, reason
    draft = notice.version  # the draft published (the notice's own changes below move its version on)
    # The notice's PDF depends on the snapshot alone: it renders in a forked process while this one releases
    # the visits, in this same transaction; the revision is stored with it once it is there (never without).
    with forked.Forked(rendering.notice_pdf, snapshot) as render:
        closing.mark_closed_by_publication(notice, actor, now)
        notice.status, notice.revision_pending, notice.pending_reason = PUBLISHED, False, None
        notice.updated_at, notice.updated_by = now, actor
        flush(session)
        cache.touch(session, every_month=False)  # pages that read published months (trends) must see this revision
        released = _release(session, actor, notice.period, progress)
        progress("pdf")
        try:
            pdf = render.result()
        except forked.ForkedCallFailed as exc:
            raise NoticeNotRendered(_("The notice's PDF could not be rendered (%(error)s), so nothing was "
                                      "published. Try again, and tell the administrator if it happens again.",
                                      error=str(exc))) from exc
    revision = NoticeRevision(notice=notice, number=number, reason=reason, snapshot=snapshot,
                              policy_version_id=version.id, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(),
                              published_at=now, published_by=actor, draft_version=draft, preview_sha256=digest)
    session.add(revision)
    flush(session)
    progress("notify")
    record(session, actor, "notice.publish", "notice", notice.id, f"{notice.period} #{number}",
           {"revision": number, "reason": reason, "sha256": revision.sha256, "policy_version": version.number,
            "released_visits": released, "changed_halls": [c["code"] for c in snapshot["changes"]]})
    log.info("notice %s revision %s published by %s (%d visits released)", notice.period, number,
             actor.username if actor else "the system", released)
    notice_published.send(session, actor=actor, revision=revision)
    return revision


def _release(session: Session, actor: User | None, period: str, progress: Callable[..., None]) -> int:
    """Release the month's validated visits not released yet, :data:`RELEASE_BATCH` at a time (each step makes
    its visits' findings and messages); how many were released."""
    # each released visit's history and audit line name its hall: loaded with the visits, not one by one
    visits = list(session.scalars(
        sa.select(Visit).options(selectinload(Visit.hall)).where(Visit.period == period, Visit.status == VisitStatus.VALIDATED,
                               Visit.released_at.is_(None)).order_by(Visit.id)))
    released = 0
    for start in range(0, len(visits), RELEASE_BATCH):
        progress("release", start, len(visits))
        released += release_visits(session, actor, visits[start:start + RELEASE_BATCH])
    return released


def mark_revision_pending(session: Session, actor: User | None, period: str, reason: str) -> Notice | None:
    """Flag the month's published notice as due for a revision (e.g. an appeal was upheld), with the reason.
    Reasons add up until the revision is published. A month with nothing published: nothing happens.

    :return: the flagged notice, or ``None``.
    """
    notice = queries.get_notice(session, period)
    if notice is None or not notice.revisions:
        return None
    reason = (reason or "").strip()
    notice.pending_reason = "\n".join(r for r in (notice.pending_reason, reason) if r) or None
    notice.revision_pending = True
    notice.updated_at = clock.now()
    flush(session)
    record(session, actor, "notice.revision_pending", "notice", notice.id, period, {"reason": reason})
    return notice


display.register_actions({
    "notice.create": _l("Notice drafted"), "notice.edit": _l("Notice text edited"), "notice.publish": _l("Notice published"),
    "notice.revision_pending": _l("Notice needs a new revision"),
    "notice.close": _l("Month closed"), "notice.reopen": _l("Month reopened"),
})
display.register_object("notice", _l("Notice"))
display.register_field("reason", _l("Reason"))
display.register_fields({"policy_version": _l("Policy version"), "released_visits": _l("Visits released"), "changed_halls": _l("Halls whose result changed"), "text": _l("Text")})
