"""The automatic month plan (market department): propose, review and adjust, then save all at once.

:func:`propose` gathers the month from the database and runs the pure planner
(:func:`surveyapp.visits.autoplan.plan_month`); the proposal is stored for review. :func:`adjust` changes
single assignments; :func:`save` turns the proposal into planned visits through
:func:`surveyapp.visits.planning.plan_visit` (the rules and the audit trail of hand planning), all or
nothing. Planning a month that already has visits fills only what is missing; a proposal made before
other visits of its month were planned or cancelled is refused at saving, so nothing is ever doubled.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, contains_eager, joinedload

from surveyapp import clock
from surveyapp.audit import display
from surveyapp.audit.services import record
from surveyapp.auth.access import require_role
from surveyapp.auth.models import Role, User, user_unit
from surveyapp.checklists.definition import VisitType
from surveyapp.checklists.labels import visit_type_label
from surveyapp.checklists.models import ChecklistVersion
from surveyapp.errors import Conflict, InvalidTransition, NotFound, ValidationError
from surveyapp.org.models import Hall, Unit
from surveyapp.visits import autoplan, planning, queries
from surveyapp.visits.models import Visit, VisitStatus
from surveyapp.visits.plan_models import PlanProposal, PlanProposalItem, ProposalStatus
from surveyapp.visits.rules import setting

#: Most visits of one kind a hall may get in a month, and most due windows.
MAX_PER_HALL = 10
MAX_WINDOWS = 10
#: Errors listed when saving fails (the count of the others is given).
MAX_LISTED = 200


def parse_period(text: str) -> tuple[int, int] | None:
    """``(year, month)`` from ``YYYY-MM``, or ``None``."""
    try:
        year, month = (int(part) for part in text.split("-"))
    except ValueError:
        return None
    return (year, month) if 2000 <= year <= 2999 and 1 <= month <= 12 and len(text) == 7 else None


def month_days(period: str) -> tuple[dt.date, dt.date]:
    """The first and last day of month ``YYYY-MM``."""
    year, month = parse_period(period) or (0, 0)
    first = dt.date(year, month, 1)
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def previous_period(period: str) -> str:
    first, _ = month_days(period)
    before = first - dt.timedelta(days=1)
    return f"{before.year:04d}-{before.month:02d}"


def next_period(today: dt.date) -> str:
    following = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return f"{following.year:04d}-{following.month:02d}"


def default_counts() -> dict[VisitType, int]:
    """Visits of each kind per hall and month, from the setting ``VISIT_PLAN_COUNTS``."""
    configured = setting("VISIT_PLAN_COUNTS", {"announced": 1, "unannounced": 1, "supervisor": 1})
    return {t: int(configured.get(t.value, 0)) for t in autoplan.CHANNELS}


@dataclass(frozen=True)
class MonthSettings:
    """What market asks the planner for."""

    period: str
    unit: Unit | None
    counts: Mapping[VisitType, int]
    #: The checklist version for each kind with a count above zero.
    checklists: Mapping[VisitType, ChecklistVersion]
    windows: int = 4
    seed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"counts": {t.value: n for t, n in self.counts.items()}, "windows": self.windows, "seed": self.seed,
                "checklists": {t.value: v.id for t, v in self.checklists.items()}}


def default_settings(session: Session, period: str, unit: Unit | None = None,
                     counts: Mapping[VisitType, int] | None = None, windows: int | None = None,
                     seed: int | None = None) -> MonthSettings:
    """Settings from the app's defaults where not given: counts ``VISIT_PLAN_COUNTS``, windows
    ``VISIT_PLAN_WINDOWS``, for each kind the newest version of the first checklist (by id) allowing it,
    and the month's own first draw."""
    checklists = {t: versions[0] for t in autoplan.CHANNELS if (versions := queries.newest_versions(session, t))}
    return MonthSettings(period, unit, dict(counts or default_counts()), checklists,
                         windows or int(setting("VISIT_PLAN_WINDOWS", 4)), first_draw(period) if seed is None else seed)


def first_draw(period: str) -> int:
    """The seed of a month's first proposal: asking twice for the same month gives the same proposal."""
    return int(period.replace("-", "")) if parse_period(period) else 0


