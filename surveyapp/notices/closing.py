"""The month close: when a month is closed, what is still open in it, and the guard in front of publishing.

A month is open until its notice is first published, or until the market department closes it explicitly
(it may reopen it while nothing is published). A closed month changes only through a published revision:
a visit dated in it is marked *late* (:mod:`surveyapp.visits.validation` asks for an explicit decision and
:func:`late_visit_validated` marks the notice revision pending), and its pages read the published snapshot.

Publishing is guarded here (the request calls :func:`check_publish` before any publishing work starts):
the form carries the draft's version and the SHA-256 of the snapshot previewed; a changed draft or changed
results refuse the publication with what changed, open work in the month needs an explicit confirmation
naming the counts, and a replayed form (:func:`replayed`) gets the revision it already made.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import Session

from surveyapp import clock
from surveyapp.assessment import cache
from surveyapp.assessment import services as assessment
from surveyapp.assessment.results import MonthResults
from surveyapp.audit.services import record
from surveyapp.auth.access import require_role
from surveyapp.auth.models import Role, User
from surveyapp.checklists.labels import visit_type_label
from surveyapp.db import insert_for
from surveyapp.errors import Conflict, InvalidTransition, ValidationError
from surveyapp.notices import narrative, queries, sources
from surveyapp.notices.models import Notice, NoticeRevision, PreviewDigest
from surveyapp.visits.models import Visit, VisitEvent, VisitStatus
from surveyapp.visits.signals import late_visit_validated

log = logging.getLogger("surveyapp.notices")

#: Parts of a snapshot a preview's hash covers: the results and everything chosen or written from them.
#: (The issue date and the deadlines counted from it are the day's, not the preview's.)
HASHED = ("period", "doc_number", "policy_number", "results", "problems", "cases", "stars", "findings",
          "trend", "narrative")
#: Visit events that change a month's results.
RESULT_EVENTS = ("approve", "reject", "correct", "late")
#: How long a preview's remembered hash is kept (older rows are pruned when a new one is written).
DIGEST_KEPT = dt.timedelta(days=1)


def is_closed(session: Session, period: str) -> bool:
    """Whether month ``period`` is closed (its notice published, or closed by the market department)."""
    return session.scalar(sa.select(Notice.closed_at).where(Notice.period == period)) is not None


def closed_at(session: Session, period: str) -> dt.datetime | None:
    return session.scalar(sa.select(Notice.closed_at).where(Notice.period == period))


def close_month(session: Session, actor: User | None, notice: Notice) -> None:
    """The market department closes the month before publishing: from now on a visit dated in it is late."""
    from surveyapp.notices.services import MARKET_ONLY, flush

    require_role(actor, Role.MARKET, because=MARKET_ONLY)
    if notice.closed:
        return
    notice.closed_at, notice.closed_by = clock.now(), actor
    flush(session)
    record(session, actor, "notice.close", "notice", notice.id, notice.period)


def reopen_month(session: Session, actor: User | None, notice: Notice) -> None:
    """Reopen a month closed explicitly; a published month stays closed.

    :raise InvalidTransition: the month's notice is published.
    """
    from surveyapp.notices.services import MARKET_ONLY, flush

    require_role(actor, Role.MARKET, because=MARKET_ONLY)
    if notice.revisions:
        raise InvalidTransition(_("%(month)s is published: it stays closed, and changes only through a revision.",
                                  month=narrative.month_text(notice.period)))
    if not notice.closed:
        return
    notice.closed_at, notice.closed_by = None, None
    flush(session)
    record(session, actor, "notice.reopen", "notice", notice.id, notice.period)


def mark_closed_by_publication(notice: Notice, actor: User | None, now: dt.datetime) -> None:
    if notice.closed_at is None:
        notice.closed_at, notice.closed_by = now, actor


def published_results(session: Session, period: str) -> tuple[MonthResults, int, dt.datetime] | None:
    """The month's results as its latest revision froze them, with the revision's number and time, or ``None``."""
    revision = queries.latest_revision(session, period)
    if revision is None:
        return None
    return MonthResults.from_json(revision.snapshot["results"]), revision.number, revision.published_at


# --- what is still open ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenWork:
    """What is not settled in a month: visits by status, appeals undecided, and whether the month has ended."""

    waiting: int
    returned: int
    in_progress: int
    planned: int
    appeals: int
    month_ended: bool

    @property
    def total(self) -> int:
        return self.waiting + self.returned + self.in_progress + self.planned + self.appeals

    def lines(self) -> list[str]:
        """One translated line per open kind, with its count."""
        out = []
        for count, text in (
                (self.waiting, ngettext("%(num)d visit waiting for validation", "%(num)d visits waiting for validation", self.waiting)),
                (self.returned, ngettext("%(num)d visit returned for correction", "%(num)d visits returned for correction", self.returned)),
                (self.in_progress, ngettext("%(num)d visit in progress", "%(num)d visits in progress", self.in_progress)),
                (self.planned, ngettext("%(num)d visit planned", "%(num)d visits planned", self.planned)),
                (self.appeals, ngettext("%(num)d appeal undecided", "%(num)d appeals undecided", self.appeals))):
            if count:
                out.append(text)
        return out

    def summary(self) -> str:
        """The counts in one sentence, as the confirmation names them."""
        return _("; ").join(self.lines())


def month_end(period: str) -> dt.datetime:
    """The first moment after month ``period`` in the company's time zone (UTC)."""
    year, month = map(int, assessment.shift_period(period, 1).split("-"))
    return dt.datetime(year, month, 1, tzinfo=clock.company_tz()).astimezone(dt.UTC)


