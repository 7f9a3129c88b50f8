"""A visit's life on the supervisor's side: start, save the draft, submit (idempotently), and the answers it leaves.

Validation by the market department is in :mod:`surveyapp.visits.validation`, planning in
:mod:`surveyapp.visits.planning`; the helpers at the top are shared by all three.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from surveyapp import clock
from surveyapp.audit.services import record
from surveyapp.auth.models import User
from surveyapp.checklists import scoring
from surveyapp.checklists import services as checklist_services
from surveyapp.checklists.definition import ItemKind
from surveyapp.checklists.models import ChecklistItem, ChecklistVersion
from surveyapp.errors import Conflict, InvalidTransition, NotFound, ValidationError
from surveyapp.org.models import Staff
from surveyapp.visits import content as content_rules
from surveyapp.visits.content import Content, answer_text, period_of
from surveyapp.visits.models import (
    Answer,
    Visit,
    VisitEvent,
    VisitRevision,
    VisitStatus,
)

log = logging.getLogger("surveyapp.visits")

#: Largest draft accepted: fields, characters per value, and characters in all.
MAX_DRAFT_FIELDS = 2000
MAX_DRAFT_VALUE = 5000
MAX_DRAFT_CHARS = 500_000
#: How far a client's clock may run ahead of the server's before its times are not believed.
CLOCK_SKEW = dt.timedelta(minutes=10)


# --- shared helpers ---------------------------------------------------------------------------------


def setting(name: str, default: Any) -> Any:
    """A visits setting from the app config (defaults in :mod:`surveyapp.config`)."""
    return current_app.config.get(name, default) if has_app_context() else default


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
        raise Conflict(_("Someone else changed this visit at the same moment. Reload it to see what they did.")) from exc


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


def _not_editable(visit: Visit) -> InvalidTransition:
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
        raise _not_editable(visit)
    version = visit.checklist_version
    newest = checklist_services.newest_version(session, version.checklist.slug)
    details: dict[str, Any] = {}
    if newest is not None and newest.id != version.id and visit.type in newest.definition.visit_types:
        details["checklist"] = [version.version, newest.version]
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


def client_time(value: dt.datetime | None) -> dt.datetime:
    """A time reported by a client, or now when it is missing or in the future (a wrong clock)."""
    now = clock.now()
    if value is None or value.tzinfo is None or value > now + CLOCK_SKEW:
        return now
    return value


def save_draft(session: Session, actor: User | None, visit: Visit, fields: object,
               client_at: dt.datetime | None = None) -> bool:
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
        raise _not_editable(visit)
    entered = client_time(client_at)
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
        raise _not_editable(visit)
    return False


# --- submitting -------------------------------------------------------------------------------------


class ContentInvalid(ValidationError):
    """A submission that breaks the checklist's rules; ``fields`` maps each form field to its messages
    (an item key for its answer, ``key.photos``, ``key.remark``, or ``staff``/``scenario``/``impression``/
    ``visited_at``)."""

    status = 422

    def __init__(self, fields: dict[str, list[str]], errors: list[str]) -> None:
        super().__init__(_("The visit was not submitted: correct the items marked."), errors=errors)
        self.fields = fields


class SubmissionRace(Conflict):
    """Another request changed the visit while this submission was being written; roll back and submit
    again: a repeat of the same submission is then recognised, anything else is refused."""


@dataclass(frozen=True)
class Submission:
    visit: Visit
    revision: VisitRevision
    #: ``True`` when this was a repeat of a submission already received (nothing changed).
    repeated: bool


def current_photos(visit: Visit) -> dict[str, list[str]]:
    """The photos attached to the visit now, by item key (``""`` for the visit as a whole)."""
    photos: dict[str, list[str]] = {}
    for photo in visit.photos:
        if photo.removed_at is None:
            photos.setdefault(photo.item_key or "", []).append(photo.uid)
    return photos


def staff_answered(visit: Visit, answers: Mapping[str, object]) -> set[str]:
    """Job numbers given as answers to the checklist's staff items (they count as staff served too)."""
    definition = visit.checklist_version.definition
    numbers: set[str] = set()
    for key, value in answers.items():
        item = definition.item(key)
        if item is not None and item.kind is ItemKind.STAFF and isinstance(value, list):
            numbers.update(value)
    return numbers


def hall_staff(session: Session, visit: Visit) -> dict[str, Staff]:
    """The hall's staff by job number (the only job numbers a visit may name)."""
    return {s.job_number: s for s in session.scalars(sa.select(Staff).where(Staff.hall_id == visit.hall_id))}