def check_settings(session: Session, settings: MonthSettings) -> list[str]:
    """Every reason the planner cannot run with ``settings`` (an empty list: it can)."""
    problems = []
    if parse_period(settings.period) is None:
        return [_("Give the month as YYYY-MM.")]
    if month_days(settings.period)[1] < clock.today():
        problems.append(_("%(month)s is over: plan this month or a later one.", month=settings.period))
    if not 1 <= settings.windows <= MAX_WINDOWS:
        problems.append(_("Cut the month into 1 to %(n)d due windows.", n=MAX_WINDOWS))
    for visit_type, count in settings.counts.items():
        if not 0 <= count <= MAX_PER_HALL:
            problems.append(_("Give 0 to %(n)d visits of each kind.", n=MAX_PER_HALL))
            break
    if not any(settings.counts.values()):
        problems.append(_("Ask for at least one visit per hall."))
    for visit_type, count in settings.counts.items():
        version = settings.checklists.get(visit_type)
        if not count:
            continue
        if version is None:
            problems.append(_("Choose a checklist for %(kind)s.", kind=visit_type_label(visit_type)))
        elif visit_type not in version.definition.visit_types or \
                all(v.id != version.id for v in queries.newest_versions(session, visit_type)):
            problems.append(_("The checklist for %(kind)s must be the newest version of one that allows it.",
                              kind=visit_type_label(visit_type)))
    return problems


# --- gathering the month -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    """The month as the planner needs it, with the counts a proposal is checked against when saved."""

    request: autoplan.MonthRequest
    #: Visits of the month (not cancelled) to the halls in scope.
    existing_visits: int


def _unit_chains(session: Session) -> dict[int, frozenset[int]]:
    """For every unit id, the ids of the unit and all units above it."""
    parents: dict[int, int | None] = {unit_id: parent for unit_id, parent in session.execute(sa.select(Unit.id, Unit.parent_id))}
    chains: dict[int, frozenset[int]] = {}
    for unit_id in parents:
        chain: list[int] = []
        node: int | None = unit_id
        while node is not None and node not in chain:
            chain.append(node)
            node = parents.get(node)
        chains[unit_id] = frozenset(chain)
    return chains


def _scope_halls(settings: MonthSettings) -> sa.Select[tuple[int, int]]:
    query = sa.select(Hall.id, Hall.unit_id).where(Hall.active.is_(True)).order_by(Hall.code)
    if settings.unit is not None:
        tree = queries.unit_subtree([settings.unit.id])
        query = query.where(Hall.unit_id.in_(sa.select(tree.c.id)))
    return query


def _month_visits(period: str) -> sa.Select[Any]:
    # In a stated order: the planner places the visits already planned into windows one after the other.
    return sa.select(Visit.hall_id, Visit.type, Visit.supervisor_id, Visit.due_from).where(
        Visit.period == period, Visit.status != VisitStatus.CANCELLED).order_by(Visit.id)


def _pairs(query: sa.Select[Any], session: Session) -> list[tuple[int, int]]:
    return [(a, b) for a, b in session.execute(query)]


def gather(session: Session, settings: MonthSettings) -> Month:
    """Halls in scope with their unit chains, active supervisors with their units, the month's visits and
    last month's (supervisor, hall) pairs."""
    chains = _unit_chains(session)
    halls = [autoplan.PlanHall(hall_id, chains[unit_id]) for hall_id, unit_id in session.execute(_scope_halls(settings))]
    units: dict[int, set[int]] = {}
    for user_id, unit_id in session.execute(sa.select(user_unit.c.user_id, user_unit.c.unit_id)):
        units.setdefault(user_id, set()).add(unit_id)
    supervisors = [autoplan.PlanSupervisor(user_id, frozenset(units.get(user_id, ())), external)
                   for user_id, external in session.execute(
                       sa.select(User.id, User.external).where(User.role == Role.SUPERVISOR, User.active.is_(True))
                       .order_by(User.id))]
    existing = [autoplan.PlannedVisit(h, t, s, d) for h, t, s, d in session.execute(_month_visits(settings.period))]
    last = _pairs(sa.select(Visit.supervisor_id, Visit.hall_id).where(
        Visit.period == previous_period(settings.period), Visit.status != VisitStatus.CANCELLED), session)
    first, last_day = month_days(settings.period)
    in_scope = {h.id for h in halls}
    request = autoplan.MonthRequest(
        halls=halls, supervisors=supervisors, counts=dict(settings.counts), first_day=max(first, clock.today()),
        last_day=last_day, windows=settings.windows, last_month=frozenset(last), existing=existing, seed=settings.seed)
    return Month(request, sum(1 for v in existing if v.hall_id in in_scope))


