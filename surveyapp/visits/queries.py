"""Reading visits: who may see which visit, the lists' filters, and which supervisors cover which halls.

Every read of a visit by a person goes through :func:`get_visit` (one place decides, and a visit one may
not see is reported exactly like a missing one); every hall-facing list starts from
:func:`visible_to_hall_manager`.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from surveyapp.auth.models import Role, User, user_hall, user_unit
from surveyapp.checklists.definition import VisitType
from surveyapp.checklists.models import Checklist, ChecklistVersion
from surveyapp.db import get_visible
from surveyapp.org.models import Hall, Unit
from surveyapp.visits.flags import FLAGS
from surveyapp.visits.models import Answer, Photo, Visit, VisitFlag, VisitRevision, VisitStatus

# --- the organisation: which supervisor covers which hall -------------------------------------------


def unit_subtree(unit_ids: Iterable[int] | sa.Select[tuple[int]]) -> sa.CTE:
    """A recursive CTE (column ``id``) of the given units (ids, or a query of ids) and every unit below them."""
    roots = unit_ids if isinstance(unit_ids, sa.Select) else list(unit_ids)
    tree = sa.select(Unit.id).where(Unit.id.in_(roots)).cte("unit_subtree", recursive=True)
    return tree.union(sa.select(Unit.id).where(Unit.parent_id == tree.c.id))


def unit_ancestry(unit: Unit) -> list[int]:
    """The ids of ``unit`` and of every unit above it, nearest first."""
    ids: list[int] = []
    current: Unit | None = unit
    while current is not None and current.id not in ids:
        ids.append(current.id)
        current = current.parent
    return ids


def covers(supervisor: User, hall: Hall) -> bool:
    """Whether ``supervisor`` covers the hall's unit (``User.units`` include every unit below them)."""
    return bool({u.id for u in supervisor.units} & set(unit_ancestry(hall.unit)))


def supervisors_for_hall(session: Session, hall: Hall) -> list[User]:
    """Active supervisors who cover ``hall``, by display name."""
    return list(session.scalars(
        sa.select(User).join(user_unit, user_unit.c.user_id == User.id)
        .where(User.role == Role.SUPERVISOR, User.active.is_(True), user_unit.c.unit_id.in_(unit_ancestry(hall.unit)))
        .distinct().order_by(User.display_name, User.id)
    ))


def halls_covered_by(supervisor: User) -> sa.Select[tuple[Hall]]:
    """The active halls in the units ``supervisor`` covers (a query, so callers can filter further)."""
    tree = unit_subtree(sa.select(user_unit.c.unit_id).where(user_unit.c.user_id == supervisor.id))
    return sa.select(Hall).where(Hall.active.is_(True), Hall.unit_id.in_(sa.select(tree.c.id))).order_by(Hall.code)


def active_supervisors(session: Session) -> list[User]:
    return list(session.scalars(sa.select(User).where(User.role == Role.SUPERVISOR, User.active.is_(True))
                                .order_by(User.display_name, User.id)))


# --- checklists a visit may use ---------------------------------------------------------------------


def newest_versions(session: Session, visit_type: VisitType | str | None = None) -> list[ChecklistVersion]:
    """The newest version of each checklist, limited to those whose ``visit_types`` allow ``visit_type``."""
    newest = (sa.select(ChecklistVersion.checklist_id, sa.func.max(ChecklistVersion.version).label("version"))
              .group_by(ChecklistVersion.checklist_id).subquery())
    versions = session.scalars(
        sa.select(ChecklistVersion).join(newest, sa.and_(ChecklistVersion.checklist_id == newest.c.checklist_id,
                                                         ChecklistVersion.version == newest.c.version))
        .join(ChecklistVersion.checklist).order_by(Checklist.slug)
    )
    wanted = None if visit_type is None else VisitType(visit_type)
    return [v for v in versions if wanted is None or wanted in v.definition.visit_types]


# --- who sees which visit ---------------------------------------------------------------------------


