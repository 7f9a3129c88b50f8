"""The market department's side of a submitted visit: approve, return for correction, reject; and release to halls.

Late rule (month close): a visit dated in a closed month (its notice published or closed) is *late*; approving
it is an explicit decision (``late_confirmed``) that counts it and, once the month is published, marks the
month's notice revision pending (the notices capability listens to :data:`late_visit_validated`). Rejecting
it leaves the month as published.

Release rule (DOMAIN.md confidentiality): an announced visit is released to its hall when approved; an
unannounced or social-supervisor visit only when the month's notice is published (the notices capability
calls :func:`release_visits`) or when the market department releases it explicitly.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from surveyapp import clock
from surveyapp.assessment import cache
from surveyapp.auth.access import require_role
from surveyapp.auth.models import Role, User
from surveyapp.checklists.scoring import round_half_up
from surveyapp.errors import InvalidTransition, PermissionDenied, ValidationError
from surveyapp.visits.content import MAX_REMARK
from surveyapp.visits.models import Visit, VisitStatus
from surveyapp.visits.rules import month_closed
from surveyapp.visits.services import check_version, concurrent_change, flush_or_conflict, log_event, log_events
from surveyapp.visits.signals import late_visit_validated, visit_approved, visit_returned, visits_released

MAX_COMMENT = 2000
#: Why anyone but the market department (or the system) is refused here.
MARKET_ONLY = _l("Only the market department plans and validates visits.")


def submitters(visit: Visit) -> set[int]:
    """Who submitted (any revision of) the visit, the supervisor included: none of them may validate it."""
    return {visit.supervisor_id} | {r.submitted_by_id for r in visit.revisions if r.submitted_by_id is not None}


def _prepare(actor: User | None, visit: Visit, expected_version: int | None) -> None:
    require_role(actor, Role.MARKET, because=MARKET_ONLY)
    check_version(visit, expected_version)
    if actor is not None and actor.id in submitters(visit):
        raise PermissionDenied(_("You submitted this visit, so someone else must validate it."))
    if visit.status is not VisitStatus.SUBMITTED:
        raise InvalidTransition(_("Only submitted visits can be validated; this one is no longer waiting."))


def _label(visit: Visit) -> str:
    return f"{visit.hall.code} {visit.type.value} {visit.period}"


class LateVisit(InvalidTransition):
    """Approving a visit dated in a closed month needs the market department's explicit decision."""


def approve(session: Session, actor: User | None, visit: Visit, expected_version: int | None, *,
            comment: str = "", late_confirmed: bool = False) -> None:
    """Validate the visit: it now counts in the month's results; an announced one is released to the hall.
    The comment (optional) is shown to the supervisor on the visit and in the inbox.

    :raise LateVisit: the visit is dated in a closed month and ``late_confirmed`` is not given.
    """
    _prepare(actor, visit, expected_version)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError(_("At most %(n)d characters.", n=MAX_COMMENT))
    late = visit.late or month_closed(session, visit.period)
    if late and not late_confirmed:
        raise LateVisit(_("This visit is dated in %(month)s, a month already closed. Validating it changes that "
                          "month's results: confirm it as late (the notice then needs a revision), or reject it.",
                          month=visit.period))
    now = clock.now()
    visit.late = late
    visit.status, visit.validated_at, visit.validated_by = VisitStatus.VALIDATED, now, actor
    if not visit.confidential:
        visit.released_at = now
    flush_or_conflict(session, visit)
    score = None if visit.score is None else str(round_half_up(visit.score, 1))
    log_event(session, actor, visit, "approve", VisitStatus.SUBMITTED, VisitStatus.VALIDATED, label=_label(visit),
              comment=comment or None,
              details={"score": score, "redline": visit.redline, "released": visit.released_at is not None,
                       **({"late": visit.period} if late else {})})
    visit_approved.send(session, actor=actor, visit=visit, comment=comment)
    if visit.released_at is not None:
        visits_released.send(session, actor=actor, visits=[visit])
    if late:
        late_visit_validated.send(session, actor=actor, visit=visit)