# --- proposing ---------------------------------------------------------------------------------------


def propose(session: Session, actor: User | None, settings: MonthSettings) -> PlanProposal:
    """Run the planner for ``settings`` and keep its proposal for review. Open proposals of the same month
    and scope are discarded (the new one replaces them).

    :raise ValidationError: the settings cannot be planned with.
    """
    require_role(actor, Role.MARKET, because=planning.MARKET_ONLY)
    problems = check_settings(session, settings)
    if problems:
        raise ValidationError(_("The month could not be planned."), errors=problems)
    month = gather(session, settings)
    result = autoplan.plan_month(month.request)
    for older in session.scalars(sa.select(PlanProposal).where(
            PlanProposal.period == settings.period, PlanProposal.status == ProposalStatus.OPEN,
            PlanProposal.unit_id.is_(None) if settings.unit is None else PlanProposal.unit_id == settings.unit.id)):
        _decide(session, actor, older, ProposalStatus.DISCARDED, {"replaced": True})
    existing_loads = {s: existing for s, (existing, _) in result.loads.items() if existing}
    proposal = PlanProposal(
        uid=str(uuid.uuid4()), period=settings.period, unit=settings.unit, settings=settings.to_json(),
        snapshot={"existing_visits": month.existing_visits, "existing_loads": {str(k): v for k, v in existing_loads.items()},
                  "eligible": sorted(result.eligible), "shortfalls": [[s.hall_id, s.type.value, s.missing] for s in result.shortfalls],
                  "windows": [[a.isoformat(), b.isoformat()] for a, b in result.windows]},
        created_at=clock.now(), created_by_id=actor.id if actor else None,
    )
    session.add(proposal)
    session.flush()
    if result.assignments:
        session.execute(sa.insert(PlanProposalItem), [
            {"proposal_id": proposal.id, "hall_id": a.hall_id, "type": a.type, "supervisor_id": a.supervisor_id,
             "checklist_version_id": settings.checklists[a.type].id, "due_from": a.due_from, "due_until": a.due_until,
             "repeat": a.repeat, "double": a.double, "adjusted": False} for a in result.assignments])
    record(session, actor, "visit_plan.propose", "plan_proposal", proposal.uid, _label(proposal),
           {**settings.to_json(), "visits": len(result.assignments), "spread": result.spread,
            "repeats": result.repeats, "doubles": result.doubles,
            "shortfalls": sum(s.missing for s in result.shortfalls)})
    return proposal


def settings_of(session: Session, proposal: PlanProposal, seed: int | None = None) -> MonthSettings:
    """The settings ``proposal`` was made with (another ``seed``: another draw)."""
    return settings_from_json(session, proposal.period, proposal.unit, proposal.settings, seed)


def settings_from_json(session: Session, period: str, unit: Unit | None, stored: Mapping[str, Any],
                       seed: int | None = None) -> MonthSettings:
    """Settings back from :meth:`MonthSettings.to_json` (a stored proposal's, a background job's)."""
    versions = {VisitType(t): session.get(ChecklistVersion, i) for t, i in stored["checklists"].items()}
    return MonthSettings(period, unit, {VisitType(t): n for t, n in stored["counts"].items()},
                         {t: v for t, v in versions.items() if v is not None}, stored["windows"],
                         stored["seed"] if seed is None else seed)


def _label(proposal: PlanProposal) -> str:
    return f"{proposal.period} {proposal.unit.code if proposal.unit else '*'}"


def get_proposal(session: Session, uid: str) -> PlanProposal:
    """:raise NotFound: no proposal has this id."""
    proposal = session.scalar(sa.select(PlanProposal).where(PlanProposal.uid == uid)) if len(uid) == 36 else None
    if proposal is None:
        raise NotFound(_("This proposal does not exist."))
    return proposal