def open_work(session: Session, period: str) -> OpenWork:
    """What is still open in month ``period``: visits not settled, appeals against its findings undecided."""
    counts = dict(session.execute(
        sa.select(Visit.status, sa.func.count()).where(Visit.period == period, Visit.status.in_(
            [VisitStatus.SUBMITTED, VisitStatus.RETURNED, VisitStatus.IN_PROGRESS, VisitStatus.PLANNED]))
        .group_by(Visit.status)).all())
    appeals = sources.undecided_appeals(session, period)
    return OpenWork(waiting=counts.get(VisitStatus.SUBMITTED, 0), returned=counts.get(VisitStatus.RETURNED, 0),
                    in_progress=counts.get(VisitStatus.IN_PROGRESS, 0), planned=counts.get(VisitStatus.PLANNED, 0),
                    appeals=appeals, month_ended=clock.now() >= month_end(period))


# --- the guard in front of publishing -----------------------------------------------------------------


def snapshot_digest(snapshot: Mapping[str, Any]) -> str:
    """SHA-256 of what a preview shows (:data:`HASHED`), as canonical JSON; the results' computing time aside."""
    data = {key: snapshot.get(key) for key in HASHED}
    data["results"] = {k: v for k, v in (data["results"] or {}).items() if k != "computed_at"}
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PreviewStale(Conflict):
    """The draft or the results changed since the publisher's preview; ``errors`` says what."""

    def __init__(self, changes: list[str]) -> None:
        super().__init__(_("The notice was not published: it changed since you previewed it. Check the preview "
                           "below, then publish again."))
        self.errors, self.field = changes, None


class OpenWorkUnconfirmed(ValidationError):
    """Publishing a month with open work needs the publisher's explicit confirmation."""


def replayed(notice: Notice, draft_version: int | None, digest: str | None) -> NoticeRevision | None:
    """The revision already published from this very preview (a replayed or double-clicked form), or ``None``."""
    if draft_version is None or not digest:
        return None
    return next((r for r in reversed(notice.revisions)
                 if r.draft_version == draft_version and r.preview_sha256 == digest), None)


def check_draft(session: Session, notice: Notice, draft_version: int | None, digest: str | None,
                previewed_at: dt.datetime | None, snapshot: Mapping[str, Any]) -> None:
    """:raise PreviewStale: the draft's version or the snapshot's hash is not the one previewed.
    :raise ValidationError: the form carries no preview."""
    changes = []
    if draft_version is None or not digest:
        raise ValidationError(_("The form does not say which preview it publishes: reload the page."))
    if draft_version != notice.version:
        who = notice.updated_by.display_name if notice.updated_by else _("the system")
        changes.append(_("%(name)s changed the notice at %(time)s.", name=who, time=_time(notice.updated_at)))
    if snapshot_digest(snapshot) != digest:
        changes.extend(result_changes(session, notice.period, previewed_at)
                       or [_("The month's results changed (e.g. a hall was added, moved or deactivated).")])
    if changes:
        raise PreviewStale(changes)


def result_changes(session: Session, period: str, since: dt.datetime | None) -> list[str]:
    """What happened to the month's visits since ``since``: approvals, rejections, corrections, late visits."""
    from surveyapp.visits.labels import event_label, status_label

    if since is None:
        return []
    rows = session.execute(
        sa.select(VisitEvent.action, VisitEvent.at, VisitEvent.to_status, Visit.hall_id, Visit.visited_at)
        .join(Visit, Visit.id == VisitEvent.visit_id)
        .where(Visit.period == period, VisitEvent.at > since, VisitEvent.action.in_(RESULT_EVENTS))
        .order_by(VisitEvent.at, VisitEvent.id)).all()
    from surveyapp.org.models import Hall

    codes = dict(session.execute(sa.select(Hall.id, Hall.code).where(Hall.id.in_({r.hall_id for r in rows}))).all())
    return [_("%(time)s: a visit to %(hall)s of %(date)s became %(status)s (%(action)s).", time=_time(r.at),
              hall=codes.get(r.hall_id, "?"), date=clock.local(r.visited_at).date().isoformat() if r.visited_at else "—",
              status=status_label(r.to_status) if r.to_status else "—", action=event_label(r.action)) for r in rows]


