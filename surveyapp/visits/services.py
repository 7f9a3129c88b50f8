"""A visit's life on the supervisor's side: start, save the draft, submit (idempotently), and the answers it leaves.

Validation by the market department is in :mod:`surveyapp.visits.validation`, planning in
:mod:`surveyapp.planning.services`; the helpers at the top are shared by all three.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from surveyapp import clock
from surveyapp.audit.services import record, record_many
from surveyapp.auth.models import User
from surveyapp.checklists import scoring
from surveyapp.checklists import services as checklist_services
from surveyapp.checklists.models import ChecklistItem, ChecklistVersion
from surveyapp.errors import Conflict, InvalidTransition, NotFound, ValidationError
from surveyapp.visits import labels as _labels  # noqa: F401  (the audit labels of the actions recorded here)
from surveyapp.visits.content import Content, answer_text, period_of
from surveyapp.visits.models import (
    Answer,
    Visit,
    VisitEvent,
    VisitRevision,
    VisitStatus,
)
from surveyapp.visits.rules import (
    ContentInvalid,
    VisitSettings,
    check_content,
    current_photos,
    hall_staff,
    month_closed,
    problem_list,
    staff_answered,
    visit_time_problem,
)
from surveyapp.visits.signals import visit_submitted

log = logging.getLogger("surveyapp.visits")

#: Largest draft accepted: fields, characters per value, and characters in all.
#: Why anyone but the market department (or the system) is refused planning or validating.
MARKET_ONLY = _l("Only the market department plans and validates visits.")
MAX_DRAFT_FIELDS = 2000
MAX_DRAFT_VALUE = 5000
MAX_DRAFT_CHARS = 500_000


# --- shared helpers ---------------------------------------------------------------------------------


def log_event(session: Session, actor: User | None, visit: Visit, action: str, from_status: VisitStatus | None,
              to_status: VisitStatus | None, *, comment: str | None = None, details: dict[str, Any] | None = None,
              label: str | None = None) -> VisitEvent:
    """Record a state change on the visit's history and in the audit trail."""
    audit = dict(details or {})
    if from_status is not to_status:
        audit["status"] = [from_status, to_status]
    if comment:
        audit["comment"] = comment
    entry = record(session, actor, f"visit.{action}", "visit", visit.uid,
                   label or f"{visit.hall.code} {visit.type.value}", audit)
    # The audit entry holds the details in JSON form (dates and enums as text): the event keeps the same.
    stored = {k: v for k, v in (entry.details or {}).items() if k in (details or {})} or None
    event = VisitEvent(visit=visit, at=entry.at, actor_id=actor.id if actor else None, action=action,
                       from_status=from_status, to_status=to_status, comment=comment, details=stored)
    session.add(event)
    return event


def log_events(session: Session, actor: User | None, visits: list[Visit], action: str, status: VisitStatus,
               label: Callable[[Visit], str]) -> None:
    """:func:`log_event` for many visits at once, for an action that leaves their status as it is (a release):
    the audit entries and history rows inserted in bulk now, not an ORM object each."""
    entries = record_many(session, actor, f"visit.{action}", "visit", [(v.uid, label(v), None) for v in visits])
    rows = [{"visit_id": visit.id, "at": entry["at"], "actor_id": actor.id if actor else None, "action": action,
             "from_status": status, "to_status": status, "comment": None, "details": None}
            for visit, entry in zip(visits, entries, strict=True)]
    if rows:
        session.execute(sa.insert(VisitEvent), rows)
    for visit in visits:
        if "events" in visit.__dict__:  # a history already read: read again with these rows
            session.expire(visit, ["events"])


def conflict_message(visit: Visit) -> str:
    """What to tell someone whose form is older than the visit: who changed it last, and when."""
    last = visit.events[-1] if visit.events else None
    if last is None or last.actor is None:
        return _("Someone else changed this visit after you opened it. Reload it to see what changed.")
    from surveyapp.labels import localtime
    from surveyapp.visits.labels import status_label

    return _("%(name)s changed this visit at %(time)s (it is now: %(status)s). Reload it to see what changed.",
             name=last.actor.display_name, time=localtime(last.at), status=status_label(visit.status))


def check_version(visit: Visit, expected: int | None) -> None:
    """:raise Conflict: the form was drawn from an older version of the visit (optimistic locking)."""
    if expected is not None and expected != visit.version:
        raise Conflict(conflict_message(visit))