def check_content(session: Session, visit: Visit, content: Content, photos: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Every problem with submitting ``content`` for ``visit``, by form field (empty: all is well).

    The checklist's rules come from the scoring engine (legal and complete answers); on top: the evidence
    rules (a photo where the item asks), remarks on asked items only, job numbers of this hall's staff, a
    scenario on mystery visits, an overall impression of the configured length, and a visit time not in the future.
    """
    definition = visit.checklist_version.definition
    hall_type = visit.hall.type
    fields: dict[str, list[str]] = {}

    def add(name: str, message: object) -> None:
        fields.setdefault(name, []).append(str(message))

    for problem in scoring.validate_answers(definition, visit.type, hall_type, content.answers, complete=True):
        add(problem.key, problem.message)
    staff = hall_staff(session, visit)
    for item in scoring.applicable_items(definition, visit.type, hall_type):
        value = content.answers.get(item.key)
        if value is None or item.key in fields:
            continue
        if item.kind is ItemKind.STAFF:
            for number in value if isinstance(value, list) else []:
                if number not in staff:
                    add(item.key, _("%(number)s is not a job number of this hall's staff.", number=number))
        if scoring.needs_evidence(item, value) and not photos.get(item.key) and content.evidence != content_rules.PAPER:
            add(f"{item.key}.photos", _("This item needs a photo.") if item.evidence.value == "required"
                else _("Add a photo of what failed."))
    for key, remark in content.remarks.items():
        item = definition.item(key)
        if item is None or not item.applies(visit.type, hall_type):
            add(f"{key}.remark", _("this checklist has no such item"))
        elif len(remark) > content_rules.MAX_REMARK:
            add(f"{key}.remark", _("At most %(n)d characters.", n=content_rules.MAX_REMARK))
    for number in content.staff:
        if number not in staff:
            add("staff", _("%(number)s is not a job number of this hall's staff.", number=number))
    scenario = (content.scenario or "").strip()
    if len(scenario) > content_rules.MAX_SCENARIO:
        add("scenario", _("At most %(n)d characters.", n=content_rules.MAX_SCENARIO))
    elif not scenario and visit.confidential:
        add("scenario", _("Say what you did in the hall as a customer."))
    impression = (content.impression or "").strip()
    least = int(setting("VISIT_IMPRESSION_MIN_LENGTH", 20))
    if len(impression) < least:
        add("impression", _("Write at least %(n)d characters about your overall impression.", n=least))
    elif len(impression) > content_rules.MAX_IMPRESSION:
        add("impression", _("At most %(n)d characters.", n=content_rules.MAX_IMPRESSION))
    if content.visited_at.tzinfo is None or content.visited_at > clock.now() + CLOCK_SKEW:
        add("visited_at", _("The visit time cannot be in the future."))
    return fields


def _problem_list(visit: Visit, fields: Mapping[str, list[str]]) -> list[str]:
    definition = visit.checklist_version.definition
    names = {"staff": _("Staff served"), "scenario": _("Scenario"), "impression": _("Overall impression"),
             "visited_at": _("Visit time")}
    out = []
    for name, messages in fields.items():
        item = definition.item(name) or definition.item(name.rsplit(".", 1)[0])
        label = f"{item.position}. {item.text}" if item is not None else str(names.get(name, name))
        out.extend(f"{label}: {m}" for m in messages)
    return out


def submit_visit(session: Session, actor: User | None, visit: Visit, submission_id: str, content: Content,
                 submitted_at: dt.datetime | None = None) -> Submission:
    """Submit the supervisor's answers as a new revision, scored by the scoring engine.

    Idempotent by ``submission_id`` (a UUID the client makes once per submission): a repeat with the same
    content returns the first result unchanged; with other content it is refused. Two requests racing each
    other cannot both write: a unique submission id, a unique revision number per visit and the visit's
    version column make the loser fail with :class:`SubmissionRace` (the caller rolls back and calls again).

    :param submitted_at: when the supervisor pressed submit on the device (it may have been offline).
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
        raise _not_editable(visit)
    photos = current_photos(visit)
    problems = check_content(session, visit, content, photos)
    if problems:
        raise ContentInvalid(problems, _problem_list(visit, problems))

    now = clock.now()
    number = (session.scalar(sa.select(sa.func.max(VisitRevision.number)).where(VisitRevision.visit_id == visit.id)) or 0) + 1
    canonical = content.to_json()
    before = visit.status
    staff = hall_staff(session, visit)
    served = sorted(set(canonical["staff"]) | staff_answered(visit, content.answers))
    # Nothing may reach the database before the one guarded flush below: a concurrent repeat must fail there.
    with session.no_autoflush:
        visit.status = VisitStatus.SUBMITTED
        visit.submitted_at = min(client_time(submitted_at), now)
        visit.received_at = now
        visit.visited_at = content.visited_at
        visit.period = period_of(content.visited_at, clock.company_tz())
        visit.scenario, visit.impression = canonical["scenario"], canonical["impression"]
        visit.staff = [staff[n] for n in served]
        visit.draft = visit.draft_client_at = visit.draft_saved_at = None
        result = apply_answers(session, visit, content.answers, content.remarks)
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
    log_event(session, actor, visit, "submit", before, VisitStatus.SUBMITTED,
              details={"revision": number, "submission_id": submission_id,
                       "score": None if visit.score is None else str(scoring.round_half_up(visit.score, 1))})
    log.info("visit %s submitted (revision %s) by %s", visit.uid, number, actor.username if actor else "system")
    return Submission(visit, revision, repeated=False)


def apply_answers(session: Session, visit: Visit, answers: Mapping[str, object],
                  remarks: Mapping[str, str]) -> scoring.VisitScore:
    """Write the visit's ``Answer`` rows and cached totals from ``answers`` (scored by the scoring engine).

    Rows are updated in place (their ids stay), added for newly answered items and removed for items no
    longer answered. Anything that corrects answers (e.g. an upheld appeal) goes through here.
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
        answer = existing.get(row.id)
        if answer is None:
            answer = Answer(item=row)
            visit.answers.append(answer)
        score = scored.get(item.key)
        answer.value, answer.remark = answer_text(value), remark
        answer.earned = score.earned if score else None
        answer.possible = score.possible if score else None
        answer.failed = bool(score and score.failed)
        answer.redline = bool(score and score.redline)
        kept.append(answer)
    for answer in [a for a in visit.answers if a not in kept]:
        visit.answers.remove(answer)
    visit.earned, visit.possible, visit.redline = result.earned, result.possible, result.redline
    visit.score = None if result.score is None else scoring.round_half_up(result.score, 6)
    return result


def latest_revision(visit: Visit) -> VisitRevision | None:
    return visit.revisions[-1] if visit.revisions else None


def latest_return(visit: Visit) -> VisitEvent | None:
    """The market department's most recent "return for correction" (comments for the supervisor)."""
    return next((e for e in reversed(visit.events) if e.action == "return"), None)