def check_open_work(work: OpenWork, confirmed: str | None) -> None:
    """:raise OpenWorkUnconfirmed: the month has open work (or has not ended) and the publisher did not confirm
    these very counts (the form's ``confirm_open`` carries :meth:`OpenWork.token`)."""
    if (work.total or not work.month_ended) and confirmed != token(work):
        problems = work.lines()
        if not work.month_ended:
            problems.insert(0, _("The month has not ended yet."))
        raise OpenWorkUnconfirmed(_("The month still has open work: confirm that you publish it anyway."),
                                  errors=problems, field="confirm_open")


def token(work: OpenWork) -> str:
    """The value the confirmation box carries: the counts it named, so confirming other counts does not count."""
    return ".".join(str(n) for n in (work.waiting, work.returned, work.in_progress, work.planned, work.appeals,
                                     int(work.month_ended)))


def _time(moment: dt.datetime | None) -> str:
    return clock.local(moment).strftime("%Y-%m-%d %H:%M") if moment else "—"


def check_publish(session: Session, notice: Notice, *, draft_version: int | None, digest: str | None,
                  previewed_at: dt.datetime | None, confirmed: str | None) -> None:
    """The request's guard before any publishing work starts.

    :raise PreviewStale: the draft or the results changed since the preview.
    :raise OpenWorkUnconfirmed: open work in the month and no confirmation of its counts.
    """
    key = _draft_key(session, notice)
    if not (digest and draft_version == notice.version and key is not None and remembered(session, key) == digest):
        # not a draft previewed (by any process) as it stands now: the whole snapshot, built again, decides
        check_draft(session, notice, draft_version, digest, previewed_at, draft_preview(session, notice)[0])
    check_open_work(open_work(session, notice.period), confirmed)


def draft_preview(session: Session, notice: Notice) -> tuple[dict[str, Any], str]:
    """The notice's draft snapshot (what publishing now would freeze) and its hash (:func:`snapshot_digest`),
    remembered in the database (:func:`remember`) so that the publish request (:func:`check_publish`), in
    whichever process it runs, recognises an unchanged draft without building the snapshot again."""
    from surveyapp.notices.services import draft_snapshot

    key = _draft_key(session, notice)  # read before the snapshot: a change committed meanwhile gives a new key
    snapshot = draft_snapshot(session, notice)
    digest = snapshot_digest(snapshot)
    if key is not None:
        remember(session, key, digest)
    return snapshot, digest


def remember(session: Session, key: str, digest: str) -> None:
    """Keep a preview's hash under its draft's key, in a short transaction of its own (the page's stays a
    read), pruning what is older than :data:`DIGEST_KEPT`. A concurrent writer of the same key makes no error
    (an upsert: the same key always gives the same hash); a failure is logged and costs only the shortcut."""
    now = clock.now()
    table = PreviewDigest.__table__
    try:
        with session.get_bind().begin() as connection:
            upsert = insert_for(connection)
            statement = upsert(table).values(key=key, digest=digest, made_at=now)
            connection.execute(statement.on_conflict_do_update(
                index_elements=[table.c.key], set_={"digest": statement.excluded.digest, "made_at": now}))
            connection.execute(sa.delete(table).where(table.c.made_at < now - DIGEST_KEPT))
    except sa.exc.SQLAlchemyError as exc:
        log.info("preview hash not remembered: %s", exc.__class__.__name__)


def remembered(session: Session, key: str) -> str | None:
    """The hash of the draft previewed under ``key`` (:func:`_draft_key`) within :data:`DIGEST_KEPT`, or ``None``."""
    return session.scalar(sa.select(PreviewDigest.digest).where(
        PreviewDigest.key == key, PreviewDigest.made_at >= clock.now() - DIGEST_KEPT))


def _draft_key(session: Session, notice: Notice) -> str | None:
    """What the hashed part of a draft snapshot is built from, hashed (SHA-256, hex): the assessment stamp's
    token (a new one with any change to visits, answers, halls, units or the policy, and with every
    publication), the notice, the draft's version, its latest revision, today (the deadlines) and the
    document's language. ``None``: no stamp, no shortcut.

    Names outside the stamp (a member of staff renamed in the star list, a photo) are not part of it: the
    publish job builds the snapshot again and checks the hash in full (:func:`check_draft`)."""
    from surveyapp.notices.rendering import document_language

    stamp = cache.token(session)
    if stamp is None:
        return None
    latest = notice.latest
    text = json.dumps(["draft digest", stamp, notice.id, notice.version, latest.number if latest else 0,
                       clock.today().isoformat(), document_language()])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- late visits --------------------------------------------------------------------------------------


@late_visit_validated.connect
def _late_visit_validated(session: Session, *, actor: User | None, visit: Visit) -> None:
    """A visit dated in a closed month was validated (an explicit decision): the month's notice needs a revision."""
    score = "—" if visit.score is None else str(assessment.display(visit.score))
    hall = visit.hall.code + " " + visit.hall.name
    reason = _("Late visit: %(hall)s, %(type)s visit of %(date)s validated after the month closed (score %(score)s)",
               hall=hall, type=visit_type_label(visit.type),
               date=clock.local(visit.visited_at).date().isoformat() if visit.visited_at else "—", score=score)
    from surveyapp.notices.services import mark_revision_pending

    mark_revision_pending(session, actor, visit.period, reason)
