"""Planning visits (market department): create, change and cancel planned visits.

The automatic month plan and the calendar build on :func:`plan_visit` and :func:`check_plan`, which hold
the rules: an active hall, the newest version of a checklist that allows the visit type, an active
supervisor who covers the hall's unit, and a due window that reads forwards.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from surveyapp import clock
from surveyapp.auth.access import require_role
from surveyapp.auth.models import Role, User
from surveyapp.checklists import services as checklist_services
from surveyapp.checklists.definition import VisitType
from surveyapp.checklists.models import ChecklistVersion
from surveyapp.errors import InvalidTransition, ValidationError
from surveyapp.i18n import localized
from surveyapp.org.models import Hall
from surveyapp.visits import queries
from surveyapp.visits.content import period_of
from surveyapp.visits.models import CANCELLABLE, Visit, VisitStatus
from surveyapp.visits.services import (
    check_version,
    clean_uuid,
    flush_or_conflict,
    log_event,
)
from surveyapp.visits.signals import evidence_changed

#: The longest due window accepted, in days.
MAX_WINDOW_DAYS = 62


@dataclass(frozen=True)
class Plan:
    """What a planned visit is: where, with which checklist, what kind, by whom, and when."""

    hall: Hall
    checklist: ChecklistVersion
    type: VisitType
    supervisor: User
    due_from: dt.date
    due_until: dt.date


#: Why anyone but the market department (or the system) is refused here.
MARKET_ONLY = _l("Only the market department plans and validates visits.")


def check_plan(session: Session, plan: Plan) -> list[str]:
    """Every reason ``plan`` cannot be saved, as messages (an empty list means it can)."""
    problems = []
    if not plan.hall.active:
        problems.append(_("The hall %(code)s is deactivated.", code=plan.hall.code))
    if VisitType(plan.type) not in plan.checklist.definition.visit_types:
        problems.append(_("The checklist %(title)s is not for this kind of visit.", title=localized(plan.checklist.title, plan.checklist.title_en)))
    newest = session.scalar(sa.select(sa.func.max(ChecklistVersion.version))
                            .where(ChecklistVersion.checklist_id == plan.checklist.checklist_id))
    if newest is not None and plan.checklist.version < newest:
        problems.append(_("A newer version (%(n)s) of this checklist exists: plan with it.", n=newest))
    supervisor = plan.supervisor
    if supervisor.role is not Role.SUPERVISOR or not supervisor.active:
        problems.append(_("%(name)s is not an active supervisor.", name=supervisor.display_name))
    elif not queries.covers(supervisor, plan.hall):
        problems.append(_("%(name)s does not cover the unit of hall %(code)s.", name=supervisor.display_name,
                          code=plan.hall.code))
    return problems + check_window(plan.due_from, plan.due_until)


def _label(visit: Visit) -> str:
    return f"{visit.hall.code} {visit.type.value} {visit.period}"


def plan_visit(session: Session, actor: User | None, plan: Plan, uid: str | None = None) -> Visit:
    """Create a planned visit.

    :param uid: the visit's public id when it comes from elsewhere (an offline client, an import, the demo);
        a new UUID otherwise.
    :raise ValidationError: listing every rule the plan breaks.
    """
    require_role(actor, Role.MARKET, because=MARKET_ONLY)
    problems = check_plan(session, plan)
    if problems:
        raise ValidationError(_("The visit was not planned."), errors=problems)
    visit = Visit(
        uid=clean_uuid(uid, _("The visit id")) if uid is not None else str(uuid.uuid4()),
        hall=plan.hall, checklist_version=plan.checklist, type=VisitType(plan.type),
        supervisor=plan.supervisor, status=VisitStatus.PLANNED, due_from=plan.due_from, due_until=plan.due_until,
        period=period_of(plan.due_from, clock.company_tz()), created_at=clock.now(), created_by=actor,
    )
    session.add(visit)
    session.flush()
    log_event(session, actor, visit, "plan", None, VisitStatus.PLANNED, label=_label(visit),
              details={"hall": plan.hall.code, "type": visit.type, "supervisor": plan.supervisor.username,
                       "checklist": checklist_services.label(plan.checklist),
                       "due": [plan.due_from.isoformat(), plan.due_until.isoformat()]})
    return visit


def update_plan(session: Session, actor: User | None, visit: Visit, expected_version: int | None, plan: Plan) -> bool:
    """Change a visit that has not started; once started only its due window may change.

    :param expected_version: the ``Visit.version`` the form was drawn with (optimistic lock), or ``None``.
    :return: whether anything changed.
    :raise InvalidTransition: the visit is past planning.
    :raise Conflict: someone changed the visit since the form was drawn.
    """
    require_role(actor, Role.MARKET, because=MARKET_ONLY)
    check_version(visit, expected_version)
    if visit.status not in CANCELLABLE:
        raise InvalidTransition(_("This visit has been submitted; its plan can no longer change."))
    started = visit.status is VisitStatus.IN_PROGRESS
    if started and (plan.hall.id != visit.hall_id or plan.supervisor.id != visit.supervisor_id
                    or VisitType(plan.type) is not visit.type or plan.checklist.id != visit.checklist_version_id):
        raise InvalidTransition(_("The supervisor has started this visit: only its due window may change now."))
    problems = check_plan(session, plan) if not started else check_window(plan.due_from, plan.due_until)
    if problems:
        raise ValidationError(_("The visit was not changed."), errors=problems)
    before = {"hall": visit.hall.code, "type": visit.type.value, "supervisor": visit.supervisor.username,
              "checklist": checklist_services.label(visit.checklist_version), "due_from": visit.due_from, "due_until": visit.due_until}
    visit.hall, visit.supervisor, visit.type = plan.hall, plan.supervisor, VisitType(plan.type)
    visit.checklist_version, visit.due_from, visit.due_until = plan.checklist, plan.due_from, plan.due_until
    if not started:
        visit.period = period_of(plan.due_from, clock.company_tz())
    after = {"hall": plan.hall.code, "type": visit.type.value, "supervisor": plan.supervisor.username,
             "checklist": checklist_services.label(plan.checklist), "due_from": plan.due_from, "due_until": plan.due_until}
    diff = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if not diff:
        return False
    flush_or_conflict(session, visit)
    log_event(session, actor, visit, "update", visit.status, visit.status, label=_label(visit), details=diff)
    return True


def check_window(due_from: dt.date, due_until: dt.date) -> list[str]:
    if due_until < due_from:
        return [_("The due window ends before it starts.")]
    if (due_until - due_from).days >= MAX_WINDOW_DAYS:
        return [_("The due window may be at most %(n)d days long.", n=MAX_WINDOW_DAYS)]
    return []


def cancel_visit(session: Session, actor: User | None, visit: Visit, expected_version: int | None,
                 reason: str | None = None) -> None:
    """Cancel a visit that nobody has submitted yet (a draft the supervisor started is kept, unused).

    :raise InvalidTransition: the visit was already submitted, validated or cancelled.
    """
    require_role(actor, Role.MARKET, because=MARKET_ONLY)
    check_version(visit, expected_version)
    if visit.status not in CANCELLABLE:
        raise InvalidTransition(_("Only visits that have not been submitted can be cancelled."))
    before = visit.status
    visit.status = VisitStatus.CANCELLED
    flush_or_conflict(session, visit)
    log_event(session, actor, visit, "cancel", before, VisitStatus.CANCELLED, comment=(reason or "").strip() or None,
              label=_label(visit))
    evidence_changed.send(session, actor=actor, visit=visit)