def flush_or_conflict(session: Session, visit: Visit) -> None:
    """Flush; a concurrent change to the same visit (its version moved on) becomes a :class:`Conflict`."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise concurrent_change() from exc


def concurrent_change() -> Conflict:
    """The error for a visit whose version moved on while we changed it."""
    return Conflict(_("Someone else changed this visit at the same moment. Reload it to see what they did."))


def require_own(actor: User | None, visit: Visit) -> None:
    """:raise NotFound: ``actor`` is not the visit's supervisor (reported like a missing visit)."""
    if actor is not None and actor.id != visit.supervisor_id:
        raise NotFound(_("This visit does not exist, or you may not see it."))


def clean_uuid(value: object, what: str) -> str:
    """:raise ValidationError: ``value`` is not a UUID (the ids clients generate)."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ValidationError(_("%(what)s is not a valid id.", what=what)) from None


def not_editable(visit: Visit) -> InvalidTransition:
    """The error for changing a visit that is not being filled, saying what state it is in."""
    if visit.status is VisitStatus.PLANNED:
        return InvalidTransition(_("Start the visit first."))
    if visit.status is VisitStatus.CANCELLED:
        return InvalidTransition(_("This visit has been cancelled by the market department."))
    return InvalidTransition(_("This visit has already been submitted; it can no longer be changed."))


# --- starting ---------------------------------------------------------------------------------------


def start_visit(session: Session, actor: User | None, visit: Visit) -> bool:
    """The supervisor begins a planned visit: it moves to the newest version of its checklist that allows its
    type, freezes that version, and takes now as its visit time. Starting twice changes nothing.

    :return: whether this call started it.
    """
    require_own(actor, visit)
    if visit.status is not VisitStatus.PLANNED:
        if visit.editable:
            return False
        raise not_editable(visit)
    version = visit.checklist_version
    newest = checklist_services.newest_version(session, version.checklist.slug)
    details: dict[str, Any] = {}
    if newest is not None and newest.id != version.id and visit.type in newest.definition.visit_types:
        details["checklist"] = [checklist_services.label(version), checklist_services.label(newest)]
        version = newest
    checklist_services.mark_used(session, version)
    now = clock.now()
    visit.checklist_version = version
    visit.status, visit.started_at, visit.visited_at = VisitStatus.IN_PROGRESS, now, now
    visit.period = period_of(now, clock.company_tz())
    flush_or_conflict(session, visit)
    log_event(session, actor, visit, "start", VisitStatus.PLANNED, VisitStatus.IN_PROGRESS, details=details or None)
    return True


# --- the draft --------------------------------------------------------------------------------------


def clean_fields(fields: object) -> list[list[str]]:
    """The form's fields as ``[[name, value], ...]`` strings within the draft limits.

    :raise ValidationError: anything else.
    """
    if not isinstance(fields, list) or not all(
            isinstance(pair, list | tuple) and len(pair) == 2 and all(isinstance(x, str) for x in pair) for pair in fields):
        raise ValidationError(_("The draft is not in the expected format."))
    if len(fields) > MAX_DRAFT_FIELDS or any(len(value) > MAX_DRAFT_VALUE or len(name) > 200 for name, value in fields):
        raise ValidationError(_("The draft is too large."))
    if sum(len(name) + len(value) for name, value in fields) > MAX_DRAFT_CHARS:
        raise ValidationError(_("The draft is too large."))
    return [[name, value] for name, value in fields]


def client_time(value: dt.datetime | None, settings: VisitSettings) -> dt.datetime:
    """A time reported by a client, or now when it is missing, in the future or before any visit (a wrong clock)."""
    now = clock.now()
    if value is None or visit_time_problem(value, settings) is not None:
        return now
    return value


def save_draft(session: Session, actor: User | None, visit: Visit, fields: object,
               client_at: dt.datetime | None = None, *, settings: VisitSettings) -> bool:
    """Keep the supervisor's working copy (the form's fields as entered, valid or not, so nothing is lost).

    A copy entered earlier than the one stored (``client_at``, the device's clock) is ignored: a phone that
    comes back online may resend old copies after new ones. Drafts are a working copy, not a record:
    they are not audited (the submitted revisions are).

    :return: whether this copy was stored (``False``: a newer one already was).
    :raise InvalidTransition: the visit is not being filled any more (submitted, cancelled, ...).
    """
    require_own(actor, visit)
    cleaned = clean_fields(fields)
    if not visit.editable:
        raise not_editable(visit)
    entered = client_time(client_at, settings)
    result = session.execute(
        sa.update(Visit)
        .where(Visit.id == visit.id, Visit.status.in_([VisitStatus.IN_PROGRESS, VisitStatus.RETURNED]),
               sa.or_(Visit.draft_client_at.is_(None), Visit.draft_client_at <= entered))
        .values(draft={"fields": cleaned}, draft_client_at=entered, draft_saved_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    session.expire(visit, ["draft", "draft_client_at", "draft_saved_at", "status"])
    if result.rowcount:
        return True
    if not visit.editable:
        raise not_editable(visit)
    return False


# --- submitting -------------------------------------------------------------------------------------


class SubmissionRace(Conflict):
    """Another request changed the visit while this submission was being written; roll back and submit
    again: a repeat of the same submission is then recognised, anything else is refused."""


@dataclass(frozen=True)
class Submission:
    visit: Visit
    revision: VisitRevision
    #: ``True`` when this was a repeat of a submission already received (nothing changed).
    repeated: bool


def submit_visit(session: Session, actor: User | None, visit: Visit, submission_id: str, content: Content,
                 submitted_at: dt.datetime | None = None, *, settings: VisitSettings,
                 imported: bool = False) -> Submission:
    """Submit the supervisor's answers as a new revision, scored by the scoring engine.

    Idempotent by ``submission_id`` (a UUID the client makes once per submission): a repeat with the same
    content returns the first result unchanged; with other content it is refused. Two requests racing each
    other cannot both write: a unique submission id, a unique revision number per visit and the visit's
    version column make the loser fail with :class:`SubmissionRace` (the caller rolls back and calls again).

    :param submitted_at: when the supervisor pressed submit on the device (it may have been offline).
    :param settings: the app's visit settings and month-close rule (:meth:`VisitSettings.of`, read at the edge).
    :param imported: the market department imports it from paper (older visit times are accepted).
    :raise ContentInvalid: with the problems by form field.
    :raise Conflict: the submission id was used with other content (or for another visit).
    :raise InvalidTransition: the visit is not being filled (planned, already submitted, cancelled, ...).
    """
    require_own(actor, visit)
    submission_id = clean_uuid(submission_id, _("The submission id"))
    digest = content.sha256()
    earlier = session.scalar(sa.select(VisitRevision).where(VisitRevision.submission_id == submission_id))
    if earlier is not None:
        if earlier.visit_id != visit.id or earlier.content_sha256 != digest:
            raise Conflict(_("This submission was already received with other content. Reload the visit: "
                             "what you see now is what was received."))
        return Submission(visit, earlier, repeated=True)
    if not visit.editable:
        raise not_editable(visit)
    photos = current_photos(visit)
    now = clock.now()
    problems = check_content(session, visit, content, photos, settings=settings,
                             submitted=min(client_time(submitted_at, settings), now), imported=imported)
    if problems:
        raise ContentInvalid(problems, problem_list(visit, problems))

    number = (session.scalar(sa.select(sa.func.max(VisitRevision.number)).where(VisitRevision.visit_id == visit.id)) or 0) + 1
    canonical = content.to_json()
    before = visit.status
    staff = hall_staff(session, visit)
    served = sorted(set(canonical["staff"]) | staff_answered(visit, content.answers))
    # Nothing may reach the database before the one guarded flush below: a concurrent repeat must fail there.
    with session.no_autoflush:
        visit.status = VisitStatus.SUBMITTED
        visit.submitted_at = min(client_time(submitted_at, settings), now)
        visit.received_at = now
        visit.visited_at = content.visited_at
        visit.period = period_of(content.visited_at, clock.company_tz())
        visit.late = month_closed(session, visit.period, settings)
        visit.scenario, visit.impression = canonical["scenario"], canonical["impression"]
        visit.staff = [staff[n] for n in served]
        visit.draft = visit.draft_client_at = visit.draft_saved_at = None
        new_answers: list[dict[str, Any]] = []
        result = apply_answers(session, visit, content.answers, content.remarks, new=new_answers)
        revision = VisitRevision(
            visit=visit, number=number, content={**canonical, "photos": photos}, content_sha256=digest,
            submission_id=submission_id, submitted_at=visit.submitted_at, received_at=now,
            submitted_by_id=actor.id if actor else None, score=visit.score, redline=result.redline,
        )
        session.add(revision)
    try:
        session.flush()
    except (IntegrityError, StaleDataError) as exc:
        raise SubmissionRace(_("This visit was changed by another request at the same moment.")) from exc
    insert_answers(session, visit, new_answers)
    log_event(session, actor, visit, "submit", before, VisitStatus.SUBMITTED,
              details={"revision": number, "submission_id": submission_id,
                       "score": None if visit.score is None else str(scoring.round_half_up(visit.score, 1)),
                       **({"late": visit.period} if visit.late else {})})
    log.info("visit %s submitted (revision %s) by %s", visit.uid, number, actor.username if actor else "system")
    visit_submitted.send(session, actor=actor, visit=visit, revision=number)
    return Submission(visit, revision, repeated=False)


def apply_answers(session: Session, visit: Visit, answers: Mapping[str, object],
                  remarks: Mapping[str, str], *, new: list[dict[str, Any]] | None = None) -> scoring.VisitScore:
    """Write the visit's ``Answer`` rows and cached totals from ``answers`` (scored by the scoring engine).

    Rows are updated in place (their ids stay), added for newly answered items and removed for items no
    longer answered. Anything that corrects answers (e.g. an upheld appeal) goes through here.

    :param new: given, the rows of newly answered items are appended to it as column values instead of being
        added to the session, for :func:`insert_answers` (a submission writes them after its race-guarded flush).
    """
    version: ChecklistVersion = visit.checklist_version
    definition = version.definition
    result = scoring.score_visit(definition, visit.type, visit.hall.type, answers)
    scored = {item.key: item for item in result.items}
    rows = {row.key: row for row in session.scalars(sa.select(ChecklistItem).where(ChecklistItem.version_id == version.id))}
    existing = {answer.item_id: answer for answer in visit.answers}
    kept: list[Answer] = []
    for item in scoring.applicable_items(definition, visit.type, visit.hall.type):
        value, remark = answers.get(item.key), (remarks.get(item.key) or "").strip() or None
        if value is None and remark is None:
            continue
        row = rows[item.key]
        score = scored.get(item.key)
        columns = {"value": answer_text(value), "remark": remark, "earned": score.earned if score else None,
                   "possible": score.possible if score else None, "failed": bool(score and score.failed),
                   "redline": bool(score and score.redline)}
        answer = existing.get(row.id)
        if answer is None and new is not None:
            new.append({"visit_id": visit.id, "item_id": row.id, **columns})
            continue
        if answer is None:
            answer = Answer(item=row)
            visit.answers.append(answer)
        for name, column in columns.items():
            setattr(answer, name, column)
        kept.append(answer)
    for answer in [a for a in visit.answers if a not in kept]:
        visit.answers.remove(answer)
    visit.earned, visit.possible, visit.redline = result.earned, result.possible, result.redline
    visit.score = None if result.score is None else scoring.round_half_up(result.score, 6)
    return result


def insert_answers(session: Session, visit: Visit, rows: list[dict[str, Any]]) -> None:
    """Insert the new answer rows :func:`apply_answers` set aside, in one statement rather than an ORM object
    each (a submission's 45 answers were a third of its CPU). The caller changes the visit's own row (status,
    totals) in the same transaction, which is what gives the assessment cache its new tokens."""
    if not rows:
        return
    session.execute(sa.insert(Answer.__table__), rows)
    if "answers" in visit.__dict__:  # read before the insert: read again when asked
        session.expire(visit, ["answers"])


def latest_revision(visit: Visit) -> VisitRevision | None:
    return visit.revisions[-1] if visit.revisions else None


def latest_return(visit: Visit) -> VisitEvent | None:
    """The market department's most recent "return for correction" (comments for the supervisor)."""
    return latest_event(visit, "return")


def latest_event(visit: Visit, action: str) -> VisitEvent | None:
    """The visit's most recent event of ``action`` (``approve``, ``return`` ...)."""
    return next((e for e in reversed(visit.events) if e.action == action), None)
