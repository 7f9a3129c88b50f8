"""Staff (营业员) over time: the validated visits that named each employee, their findings and commendations,
服务之星 (service star) history and the star level (星级) the policy's ``[policy.stars]`` rule gives.

- A visit **names** an employee when the supervisor recorded their job number as served.
- **Findings**: failed answers in the visits naming them; a **commendation**: a visit naming them with no failed
  answer (and not a red line).
- **服务之星**: the months whose published notice lists them as a service star.
- **Star level**: :meth:`StarRules.level` over the visits naming them in the rolling window of months ending
  with the month shown (a red-line visit scores 0; a visit with nothing possible has no score and does not count).

Visit scores add up exactly as the assessment's do: one SQL statement groups the naming visits by employee, month
and possible points (count, Σ earned, red lines, failed answers), and the divisions happen on fractions here.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveyapp.assessment import services as assessment
from surveyapp.assessment.queries import counted_visits
from surveyapp.assessment.stars_policy import StarRules
from surveyapp.notices.models import Notice, NoticeRevision
from surveyapp.org.models import Hall, Staff
from surveyapp.visits.models import Answer, Visit, visit_staff


@dataclass
class Month:
    """An employee's named visits of one month."""

    visits: int = 0
    #: Visits with a score, and the sum of their scores (exact).
    scored: int = 0
    total: Fraction = Fraction(0)
    findings: int = 0
    commendations: int = 0
    redline_visits: int = 0

    @property
    def mean(self) -> Fraction | None:
        return self.total / self.scored if self.scored else None


@dataclass
class Record:
    """One employee's months (period → :class:`Month`)."""

    staff_id: int
    months: dict[str, Month] = field(default_factory=lambda: defaultdict(Month))

    def window(self, periods: list[str]) -> tuple[int, Fraction | None]:
        """Scored visits and their mean score over ``periods``."""
        scored = sum(self.months[p].scored for p in periods if p in self.months)
        total = sum((self.months[p].total for p in periods if p in self.months), Fraction(0))
        return scored, (total / scored if scored else None)


def records(session: Session, periods: list[str], staff_ids: list[int] | None = None) -> dict[int, Record]:
    """The named visits of ``periods`` per employee (only ``staff_ids`` when given)."""
    possible = sa.func.coalesce(Visit.possible, 0)
    failed = (sa.select(sa.func.count()).select_from(Answer)
              .where(Answer.visit_id == Visit.id, Answer.failed.is_(True)).scalar_subquery())
    query = (
        sa.select(visit_staff.c.staff_id, Visit.period, possible, Visit.redline, sa.func.count(),
                  sa.cast(sa.func.coalesce(sa.func.sum(Visit.earned), 0), sa.BigInteger),
                  sa.func.coalesce(sa.func.sum(failed), 0),
                  sa.func.sum(sa.case((failed == 0, 1), else_=0)))
        .select_from(visit_staff).join(Visit, Visit.id == visit_staff.c.visit_id)
        .where(counted_visits(periods, None))
        .group_by(visit_staff.c.staff_id, Visit.period, possible, Visit.redline)
    )
    if staff_ids is not None:
        query = query.where(visit_staff.c.staff_id.in_(staff_ids))
    out: dict[int, Record] = {}
    for staff_id, period, points, redline, count, earned, findings, clean in session.execute(query):
        month = out.setdefault(staff_id, Record(staff_id)).months[period]
        month.visits += count
        month.findings += int(findings or 0)
        if redline:
            month.redline_visits += count
        else:
            month.commendations += int(clean or 0)
        if points:
            month.scored += count
            # Every visit of the group has the same possible points: Σ(100·e/p) = 100·Σe/p (red lines score 0).
            month.total += 0 if redline else Fraction(100 * int(earned), points)
    return out


def star_levels(session: Session, period: str, rules: StarRules,
                staff_ids: list[int] | None = None) -> dict[int, tuple[int | None, int, Fraction | None]]:
    """Per employee with named visits in the window ending with ``period``: (stars or ``None``, scored visits,
    mean score)."""
    window = [assessment.shift_period(period, -n) for n in range(rules.months)]
    out = {}
    for staff_id, record in records(session, window, staff_ids).items():
        scored, mean = record.window(window)
        out[staff_id] = (rules.level(scored, mean), scored, mean)
    return out


def star_history(session: Session, job_number: str) -> list[str]:
    """The months (newest first) whose newest published notice names the employee a service star."""
    newest = (sa.select(NoticeRevision.notice_id, sa.func.max(NoticeRevision.number).label("number"))
              .group_by(NoticeRevision.notice_id).subquery())
    revisions = session.scalars(
        sa.select(NoticeRevision).join(newest, sa.and_(newest.c.notice_id == NoticeRevision.notice_id,
                                                       newest.c.number == NoticeRevision.number))
        .join(Notice, Notice.id == NoticeRevision.notice_id).order_by(Notice.period.desc()))
    return [r.period for r in revisions if any(s["job_number"] == job_number for s in r.snapshot.get("stars", []))]


@dataclass(frozen=True)
class History:
    """One employee's page: their months, oldest first, with the star level at the end of each."""

    staff: Staff
    periods: tuple[str, ...]
    months: dict[str, Month]
    levels: dict[str, tuple[int | None, int, Fraction | None]]
    stars: tuple[str, ...]


def history(session: Session, staff: Staff, period: str, rules: StarRules, count: int = 12) -> History:
    """The ``count`` months ending with ``period`` for ``staff``, and the star level at the end of each month."""
    period = assessment.parse_period(period)
    periods = [assessment.shift_period(period, n - count + 1) for n in range(count)]
    reach = [assessment.shift_period(periods[0], -n) for n in range(1, rules.months)] + periods
    record = records(session, reach, [staff.id]).get(staff.id, Record(staff.id))
    levels = {}
    for p in periods:
        window = [assessment.shift_period(p, -n) for n in range(rules.months)]
        scored, mean = record.window(window)
        levels[p] = (rules.level(scored, mean), scored, mean)
    return History(staff, tuple(periods), {p: record.months[p] for p in periods if p in record.months}, levels,
                   tuple(star_history(session, staff.job_number)))


def staff_query(hall_ids: list[int] | None) -> sa.Select[tuple[Staff]]:
    """Active staff (of ``hall_ids`` when given), by hall code then job number."""
    query = sa.select(Staff).join(Staff.hall).where(Staff.active.is_(True)).order_by(Hall.code, Staff.job_number)
    return query if hall_ids is None else query.where(Staff.hall_id.in_(hall_ids))