def return_visit(session: Session, actor: User | None, visit: Visit, expected_version: int | None, comment: str,
                 item_comments: Mapping[str, str] | None = None) -> None:
    """Send the visit back to its supervisor for correction, with comments (overall and per item).

    :raise ValidationError: no comment at all, or a comment on an item the visit does not ask.
    """
    _prepare(actor, visit, expected_version)
    comment = (comment or "").strip()
    items = {k: v.strip() for k, v in (item_comments or {}).items() if v and v.strip()}
    problems = []
    if not comment and not items:
        problems.append(_("Tell the supervisor what to correct."))
    if len(comment) > MAX_COMMENT:
        problems.append(_("At most %(n)d characters.", n=MAX_COMMENT))
    definition = visit.checklist_version.definition
    for key, text in items.items():
        item = definition.item(key)
        if item is None or not item.applies(visit.type, visit.hall.type):
            problems.append(_("%(key)s: this checklist has no such item", key=key))
        elif len(text) > MAX_REMARK:
            problems.append(_("%(key)s: at most %(n)d characters.", key=key, n=MAX_REMARK))
    if problems:
        raise ValidationError(_("The visit was not returned."), errors=problems)
    visit.status = VisitStatus.RETURNED
    flush_or_conflict(session, visit)
    log_event(session, actor, visit, "return", VisitStatus.SUBMITTED, VisitStatus.RETURNED, comment=comment or None,
              label=_label(visit), details={"items": items} if items else None)
    visit_returned.send(session, actor=actor, visit=visit, comment=comment)


def reject(session: Session, actor: User | None, visit: Visit, expected_version: int | None, reason: str) -> None:
    """Reject the visit for good (it never counts); the reason is required."""
    _prepare(actor, visit, expected_version)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for rejecting this visit."))
    if len(reason) > MAX_COMMENT:
        raise ValidationError(_("At most %(n)d characters.", n=MAX_COMMENT))
    visit.status = VisitStatus.REJECTED
    flush_or_conflict(session, visit)
    log_event(session, actor, visit, "reject", VisitStatus.SUBMITTED, VisitStatus.REJECTED, comment=reason,
              label=_label(visit))


def release_visits(session: Session, actor: User | None, visits: Iterable[Visit]) -> int:
    """Let hall roles see these validated visits from now on (the notices capability calls this when it
    publishes a month's notice, with ``actor`` the publisher; market may release single visits).
    Visits already released are left as they are.

    :return: how many were released by this call.
    :raise InvalidTransition: a visit is not validated (nothing is released then).
    """
    require_role(actor, Role.MARKET, because=MARKET_ONLY)
    visits = list(visits)
    pending = [v for v in visits if v.released_at is None]
    if any(v.status is not VisitStatus.VALIDATED for v in pending):
        raise InvalidTransition(_("Only validated visits can be released to halls."))
    if not pending:
        return 0
    flush_or_conflict(session, pending[0])  # the visits as the session knows them, before their rows are updated
    _mark_released(session, pending, clock.now())
    log_events(session, actor, pending, "release", VisitStatus.VALIDATED, _label)
    visits_released.send(session, actor=actor, visits=pending)
    return len(pending)


#: Visits whose rows one UPDATE statement releases.
RELEASE_CHUNK = 500


def _mark_released(session: Session, visits: list[Visit], now: dt.datetime) -> None:
    """Set ``released_at`` (and the next version) of the visits, a few hundred rows per UPDATE rather than one
    UPDATE per visit (a month's notice releases every mystery visit at once). Still optimistic: a row is only
    updated at the version the session read, and any visit changed meanwhile is a conflict.
    The month's results are stale for the assessment cache, as with any released visit."""
    table = Visit.__table__
    for start in range(0, len(visits), RELEASE_CHUNK):
        chunk = visits[start:start + RELEASE_CHUNK]
        result = session.connection().execute(
            sa.update(table).where(sa.tuple_(table.c.id, table.c.version).in_([(v.id, v.version) for v in chunk]))
            .values(released_at=now, version=table.c.version + 1))
        if result.rowcount != len(chunk):
            raise concurrent_change()
    for visit in visits:  # the objects as written, without another UPDATE at the next flush
        set_committed_value(visit, "released_at", now)
        set_committed_value(visit, "version", visit.version + 1)
    cache.touch(session, every_month=False)
    cache.touch_months(session, {visit.period for visit in visits})
