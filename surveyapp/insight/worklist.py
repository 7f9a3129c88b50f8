"""The market department's work list: what waits for it today and how far the month's visits have come.

Every count is taken with the query of the list it links to, so a number and the list behind it agree.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveyapp.auth.models import User
from surveyapp.checklists.definition import VisitType
from surveyapp.feedback import queries as findings
from surveyapp.org.models import Hall, Unit
from surveyapp.visits import queries as visits
from surveyapp.visits.models import Visit, VisitStatus

#: A visit "done" for the month's progress: it took place and was sent in (rejected ones must be redone).
DONE = (VisitStatus.SUBMITTED, VisitStatus.VALIDATED)


@dataclass(frozen=True)
class Progress:
    """Visits of the month done against planned (cancelled ones left out), for a channel or a unit."""

    key: Any  # a VisitType or a Unit
    done: int
    planned: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.planned) if self.planned else 0


@dataclass(frozen=True)
class Worklist:
    waiting: int
    #: When the longest-waiting submitted visit arrived (``None``: nothing waits).
    oldest_received: dt.datetime | None
    appeals: int
    rectified: int
    overdue: int
    period: str
    by_channel: list[Progress]
    by_unit: list[Progress]

    @property
    def total(self) -> Progress:
        return Progress(None, sum(p.done for p in self.by_channel), sum(p.planned for p in self.by_channel))


def _count(session: Session, query: sa.Select[Any]) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0


def _progress(session: Session, period: str, column: Any) -> list[tuple[Any, int, int]]:
    done = sa.func.sum(sa.case((Visit.status.in_(DONE), 1), else_=0))
    rows = session.execute(
        sa.select(column, done, sa.func.count()).join(Visit.hall)
        .where(Visit.period == period, Visit.status != VisitStatus.CANCELLED).group_by(column))
    return [(key, int(d or 0), n) for key, d, n in rows]


def market_worklist(session: Session, user: User, today: dt.date, period: str) -> Worklist:
    """The counts of the market home page for ``user`` on ``today``, the progress of month ``period``."""
    queue = visits.validation_queue(visits.VisitFilter())
    oldest = session.scalar(queue.with_only_columns(Visit.received_at).limit(1))

    def shown(show: str) -> int:
        return _count(session, findings.findings(user, findings.FindingFilter(show=show), today))

    channels = {VisitType(k): (d, n) for k, d, n in _progress(session, period, Visit.type)}
    units_done = _progress(session, period, Hall.unit_id)
    units = {u.id: u for u in session.scalars(sa.select(Unit).where(Unit.id.in_([k for k, _, _ in units_done])))}
    return Worklist(
        waiting=_count(session, queue), oldest_received=oldest,
        appeals=shown("appeals"), rectified=shown("rectified"), overdue=shown("overdue"), period=period,
        by_channel=[Progress(t, *channels[t]) for t in VisitType if t in channels],
        by_unit=sorted((Progress(units[k], d, n) for k, d, n in units_done), key=lambda p: p.key.code),
    )