def check_open(proposal: PlanProposal, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != proposal.version:
        raise Conflict(_("Someone else changed this proposal after you opened it. Look at it again."))
    if proposal.status is ProposalStatus.SAVED:
        raise InvalidTransition(_("This proposal has already been saved."))
    if proposal.status is ProposalStatus.DISCARDED:
        raise InvalidTransition(_("This proposal was discarded or replaced by a newer one."))


def _decide(session: Session, actor: User | None, proposal: PlanProposal, status: ProposalStatus,
            details: dict[str, Any]) -> None:
    proposal.status, proposal.decided_at = status, clock.now()
    proposal.decided_by_id = actor.id if actor else None
    session.flush()
    record(session, actor, f"visit_plan.{'save' if status is ProposalStatus.SAVED else 'discard'}", "plan_proposal",
           proposal.uid, _label(proposal), details)


def discard(session: Session, actor: User | None, proposal: PlanProposal, expected_version: int | None) -> None:
    """Drop an open proposal (nothing was planned from it)."""
    require_role(actor, Role.MARKET, because=planning.MARKET_ONLY)
    check_open(proposal, expected_version)
    _decide(session, actor, proposal, ProposalStatus.DISCARDED, {})


# --- adjusting ---------------------------------------------------------------------------------------


def may_assign(supervisor: User, hall: Hall, visit_type: VisitType) -> bool:
    """The planner's rules for one assignment: an active supervisor who covers the hall and does that kind of visit."""
    return (supervisor.role is Role.SUPERVISOR and supervisor.active and queries.covers(supervisor, hall)
            and autoplan.may_do(supervisor.external, visit_type))


def adjust(session: Session, actor: User | None, proposal: PlanProposal, expected_version: int | None,
           changes: Mapping[int, int]) -> int:
    """Give proposed visits to other supervisors: ``changes`` maps item ids to supervisor ids.

    :return: how many items changed.
    :raise ValidationError: an item is not in the proposal or a supervisor may not take it (nothing changes).
    """
    require_role(actor, Role.MARKET, because=planning.MARKET_ONLY)
    check_open(proposal, expected_version)
    items = {item.id: item for item in proposal.items}
    people = {u.id: u for u in session.scalars(sa.select(User).where(User.id.in_(set(changes.values()))))}
    problems, changed = [], []
    for item_id, supervisor_id in changes.items():
        item, supervisor = items.get(item_id), people.get(supervisor_id)
        if item is None:
            problems.append(_("A changed visit is not part of this proposal. Reload the page."))
        elif supervisor is None or not may_assign(supervisor, item.hall, item.type):
            name = supervisor.display_name if supervisor else "?"
            problems.append(_("%(hall)s: %(name)s may not do this visit (coverage or kind of visit).",
                              hall=item.hall.code, name=name))
        elif supervisor_id != item.supervisor_id:
            changed.append((item, supervisor))
    if problems:
        raise ValidationError(_("Nothing was changed."), errors=problems)
    if not changed:
        return 0
    for item, supervisor in changed:
        record(session, actor, "visit_plan.adjust", "plan_proposal", proposal.uid, _label(proposal),
               {"hall": item.hall.code, "type": item.type, "supervisor": [item.supervisor.username, supervisor.username]})
        item.supervisor, item.supervisor_id, item.adjusted = supervisor, supervisor.id, True
    _refresh_flags(session, proposal, {item.hall_id for item, _ in changed})
    proposal.updated_at = clock.now()  # moves the version on (optimistic lock)
    session.flush()
    return len(changed)


def _refresh_flags(session: Session, proposal: PlanProposal, hall_ids: set[int]) -> None:
    """Recompute the repeat and double marks of the items of ``hall_ids`` after their supervisors changed."""
    last = set(_pairs(sa.select(Visit.supervisor_id, Visit.hall_id).where(
        Visit.period == previous_period(proposal.period), Visit.status != VisitStatus.CANCELLED,
        Visit.hall_id.in_(hall_ids)), session))
    pairs = Counter(_pairs(sa.select(Visit.hall_id, Visit.supervisor_id).where(
        Visit.period == proposal.period, Visit.status != VisitStatus.CANCELLED, Visit.hall_id.in_(hall_ids)), session))
    items = [item for item in proposal.items if item.hall_id in hall_ids]
    pairs.update((item.hall_id, item.supervisor_id) for item in items)
    for item in items:
        item.repeat = (item.supervisor_id, item.hall_id) in last
        item.double = pairs[item.hall_id, item.supervisor_id] > 1


# --- saving ------------------------------------------------------------------------------------------


def save(session: Session, actor: User | None, proposal: PlanProposal, expected_version: int | None) -> list[Visit]:
    """Plan every proposed visit, all or nothing, each through the rules and audit of hand planning.

    :raise Conflict: visits of the month (in the proposal's halls) were planned or cancelled since it was made.
    :raise ValidationError: listing every proposed visit the planning rules refuse now.
    """
    require_role(actor, Role.MARKET, because=planning.MARKET_ONLY)
    check_open(proposal, expected_version)
    # Claim the proposal first: the write serialises concurrent saves (SQLite locks the database,
    # PostgreSQL the row and, below, the halls), so the count that follows sees every committed plan.
    item_halls = set(session.scalars(sa.select(PlanProposalItem.hall_id).where(PlanProposalItem.proposal_id == proposal.id)))
    _decide(session, actor, proposal, ProposalStatus.SAVED, {"visits": session.scalar(
        sa.select(sa.func.count()).where(PlanProposalItem.proposal_id == proposal.id))})
    hall_ids = sorted(item_halls | _scope_hall_ids(session, proposal))
    session.execute(sa.select(Hall.id).where(Hall.id.in_(hall_ids)).order_by(Hall.id).with_for_update()).all()
    now_existing = session.scalar(sa.select(sa.func.count()).select_from(
        _month_visits(proposal.period).where(Visit.hall_id.in_(hall_ids)).subquery()))
    if now_existing != proposal.snapshot["existing_visits"]:
        raise Conflict(_("Visits of %(month)s were planned or cancelled since this proposal was made. Make a new "
                         "proposal: it plans only what is still missing.", month=proposal.period))
    visits, problems = [], []
    items = session.scalars(
        sa.select(PlanProposalItem).join(PlanProposalItem.hall).where(PlanProposalItem.proposal_id == proposal.id)
        .options(contains_eager(PlanProposalItem.hall), joinedload(PlanProposalItem.supervisor),
                 joinedload(PlanProposalItem.checklist_version))
        .order_by(Hall.code, PlanProposalItem.type, PlanProposalItem.due_from, PlanProposalItem.id)).all()
    # plan_visit flushes each visit itself; its rule checks need not flush the one before again.
    with session.no_autoflush:
        for item in items:
            plan = planning.Plan(item.hall, item.checklist_version, item.type, item.supervisor, item.due_from,
                                 item.due_until)
            try:
                item.visit = planning.plan_visit(session, actor, plan)
            except ValidationError as refused:
                problems.extend(f"{item.hall.code} {visit_type_label(item.type)}: {e}" for e in refused.errors)
                continue
            visits.append(item.visit)
    if problems:
        listed = problems[:MAX_LISTED] + ([_("… and %(n)d more problems.", n=len(problems) - MAX_LISTED)]
                                          if len(problems) > MAX_LISTED else [])
        raise ValidationError(_("Nothing was planned: %(n)d proposed visits break the planning rules now.",
                                n=len(problems)), errors=listed)
    session.flush()
    return visits


def _scope_hall_ids(session: Session, proposal: PlanProposal) -> set[int]:
    settings = MonthSettings(proposal.period, proposal.unit, {}, {})
    return {hall_id for hall_id, _ in session.execute(_scope_halls(settings))}


# --- reviewing ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    supervisor: User
    existing: int
    new: int
    repeats: int
    eligible: bool

    @property
    def total(self) -> int:
        return self.existing + self.new


@dataclass(frozen=True)
class Review:
    """What the review page shows besides the list of proposed visits."""

    loads: list[Load]
    visits: int
    halls: int
    repeats: int
    doubles: int
    adjusted: int
    #: ``(hall, kind, missing)``: visits nobody may do.
    shortfalls: list[tuple[Hall, VisitType, int]]
    windows: list[tuple[dt.date, dt.date]]

    @property
    def spread(self) -> int:
        totals = [load.total for load in self.loads if load.eligible]
        return max(totals) - min(totals) if totals else 0


def review(session: Session, proposal: PlanProposal) -> Review:
    """Loads per supervisor (as proposed now, adjustments included), counts and warnings."""
    snapshot = proposal.snapshot
    existing = {int(k): v for k, v in snapshot["existing_loads"].items()}
    eligible = set(snapshot["eligible"])
    rows = session.execute(
        sa.select(PlanProposalItem.supervisor_id, sa.func.count(), sa.func.sum(sa.case((PlanProposalItem.repeat, 1), else_=0)))
        .where(PlanProposalItem.proposal_id == proposal.id).group_by(PlanProposalItem.supervisor_id)).all()
    new = {s: (n, int(r or 0)) for s, n, r in rows}
    ids = set(existing) | set(new) | eligible
    people = {u.id: u for u in session.scalars(sa.select(User).where(User.id.in_(ids)))} if ids else {}
    loads = sorted((Load(people[i], existing.get(i, 0), new.get(i, (0, 0))[0], new.get(i, (0, 0))[1], i in eligible)
                    for i in ids if i in people), key=lambda load: (-load.total, load.supervisor.display_name))
    counts = session.execute(
        sa.select(sa.func.count(), sa.func.count(sa.distinct(PlanProposalItem.hall_id)),
                  sa.func.sum(sa.case((PlanProposalItem.repeat, 1), else_=0)),
                  sa.func.sum(sa.case((PlanProposalItem.double, 1), else_=0)),
                  sa.func.sum(sa.case((PlanProposalItem.adjusted, 1), else_=0)))
        .where(PlanProposalItem.proposal_id == proposal.id)).one()
    short_halls = {h.id: h for h in session.scalars(sa.select(Hall).where(
        Hall.id.in_([s[0] for s in snapshot["shortfalls"]])))} if snapshot["shortfalls"] else {}
    shortfalls = [(short_halls[h], VisitType(t), n) for h, t, n in snapshot["shortfalls"] if h in short_halls]
    windows = [(dt.date.fromisoformat(a), dt.date.fromisoformat(b)) for a, b in snapshot["windows"]]
    return Review(loads, counts[0], counts[1], int(counts[2] or 0), int(counts[3] or 0), int(counts[4] or 0),
                  sorted(shortfalls, key=lambda s: (s[0].code, autoplan.CHANNELS.index(s[1]))), windows)


def item_query(proposal: PlanProposal, unit_id: int | None = None, supervisor_id: int | None = None,
               flagged: bool = False) -> sa.Select[tuple[PlanProposalItem]]:
    """The proposal's visits by hall code and kind, narrowed to a unit (and below), a supervisor, or
    those marked as repeats, doubles or adjusted."""
    query = (sa.select(PlanProposalItem).join(PlanProposalItem.hall)
             .where(PlanProposalItem.proposal_id == proposal.id)
             .order_by(Hall.code, PlanProposalItem.type, PlanProposalItem.due_from, PlanProposalItem.id))
    if unit_id is not None:
        tree = queries.unit_subtree([unit_id])
        query = query.where(Hall.unit_id.in_(sa.select(tree.c.id)))
    if supervisor_id is not None:
        query = query.where(PlanProposalItem.supervisor_id == supervisor_id)
    if flagged:
        query = query.where(sa.or_(PlanProposalItem.repeat, PlanProposalItem.double, PlanProposalItem.adjusted))
    return query


def candidates(session: Session, item: PlanProposalItem) -> list[User]:
    """The supervisors ``item`` may be given to (the planner's rules), by name."""
    return [u for u in queries.supervisors_for_hall(session, item.hall) if autoplan.may_do(u.external, item.type)]


def open_proposals(session: Session) -> list[PlanProposal]:
    return list(session.scalars(sa.select(PlanProposal).where(PlanProposal.status == ProposalStatus.OPEN)
                                .order_by(PlanProposal.period, PlanProposal.created_at.desc(), PlanProposal.id.desc())))


display.register_actions({
    "visit_plan.propose": _l("Month plan proposed"), "visit_plan.adjust": _l("Month plan adjusted"),
    "visit_plan.save": _l("Month plan saved"), "visit_plan.discard": _l("Month plan discarded"),
})
display.register_object("plan_proposal", _l("Month plan"))
display.register_fields({"counts": _l("Visits per kind"), "windows": _l("Time windows"), "seed": _l("Random seed"), "checklists": _l("Checklists"), "spread": _l("Spread"), "repeats": _l("Repeated halls"), "doubles": _l("Two visits in a week"), "shortfalls": _l("Shortfalls"), "replaced": _l("Replaced by a new proposal")})
