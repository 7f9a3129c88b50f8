"""Hall feedback's rules: findings made at release, rectification and its check, appeals and their decision,
deadline reminders (DOMAIN.md "Hall feedback", "Assessment policy" deadlines).

Deadlines are whole days in the company's time zone, counted from the day the visit was released to the
hall and inclusive: released on 5 November with 2 days to rectify, the finding is due on 7 November and
overdue from 8 November 00:00. Appeals follow the same rule with the policy's ``appeal_days``.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from surveyapp import clock, photos
from surveyapp.assessment.services import current_policy
from surveyapp.audit import display
from surveyapp.audit.services import record
from surveyapp.auth.access import require_role
from surveyapp.auth.models import Role, User
from surveyapp.checklists import scoring
from surveyapp.checklists.definition import ItemKind
from surveyapp.checklists.models import ChecklistItem
from surveyapp.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from surveyapp.feedback import messages  # noqa: F401 - registers the message kinds sent here
from surveyapp.feedback.models import (
    Appeal,
    AppealStatus,
    FeedbackPhoto,
    Finding,
    FindingStatus,
    Rectification,
)
from surveyapp.notices import services as notices
from surveyapp.notices.models import NoticeRevision
from surveyapp.notices.signals import notice_published
from surveyapp.notifications import inbox
from surveyapp.visits.models import Answer, Visit, VisitStatus
from surveyapp.visits.services import apply_answers, log_event
from surveyapp.visits.signals import visit_approved, visit_returned, visits_released
from surveyapp.visits.validation import submitters

log = logging.getLogger("surveyapp.feedback")

#: Longest rectification text, appeal reason and decision reason; most photos per response.
MAX_TEXT = 2000
MAX_PHOTOS = 5
#: What an upheld appeal may correct an answer to.
CORRECTIONS = (scoring.PASS, scoring.NA)


# --- findings ---------------------------------------------------------------------------------------


def make_findings(session: Session, visits: Iterable[Visit]) -> list[dict[str, Any]]:
    """Findings for the failed answers of released visits, with their deadlines from the current policy.
    Idempotent: an item that already has a finding is left alone (``flask feedback sync`` relies on it).

    A month's notice releases every mystery visit at once, so this reads 500 visits per query and inserts
    the rows in bulk (no ORM object per finding).

    :return: the rows inserted (``visit_id``, ``item_key``, ``rectify_due``, ``appeal_until`` ...).
    """
    deadlines = current_policy(session).policy.deadlines
    released = {v.id: v for v in visits if v.released_at is not None and v.status is VisitStatus.VALIDATED}
    ids = sorted(released)
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), 500):
        batch = ids[start:start + 500]
        have = set(session.execute(sa.select(Finding.visit_id, Finding.item_key).where(Finding.visit_id.in_(batch))))
        failed = session.execute(
            sa.select(Answer.visit_id, ChecklistItem.id, ChecklistItem.key, ChecklistItem.section_id)
            .join(Answer.item).where(Answer.visit_id.in_(batch), Answer.failed.is_(True))
            .order_by(Answer.visit_id, ChecklistItem.position))
        for visit_id, item_id, key, section_id in failed:
            if (visit_id, key) in have:
                continue
            visit = released[visit_id]
            day = clock.local(visit.released_at).date()
            days = deadlines.rectify_days_for(section_id)
            rows.append({"uid": str(uuid.uuid4()), "visit_id": visit_id, "hall_id": visit.hall_id, "item_id": item_id,
                         "item_key": key, "section_id": section_id, "status": FindingStatus.OPEN,
                         "released_at": visit.released_at, "rectify_days": days,
                         "rectify_due": day + dt.timedelta(days=days),
                         "appeal_until": day + dt.timedelta(days=deadlines.appeal_days), "version": 1})
    for start in range(0, len(rows), 1000):
        session.execute(sa.insert(Finding), rows[start:start + 1000])
    return rows


def on_release(session: Session, actor: User | None, visits: Sequence[Visit]) -> None:
    """Visits were released to their halls: make their findings and tell the halls' managers."""
    by_visit: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for finding in make_findings(session, visits):
        by_visit[finding["visit_id"]].append(finding)
    managers = inbox.hall_managers_of(session, sorted({v.hall_id for v in visits}))
    told: list[inbox.Message] = []
    for visit in visits:
        if not managers.get(visit.hall_id):
            continue
        own = by_visit.get(visit.id, [])
        params: dict[str, Any] = {"hall": visit.hall.name, "date": _day(visit.visited_at), "count": len(own)}
        if own:
            params.update(due=min(f["rectify_due"] for f in own).isoformat(), appeal=own[0]["appeal_until"].isoformat())
        told.append((managers[visit.hall_id], "released" if own else "released_clean", params,
                         "hall_visits.detail", {"uid": visit.uid}))
    inbox.notify_many(session, told)


