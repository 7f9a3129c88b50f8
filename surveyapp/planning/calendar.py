"""The month as a calendar: which visits fall on which day, with the visit list's filters.

A visit sits on one day: the day it took place (company time) once started, otherwise the last day of its
due window (when it is due). Planned visits also count as "open" on every day of their window.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveyapp.auth.models import User
from surveyapp.checklists.definition import VisitType
from surveyapp.org.models import Hall
from surveyapp.visits import queries
from surveyapp.visits.models import Visit, VisitStatus


def start_of(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """Midnight at the start of ``day`` in ``zone``, as UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


@dataclass(frozen=True)
class Entry:
    """A visit as the calendar shows it."""

    uid: str
    hall_code: str
    hall_name: str
    type: VisitType
    status: VisitStatus
    supervisor: str
    visited_at: dt.datetime | None
    due_from: dt.date | None
    due_until: dt.date | None

    def day(self, zone: ZoneInfo) -> dt.date | None:
        """The day it sits on: when it took place, else the end of its due window."""
        if self.visited_at is not None:
            return self.visited_at.astimezone(zone).date()
        return self.due_until

    def overdue(self, today: dt.date) -> bool:
        return self.status is VisitStatus.PLANNED and self.due_until is not None and self.due_until < today


def weeks(first: dt.date, last: dt.date) -> list[list[dt.date]]:
    """Monday-to-Sunday weeks covering ``first``..``last``."""
    day = first - dt.timedelta(days=first.weekday())
    out: list[list[dt.date]] = []
    while day <= last:
        out.append([day + dt.timedelta(days=i) for i in range(7)])
        day += dt.timedelta(days=7)
    return out


def on_days(f: queries.VisitFilter, first: dt.date, last: dt.date, zone: ZoneInfo) -> sa.Select[tuple[Visit]]:
    """The visits matching ``f`` (its month aside) that sit on a day from ``first`` to ``last``, by hall.
    Cancelled visits only when ``f`` asks for them."""
    placed = sa.or_(
        sa.and_(Visit.visited_at >= start_of(first, zone), Visit.visited_at < start_of(last + dt.timedelta(days=1), zone)),
        sa.and_(Visit.visited_at.is_(None), Visit.due_until >= first, Visit.due_until <= last),
    )
    query = queries.filtered(sa.select(Visit).join(Visit.hall), queries.VisitFilter(**{**f.__dict__, "period": None}))
    if f.status is None:
        query = query.where(Visit.status != VisitStatus.CANCELLED)
    return query.where(placed).order_by(Hall.code, Visit.id)


def entries(session: Session, query: sa.Select[tuple[Visit]]) -> list[Entry]:
    """The calendar's view of the visits ``query`` selects (plain rows: a month may hold thousands)."""
    rows = session.execute(query.join(Visit.supervisor).with_only_columns(
        Visit.uid, Hall.code, Hall.name, Visit.type, Visit.status, User.display_name, Visit.visited_at,
        Visit.due_from, Visit.due_until))
    return [Entry(*row) for row in rows]


def open_days(session: Session, f: queries.VisitFilter, first: dt.date, last: dt.date) -> Counter[dt.date]:
    """For each day, how many planned visits (matching ``f``) may be done that day (their window covers it)."""
    if f.status not in (None, VisitStatus.PLANNED):
        return Counter()
    query = queries.filtered(sa.select(Visit.due_from, Visit.due_until),
                             queries.VisitFilter(**{**f.__dict__, "period": None, "status": VisitStatus.PLANNED}))
    rows = session.execute(query.where(Visit.due_from <= last, Visit.due_until >= first))
    counts: Counter[dt.date] = Counter()
    for due_from, due_until in rows:
        day = max(due_from, first)
        while day <= min(due_until, last):
            counts[day] += 1
            day += dt.timedelta(days=1)
    return counts


@dataclass(frozen=True)
class Day:
    date: dt.date
    in_month: bool
    entries: Sequence[Entry]
    #: Planned visits whose due window covers the day.
    open: int


def month(session: Session, f: queries.VisitFilter, first: dt.date, last: dt.date, zone: ZoneInfo) -> list[list[Day]]:
    """The calendar of ``first``..``last`` (a month) as weeks of days with their visits, those that took
    place by time, the others by hall."""
    by_day: dict[dt.date, list[Entry]] = {}
    for entry in entries(session, on_days(f, first, last, zone)):
        by_day.setdefault(entry.day(zone), []).append(entry)  # type: ignore[arg-type]
    for day_entries in by_day.values():
        day_entries.sort(key=lambda e: (e.visited_at is None, e.visited_at or dt.datetime.min.replace(tzinfo=dt.UTC)))
    counts = open_days(session, f, first, last)
    return [[Day(day, first <= day <= last, by_day.get(day, ()), counts[day]) for day in week]
            for week in weeks(first, last)]


def totals(days: Iterable[Iterable[Day]]) -> Counter[VisitStatus]:
    """Visits on the calendar by status."""
    return Counter(e.status for week in days for day in week for e in day.entries)