def hall_visibility(user: User) -> sa.ColumnElement[bool]:
    """The condition a visit meets to be shown to hall manager ``user``: one of their halls, validated and
    released. Join it into any hall-facing query (feedback, notices) so the rule lives here only."""
    own_halls = sa.select(user_hall.c.hall_id).where(user_hall.c.user_id == user.id)
    return sa.and_(Visit.hall_id.in_(own_halls), Visit.status == VisitStatus.VALIDATED, Visit.released_at.is_not(None))


def visible_to_hall_manager(user: User) -> sa.Select[tuple[Visit]]:
    """The visits hall manager ``user`` may see, newest first. Never shows planned, unvalidated or unreleased
    visits; templates must still hide the supervisor of confidential visits (:func:`supervisor_for_hall`)."""
    return (sa.select(Visit).where(hall_visibility(user)).options(selectinload(Visit.hall), selectinload(Visit.supervisor))
            .order_by(Visit.visited_at.desc(), Visit.id.desc()))


def supervisor_for_hall(visit: Visit) -> User | None:
    """The supervisor a hall may be told about: nobody for unannounced and social-supervisor visits."""
    return None if visit.confidential else visit.supervisor


def _visible(user: User) -> sa.ColumnElement[bool] | None:
    """The condition for the visits ``user`` may open at all, or ``None`` for none."""
    if user.role is Role.MARKET:
        return sa.true()
    if user.role is Role.SUPERVISOR:
        return Visit.supervisor_id == user.id
    if user.role is Role.HALL_MANAGER:
        return hall_visibility(user)
    return None


def get_visit(session: Session, user: User, uid: str, *, for_update: bool = False) -> Visit:
    """The visit with public id ``uid`` if ``user`` may see it.

    :raise NotFound: the same for a visit that does not exist and for one ``user`` may not see.
    """
    return get_visible(session, Visit, uid, _visible(user), _("This visit does not exist, or you may not see it."),
                       for_update=for_update)


def read_answers(session: Session, visit: Visit) -> None:
    """Read ``visit.answers`` with each answer's checklist item in one query (a page that shows them would
    otherwise read each item by a query of its own: 45 on a visit's page)."""
    answers = session.scalars(sa.select(Answer).where(Answer.visit_id == visit.id)
                              .options(joinedload(Answer.item)).order_by(Answer.id)).all()
    set_committed_value(visit, "answers", list(answers))


def get_photo(session: Session, user: User, uid: str) -> Photo:
    """A photo of a visit ``user`` may see; hall managers see only photos still attached to the visit.

    :raise NotFound: as for a missing photo.
    """
    condition = _visible(user)
    if condition is not None and user.role is Role.HALL_MANAGER:
        condition = sa.and_(condition, Photo.removed_at.is_(None))
    return get_visible(session, Photo, uid, condition, _("This photo does not exist, or you may not see it."),
                       join=Photo.visit)


# --- the market department's list --------------------------------------------------------------------


@dataclass(frozen=True)
class VisitFilter:
    """The filters of the visit list; ``None`` means "any"."""

    unit_id: int | None = None
    hall_id: int | None = None
    type: VisitType | None = None
    supervisor_id: int | None = None
    status: VisitStatus | None = None
    #: ``YYYY-MM``: that month; with ``since``, the months from ``since`` to it.
    period: str | None = None
    #: ``YYYY-MM``: this month and the ones after it (a supervisor's calibration window links here).
    since: str | None = None
    #: Visits with an evidence flag of this kind (:mod:`surveyapp.visits.flags`), or of any kind (``ANY_FLAG``).
    flag: str | None = None


ANY_FLAG = "any"


def filtered(query: sa.Select[tuple[Visit]], f: VisitFilter) -> sa.Select[tuple[Visit]]:
    """``query`` (of visits) narrowed by every filter that is set."""
    if f.unit_id is not None:
        tree = unit_subtree([f.unit_id])
        query = query.where(Visit.hall_id.in_(sa.select(Hall.id).where(Hall.unit_id.in_(sa.select(tree.c.id)))))
    if f.hall_id is not None:
        query = query.where(Visit.hall_id == f.hall_id)
    if f.type is not None:
        query = query.where(Visit.type == f.type)
    if f.supervisor_id is not None:
        query = query.where(Visit.supervisor_id == f.supervisor_id)
    if f.status is not None:
        query = query.where(Visit.status == f.status)
    if f.period is not None:
        query = query.where(Visit.period <= f.period if f.since is not None else Visit.period == f.period)
    if f.since is not None:
        query = query.where(Visit.period >= f.since)
    if f.flag is not None:
        flagged = sa.select(VisitFlag.id).where(VisitFlag.visit_id == Visit.id)
        query = query.where((flagged if f.flag == ANY_FLAG else flagged.where(VisitFlag.kind == f.flag)).exists())
    return query