def on_return(session: Session, actor: User | None, visit: Visit, comment: str) -> None:
    """A visit went back to its supervisor for correction."""
    inbox.notify(session, [visit.supervisor], "visit_returned", {"hall": visit.hall.name, "comment": comment or "—"},
                 "my_visits.visit", {"uid": visit.uid})


def on_approve(session: Session, visit: Visit, comment: str) -> None:
    """The market department approved a visit: its supervisor hears of it, with the comment if there is one."""
    inbox.notify(session, [visit.supervisor], "visit_approved_comment" if comment else "visit_approved",
                 {"hall": visit.hall.name, "date": _day(visit.visited_at), "comment": comment},
                 "my_visits.visit", {"uid": visit.uid})


def on_notice(session: Session, revision: NoticeRevision) -> None:
    """A notice (or a revision) was published: tell the managers of every hall it lists."""
    period = revision.notice.period
    lines = revision.snapshot["results"]["halls"]
    managers = inbox.hall_managers_of(session, [line["hall_id"] for line in lines])
    told: list[inbox.Message] = []
    for line in lines:
        params = {"period": period, "hall": line["name"]}
        kind = "notice_published"
        if revision.number > 1:
            kind, params = "notice_revised", {**params, "number": revision.number, "reason": revision.reason or ""}
        told.append((managers.get(line["hall_id"], []), kind, params, "feedback.home", {"hall": line["hall_id"]}))
    inbox.notify_many(session, told)


def _day(moment: dt.datetime | None) -> str:
    return clock.local(moment).date().isoformat() if moment else "—"


# --- checks shared by the actions -------------------------------------------------------------------


def require_hall_manager(actor: User | None, finding: Finding) -> None:
    """:raise NotFound: ``actor`` does not manage the finding's hall (told like a missing finding)."""
    if actor is None or actor.role is not Role.HALL_MANAGER or finding.hall_id not in {h.id for h in actor.halls}:
        raise NotFound(_("This finding does not exist, or you may not see it."))


#: Why anyone but the market department (or the system) is refused here.
MARKET_ONLY = _l("Only the market department decides on rectifications and appeals.")


def check_version(obj: Finding | Appeal, expected: int | None) -> None:
    """:raise Conflict: the page was drawn from an older state (someone acted on it since)."""
    if expected is not None and expected != obj.version:
        raise Conflict(_("Someone else acted on this finding after you opened it. Reload the page to see what changed."))


def _claim(session: Session, finding: Finding, expected: int | None) -> None:
    """Take the finding for this change before anything else: its row is updated at once, checking and moving
    its version, so of two people acting on it at the same moment one goes on and the other gets a
    :class:`Conflict` (on PostgreSQL the second waits for the first to commit, then finds the version moved).
    A decision drawn before an appeal or a rectification arrived is refused the same way.

    :raise Conflict: the page was drawn from an older state, or someone else is acting on it.
    """
    check_version(finding, expected)
    flag_modified(finding, "status")
    _flush(session)


