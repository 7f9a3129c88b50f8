"""Reads of the notices: published revisions, a hall's line in one, and the month's service stars (服务之星)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveyapp.assessment.queries import counted_visits
from surveyapp.checklists.models import ChecklistItem
from surveyapp.notices import sources
from surveyapp.notices.models import Notice, NoticeRevision
from surveyapp.org.models import Hall, Staff, Unit
from surveyapp.visits.models import Answer, Photo, Visit, visit_staff

#: Validated visits a member of staff must be named in to be a service star (issue 5).
STAR_MIN_VISITS = 2


def settled_findings(session: Session, hall_code: str, period: str) -> set[str]:
    """The hall's findings of ``period`` that need nothing more from it (rectified and verified, or withdrawn
    after an appeal), as typical-case ids (``visit uid:item key``): a hall's letter leaves them out."""
    return settled_findings_of(session, [hall_code], period).get(hall_code, set())


def settled_findings_of(session: Session, hall_codes: Collection[str], period: str) -> dict[str, set[str]]:
    """:func:`settled_findings` of several halls in one query, by hall code (halls with none left out)."""
    return sources.settled_findings(session, hall_codes, period)


def get_notice(session: Session, period: str) -> Notice | None:
    return session.scalar(sa.select(Notice).where(Notice.period == period))


def latest_revision(session: Session, period: str) -> NoticeRevision | None:
    """The newest published revision of the month's notice, or ``None`` if nothing is published."""
    return session.scalar(
        sa.select(NoticeRevision).join(NoticeRevision.notice).where(Notice.period == period)
        .order_by(NoticeRevision.number.desc()).limit(1))


def published_revisions(session: Session) -> list[NoticeRevision]:
    """Every published revision of every month, newest month first, then newest revision first."""
    return list(session.scalars(
        sa.select(NoticeRevision).join(NoticeRevision.notice)
        .order_by(Notice.period.desc(), NoticeRevision.number.desc())))


def hall_line(revision: NoticeRevision, hall_id_or_code: int | str) -> dict[str, Any] | None:
    """The hall's line (``HallResult.to_json()``) in the revision's frozen results, by hall id or code."""
    key = "hall_id" if isinstance(hall_id_or_code, int) else "code"
    return next((h for h in revision.snapshot["results"]["halls"] if h[key] == hall_id_or_code), None)


@dataclass(frozen=True)
class Star:
    """A member of staff whose validated visits of the month scored best (服务之星)."""

    job_number: str
    name: str
    hall_code: str
    hall_name: str
    unit_name: str
    #: Validated visits naming them, and the mean score of those (exact).
    visits: int
    mean_score: Fraction

    def to_json(self) -> dict[str, Any]:
        return {"job_number": self.job_number, "name": self.name, "hall_code": self.hall_code,
                "hall_name": self.hall_name, "unit_name": self.unit_name, "visits": self.visits,
                "mean_score": str(self.mean_score)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Star:
        return cls(**{**data, "mean_score": Fraction(data["mean_score"])})


def service_stars(session: Session, period: str, unit_id: int | None = None) -> list[Star]:
    """服务之星: staff named in at least :data:`STAR_MIN_VISITS` validated visits of the month, none of them a
    red-line visit, with the highest mean visit score; everyone sharing that mean is a star (by job number).

    One SQL statement groups the visits naming each member of staff by their possible points (count, Σ earned,
    red lines), as the assessment does for halls, so the mean is exact without reading any answer.
    A visit with nothing possible (no score) counts as a naming but not in the mean.
    """
    possible = sa.func.coalesce(Visit.possible, 0)
    rows = session.execute(
        sa.select(visit_staff.c.staff_id, possible, sa.func.count(),
                  sa.cast(sa.func.coalesce(sa.func.sum(Visit.earned), 0), sa.BigInteger),
                  sa.func.sum(sa.case((Visit.redline.is_(True), 1), else_=0)))
        .select_from(visit_staff).join(Visit, Visit.id == visit_staff.c.visit_id)
        .where(counted_visits([period], unit_id))
        .group_by(visit_staff.c.staff_id, possible)
    ).all()
    named: dict[int, int] = defaultdict(int)
    redlines: dict[int, int] = defaultdict(int)
    totals: dict[int, Fraction] = defaultdict(Fraction)  # Σ of the scored visits' scores
    scored: dict[int, int] = defaultdict(int)
    for staff_id, points, count, earned, redline in rows:
        named[staff_id] += count
        redlines[staff_id] += int(redline or 0)
        if points:
            # Every visit of the group has the same possible points: Σ(100·e/p) = 100·Σe/p.
            totals[staff_id] += Fraction(100 * int(earned), points)
            scored[staff_id] += count
    means = {staff_id: totals[staff_id] / scored[staff_id] for staff_id, count in named.items()
             if count >= STAR_MIN_VISITS and not redlines[staff_id] and scored[staff_id]}
    if not means:
        return []
    best = max(means.values())
    winners = [i for i, m in means.items() if m == best]
    people = session.execute(
        sa.select(Staff.id, Staff.job_number, Staff.name, Hall.code, Hall.name, Unit.name)
        .join(Staff.hall).join(Hall.unit).where(Staff.id.in_(winners)).order_by(Staff.job_number)).all()
    return [Star(job, name, hall_code, hall_name, unit_name, named[sid], means[sid])
            for sid, job, name, hall_code, hall_name, unit_name in people]


def photo_key(session: Session, uid: str) -> str | None:
    """The storage key of an evidence photo by its public id."""
    return session.scalar(sa.select(Photo.key).where(Photo.uid == uid))


def photo_in_month(session: Session, period: str, uid: str) -> bool:
    """Whether the photo is evidence of a finding of the month's validated visits (what a notice may show)."""
    return session.scalar(
        sa.select(sa.func.count()).select_from(Photo)
        .join(Visit, Visit.id == Photo.visit_id)
        .join(Answer, Answer.visit_id == Visit.id)
        .join(ChecklistItem, sa.and_(ChecklistItem.id == Answer.item_id, ChecklistItem.key == Photo.item_key))
        .where(Photo.uid == uid, Photo.removed_at.is_(None), Answer.failed.is_(True), counted_visits([period], None))
    ) > 0