def flag_counts(session: Session, visit_ids: Iterable[int]) -> dict[int, int]:
    """Visit id → number of evidence flags, for the visits that have any."""
    ids = list(visit_ids)
    if not ids:
        return {}
    return dict(session.execute(sa.select(VisitFlag.visit_id, sa.func.count()).where(VisitFlag.visit_id.in_(ids))
                                .group_by(VisitFlag.visit_id)).all())


def visit_flags(session: Session, visit: Visit) -> list[VisitFlag]:
    """The visit's evidence flags in the order of :data:`surveyapp.visits.flags.FLAGS`, the other visit loaded."""
    order = {k: n for n, k in enumerate(FLAGS)}
    rows = session.scalars(sa.select(VisitFlag).where(VisitFlag.visit_id == visit.id)
                           .options(selectinload(VisitFlag.other_visit).selectinload(Visit.hall))).all()
    return sorted(rows, key=lambda f: (order.get(f.kind, len(order)), f.item_key or "", f.id))


#: What a list row shows of a visit, loaded with the page (not one query per row).
LIST_OPTIONS = (selectinload(Visit.hall), selectinload(Visit.supervisor),
                selectinload(Visit.revisions).load_only(VisitRevision.number))


def market_list(f: VisitFilter) -> sa.Select[tuple[Visit]]:
    """Every visit matching ``f``: the newest month first, then by due date and hall."""
    return filtered(sa.select(Visit).join(Visit.hall), f).options(*LIST_OPTIONS).order_by(
        Visit.period.desc(), Visit.due_from.desc(), Hall.code, Visit.id.desc())


def validation_queue(f: VisitFilter) -> sa.Select[tuple[Visit]]:
    """Submitted visits waiting for validation, the longest waiting first."""
    query = filtered(sa.select(Visit), VisitFilter(**{**f.__dict__, "status": VisitStatus.SUBMITTED}))
    return query.options(*LIST_OPTIONS).order_by(Visit.received_at, Visit.id)


def validated_unreleased(period: str, unit_id: int | None = None) -> sa.Select[tuple[Visit]]:
    """Validated visits of month ``period`` (in ``unit_id`` and below) that hall roles cannot see yet:
    what publishing the month's notice releases (:func:`surveyapp.visits.services.release_visits`)."""
    query = filtered(sa.select(Visit), VisitFilter(unit_id=unit_id, period=period, status=VisitStatus.VALIDATED))
    return query.where(Visit.released_at.is_(None)).order_by(Visit.id)


# --- the supervisor's own visits ---------------------------------------------------------------------


def own_visits(supervisor: User, statuses: Iterable[VisitStatus]) -> sa.Select[tuple[Visit]]:
    """The supervisor's visits in ``statuses``, the soonest due first."""
    return (sa.select(Visit).where(Visit.supervisor_id == supervisor.id, Visit.status.in_(list(statuses)))
            .options(selectinload(Visit.hall)).order_by(Visit.due_until.is_(None), Visit.due_until, Visit.id))


def recent_submissions(supervisor: User, limit: int = 10) -> sa.Select[tuple[Visit]]:
    """The supervisor's latest submitted, validated or rejected visits, the newest first."""
    done = [VisitStatus.SUBMITTED, VisitStatus.VALIDATED, VisitStatus.REJECTED]
    return (sa.select(Visit).where(Visit.supervisor_id == supervisor.id, Visit.status.in_(done))
            .options(selectinload(Visit.hall)).order_by(Visit.received_at.desc(), Visit.id.desc()).limit(limit))