def _flush(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict(_("Someone else acted on this finding at the same moment. Reload the page to see what they did.")) from exc


def _clean_text(value: str | None, missing: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(missing)
    if len(value) > MAX_TEXT:
        raise ValidationError(_("At most %(n)d characters.", n=MAX_TEXT))
    return value


def _label(finding: Finding) -> str:
    return f"{finding.hall.code} {finding.item_key}"


def _params(finding: Finding, **extra: Any) -> dict[str, Any]:
    return {"hall": finding.hall.name, "item": finding.item.text, "item_en": finding.item.text_en or finding.item.text,
            **extra}


def _store_photos(session: Session, actor: User | None, finding: Finding, uploads: Sequence[Any],
                  owner: dict[str, Any]) -> list[FeedbackPhoto]:
    """Check and store every upload, or none: a bad one removes those stored before it.

    The files exist before the transaction commits: the caller commits inside
    :func:`surveyapp.photos.deleted_on_error` with their keys.
    """
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError(_("At most %(n)d photos.", n=MAX_PHOTOS))
    stored: list[photos.StoredPhoto] = []
    try:
        for upload in uploads:
            stored.append(photos.save_photo(getattr(upload, "stream", upload)))
    except BaseException:
        for done in stored:
            photos.delete_photo(done.key)
        raise
    now = clock.now()
    made = [FeedbackPhoto(uid=str(uuid.uuid4()), finding=finding, **s.columns(), uploaded_at=now,
                          uploaded_by_id=actor.id if actor else None, **owner) for s in stored]
    session.add_all(made)
    return made


def _extend_due(finding: Finding, from_day: dt.date) -> None:
    """After a rejected appeal or a reopened rectification the hall gets the section's days again, counted from
    the decision, if that is later than the deadline it had."""
    finding.rectify_due = max(finding.rectify_due, from_day + dt.timedelta(days=finding.rectify_days))


# --- rectification ----------------------------------------------------------------------------------


def rectify(session: Session, actor: User | None, finding: Finding, expected_version: int | None, text: str,
            uploads: Sequence[Any] = ()) -> Rectification:
    """The hall reports what it did about an open finding (a late report is accepted and shown as late).

    :raise InvalidTransition: the finding is not open (already rectified, verified or withdrawn).
    """
    require_hall_manager(actor, finding)
    _claim(session, finding, expected_version)
    if finding.status is not FindingStatus.OPEN:
        raise InvalidTransition(_("This finding is not open: there is nothing to rectify."))
    text = _clean_text(text, _("Describe what was done to rectify the finding."))
    rectification = Rectification(finding=finding, text=text, submitted_at=clock.now(),
                                  submitted_by_id=actor.id if actor else None)
    session.add(rectification)
    finding.status = FindingStatus.RECTIFIED
    with photos.deleted_on_error() as keys:
        stored = _store_photos(session, actor, finding, uploads, {"rectification": rectification})
        keys.extend(photo.key for photo in stored)
        _flush(session)
    late = clock.today() > finding.rectify_due
    record(session, actor, "finding.rectify", "finding", finding.uid, _label(finding),
           {"text": text, "photos": len(stored), "late": late})
    inbox.notify(session, inbox.market_staff(session), "rectification_new", _params(finding),
                 "feedback.finding", {"finding": finding.uid})
    return rectification


def check_rectification(session: Session, actor: User | None, finding: Finding, expected_version: int | None,
                        accept: bool, comment: str | None = None) -> None:
    """The market department verifies the rectification (closing the finding) or reopens it with a reason."""
    require_role(actor, Role.MARKET, because=MARKET_ONLY)
    _claim(session, finding, expected_version)
    rectification = finding.latest_rectification
    if finding.status is not FindingStatus.RECTIFIED or rectification is None:
        raise InvalidTransition(_("This finding has no rectification waiting to be checked."))
    comment = (comment or "").strip() or None
    if not accept:
        comment = _clean_text(comment, _("Say why the rectification is not enough."))
    elif comment and len(comment) > MAX_TEXT:
        raise ValidationError(_("At most %(n)d characters.", n=MAX_TEXT))
    now = clock.now()
    rectification.accepted, rectification.checked_at, rectification.comment = accept, now, comment
    rectification.checked_by_id = actor.id if actor else None
    if accept:
        finding.status, finding.closed_at = FindingStatus.VERIFIED, now
    else:
        finding.status = FindingStatus.OPEN
        _extend_due(finding, clock.today())
    _flush(session)
    record(session, actor, "finding.verify" if accept else "finding.reopen", "finding", finding.uid, _label(finding),
           {"comment": comment, "due": finding.rectify_due})
    inbox.notify(session, inbox.hall_managers(session, finding.hall_id),
                 "rectification_verified" if accept else "rectification_reopened",
                 _params(finding, reason=comment or ""), "feedback.finding", {"finding": finding.uid})


# --- appeals ----------------------------------------------------------------------------------------


def appeal(session: Session, actor: User | None, finding: Finding, expected_version: int | None, reason: str,
           uploads: Sequence[Any] = ()) -> Appeal:
    """The hall appeals a finding within the policy's window, with a reason and optional photos.

    :raise InvalidTransition: the window has closed, the finding was already appealed or is withdrawn.
    """
    require_hall_manager(actor, finding)
    _claim(session, finding, expected_version)
    if finding.appeal is not None:
        raise InvalidTransition(_("This finding has already been appealed; a finding can be appealed once."))
    if finding.status is FindingStatus.WITHDRAWN:
        raise InvalidTransition(_("This finding has been withdrawn; there is nothing to appeal."))
    if not finding.appeal_open_on(clock.today()):
        raise InvalidTransition(_("Appeals for this finding closed on %(day)s; it can no longer be appealed.",
                                  day=finding.appeal_until.isoformat()))
    reason = _clean_text(reason, _("Give the reason for the appeal."))
    appeal = Appeal(finding=finding, reason=reason, submitted_at=clock.now(), submitted_by_id=actor.id if actor else None,
                    status=AppealStatus.PENDING)
    session.add(appeal)
    with photos.deleted_on_error() as keys:
        stored = _store_photos(session, actor, finding, uploads, {"appeal": appeal})
        keys.extend(photo.key for photo in stored)
        _flush(session)
    record(session, actor, "finding.appeal", "finding", finding.uid, _label(finding),
           {"reason": reason, "photos": len(stored)})
    inbox.notify(session, inbox.market_staff(session), "appeal_new", _params(finding),
                 "feedback.finding", {"finding": finding.uid})
    return appeal


def decide_appeal(session: Session, actor: User | None, finding: Finding, expected_version: int | None,
                  uphold: bool, corrected_to: str | None = None, reason: str | None = None) -> Appeal:
    """Uphold (the answer is corrected to ``pass`` or ``na``, the visit's score recomputed, the finding withdrawn)
    or reject (with a reason) a pending appeal. The supervisor who did the visit cannot decide it.

    :raise PermissionDenied: ``actor`` did (or submitted) the visit.
    :raise InvalidTransition: no appeal is waiting.
    :raise Conflict: someone decided first.
    """
    require_role(actor, Role.MARKET, because=MARKET_ONLY)
    _claim(session, finding, expected_version)
    appeal = finding.appeal
    if appeal is None or appeal.status is not AppealStatus.PENDING:
        raise InvalidTransition(_("No appeal is waiting for a decision on this finding."))
    visit = finding.visit
    if actor is not None and actor.id in submitters(visit):
        raise PermissionDenied(_("You did this visit, so someone else must decide the appeal."))
    reason = (reason or "").strip() or None
    if reason and len(reason) > MAX_TEXT:
        raise ValidationError(_("At most %(n)d characters.", n=MAX_TEXT))
    now = clock.now()
    appeal.decided_at, appeal.decided_by_id, appeal.decision_reason = now, actor.id if actor else None, reason
    if uphold:
        if corrected_to not in CORRECTIONS:
            raise ValidationError(_("Choose what the answer is corrected to: pass or not applicable."))
        before = visit.score
        # One guarded flush below: another finding of the same visit corrected at the same moment is a Conflict.
        with session.no_autoflush:
            old_value, new_value = correct_answer(session, visit, finding.item_key, corrected_to)
        appeal.status, appeal.corrected_to = AppealStatus.UPHELD, corrected_to
        appeal.score_before, appeal.score_after = _score_text(before), _score_text(visit.score)
        finding.status, finding.closed_at = FindingStatus.WITHDRAWN, now
        _flush(session)
        log_event(session, actor, visit, "correct", visit.status, visit.status, comment=reason,
                  label=f"{visit.hall.code} {visit.type.value} {visit.period}",
                  details={"item": finding.item_key, "value": [old_value, new_value],
                           "score": [appeal.score_before, appeal.score_after], "finding": finding.uid})
        # The month's published notice no longer matches the results: the market department publishes a revision.
        hall = finding.hall.code + " " + finding.hall.name
        notices.mark_revision_pending(session, actor, visit.period, _(
            "Appeal upheld: %(hall)s, %(item)s (visit of %(date)s); visit score %(before)s → %(after)s",
            hall=hall, item=finding.item.text, date=_day(visit.visited_at),
            before=appeal.score_before or "—", after=appeal.score_after or "—"))
    else:
        if not reason:
            raise ValidationError(_("Give the reason for rejecting the appeal."))
        appeal.status = AppealStatus.REJECTED
        _extend_due(finding, clock.today())
        _flush(session)
    record(session, actor, "appeal.uphold" if uphold else "appeal.reject", "finding", finding.uid, _label(finding),
           {"reason": reason, "corrected_to": appeal.corrected_to,
            "score": [appeal.score_before, appeal.score_after] if uphold else None})
    inbox.notify(session, inbox.hall_managers(session, finding.hall_id), "appeal_upheld" if uphold else "appeal_rejected",
                 _params(finding, reason=reason or ""), "feedback.finding", {"finding": finding.uid})
    return appeal


def _score_text(score: Any) -> str | None:
    return None if score is None else str(scoring.round_half_up(score, 2))


def answers_of(visit: Visit) -> tuple[dict[str, object], dict[str, str]]:
    """The visit's current answers (canonical values, as the scoring engine takes them) and remarks."""
    definition = visit.checklist_version.definition
    answers: dict[str, object] = {}
    remarks: dict[str, str] = {}
    for row in visit.answers:
        item = definition.item(row.item.key)
        if row.remark:
            remarks[row.item.key] = row.remark
        if item is None or row.value is None:
            continue
        answers[item.key] = _canonical(item.kind, row)
    return answers, remarks


def _canonical(kind: ItemKind, row: Answer) -> object:
    value = row.value or ""
    if kind in (ItemKind.COUNT, ItemKind.SCALE) and value != scoring.NA:
        return int(value)
    if kind is ItemKind.STAFF:
        return [v for v in value.split(",") if v]
    return value


def correct_answer(session: Session, visit: Visit, key: str, to: str) -> tuple[str | None, str | None]:
    """Correct one answer of a validated visit to ``pass`` (full points: check pass, count 0, scale all
    points) or ``na``, and recompute the visit's totals through the scoring engine.

    :return: the stored answer before and after.
    """
    item = visit.checklist_version.definition.item(key)
    if item is None or item.kind not in (ItemKind.CHECK, ItemKind.COUNT, ItemKind.SCALE):
        raise ValidationError(_("This item has no score to correct."))
    answers, remarks = answers_of(visit)
    old = answers.get(key)
    if to == scoring.NA:
        answers[key] = scoring.NA
    else:
        answers[key] = {ItemKind.CHECK: scoring.PASS, ItemKind.COUNT: 0, ItemKind.SCALE: item.points}[item.kind]
    apply_answers(session, visit, answers, remarks)
    return (None if old is None else str(old)), str(answers[key])


# --- reminders --------------------------------------------------------------------------------------


def remind(session: Session, days: int, today: dt.date | None = None) -> int:
    """Tell hall managers of open findings due within ``days`` days (today included), once per hall and due
    day. Running it again the same day sends nothing new.

    :return: how many messages were put in inboxes.
    """
    from surveyapp.feedback.queries import due_soon

    today = today or clock.today()
    sent = 0
    for (hall_id, due), findings in due_soon(session, today, today + dt.timedelta(days=days)).items():
        hall = findings[0].hall
        made = inbox.notify(session, inbox.hall_managers(session, hall_id), "due_soon",
                            {"hall": hall.name, "count": len(findings), "due": due.isoformat()},
                            "feedback.home", {"hall": hall_id}, dedupe_key=f"due:{hall_id}:{due.isoformat()}")
        sent += len(made)
    session.flush()
    return sent


# --- listening to the visits capability -------------------------------------------------------------


@visits_released.connect
def _visits_released(session: Session, actor: User | None = None, visits: Sequence[Visit] = ()) -> None:
    on_release(session, actor, visits)


@notice_published.connect
def _notice_published(session: Session, actor: User | None = None, revision: NoticeRevision | None = None) -> None:
    if revision is not None:
        on_notice(session, revision)


@visit_approved.connect
def _visit_approved(session: Session, actor: User | None = None, visit: Visit | None = None, comment: str = "") -> None:
    if visit is not None and visit.supervisor is not None:
        on_approve(session, visit, comment)


@visit_returned.connect
def _visit_returned(session: Session, actor: User | None = None, visit: Visit | None = None, comment: str = "") -> None:
    if visit is not None:
        on_return(session, actor, visit, comment)


display.register_actions({
    "finding.rectify": _l("Rectification sent"), "finding.appeal": _l("Appeal lodged"),
    "finding.verify": _l("Rectification accepted"), "finding.reopen": _l("Rectification sent back"),
    "appeal.uphold": _l("Appeal upheld"), "appeal.reject": _l("Appeal rejected"),
})
display.register_object("finding", _l("Finding"))
display.register_fields({"item": _l("Item"), "value": _l("Answer"), "deadline": _l("Deadline"), "photos": _l("Photos"),
                         "late": _l("Late"), "finding": _l("Finding"), "corrected_to": _l("Corrected to"),
                         "committed": _l("Committed")}, change={"value"})
