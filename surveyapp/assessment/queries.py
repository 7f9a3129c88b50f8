"""The assessment's reads, grouped in SQL: visit totals per hall and channel, the halls listed, the most-failed
items of a month and the findings per hall.

Exactness: the database returns integer sums only (per group of visits sharing the same possible total,
their count and Σ earned); the divisions happen in Python on exact fractions
(:mod:`surveyapp.assessment.ranking`), so no score ever passes through a float or a rounded NUMERIC.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveyapp.assessment.ranking import HallInfo
from surveyapp.checklists.definition import VisitType
from surveyapp.checklists.models import Checklist, ChecklistItem, ChecklistVersion
from surveyapp.db import plain_rows
from surveyapp.org.models import Hall, Unit
from surveyapp.visits.models import Answer, Photo, Visit, VisitStatus
from surveyapp.visits.queries import unit_subtree


def _in_scope(unit_id: int | None) -> sa.ColumnElement[bool]:
    """Visits of halls in ``unit_id`` and every unit below it (everything for ``None``)."""
    if unit_id is None:
        return sa.true()
    tree = unit_subtree([unit_id])
    return Visit.hall_id.in_(sa.select(Hall.id).where(Hall.unit_id.in_(sa.select(tree.c.id))))


def counted_visits(periods: Sequence[str], unit_id: int | None) -> sa.ColumnElement[bool]:
    """The visits that count in the months ``periods``: validated, of the month in the company time zone
    (``Visit.period``, computed from the visit time when it is submitted), in scope."""
    return sa.and_(Visit.status == VisitStatus.VALIDATED, Visit.period.in_(list(periods)), _in_scope(unit_id))


def visit_groups(session: Session, periods: Sequence[str], unit_id: int | None = None) -> list[tuple[Any, ...]]:
    """Validated visits of ``periods`` in scope, grouped in one SQL statement by month, hall, channel, red-line
    state and possible points: how many, and their Σ earned.

    It reads each visit's totals (``Visit.earned``, ``Visit.possible``, ``Visit.redline``): Σ earned and
    Σ possible over its answers (``na`` and unscored items are NULL there and drop out) and whether a red-line
    item failed. The scoring engine writes them together with the ``Answer`` rows, in the same transaction, and
    nothing else writes answers (:func:`surveyapp.visits.services.apply_answers` and ``insert_answers``), so they
    are the answers' sums without re-adding 40 rows per visit on every reading: 40,000 visit rows instead of
    1.6 million answer rows for a month of 5,000 halls (``tests/bench/assessment.py`` checks the two agree). A visit without
    totals counts as a visit with nothing possible.

    The rows are plain tuples in :class:`~surveyapp.assessment.ranking.VisitGroup`'s order, the channel as its text and the red line as the
    driver gives it (0 or 1 on SQLite), which :func:`ranking.tally` reads as they are.
    """
    possible = sa.func.coalesce(Visit.possible, 0)
    grouped = (
        # Plain columns out (the channel as text, the sum as an integer): a month can have one row per visit.
        sa.select(Visit.period, Visit.hall_id, sa.type_coerce(Visit.type, sa.String), Visit.redline, possible,
                  sa.func.count(), sa.cast(sa.func.coalesce(sa.func.sum(Visit.earned), 0), sa.BigInteger))
        .where(counted_visits(periods, unit_id))
        .group_by(Visit.period, Visit.hall_id, Visit.type, Visit.redline, possible)
    )
    # The driver's tuples as they come (about one a visit): ranking.tally reads them like VisitGroups.
    return plain_rows(session, grouped)


def halls_listed(session: Session, period: str, unit_id: int | None = None,
                 closed_at: dt.datetime | None = None) -> list[HallInfo]:
    """The halls a month's results list: active halls in scope, and any hall with a validated visit that month
    (a hall closed since still shows what it was assessed on). A hall added after the month closed
    (``closed_at``) is not the month's."""
    with_visits = sa.select(Visit.hall_id).where(counted_visits([period], None))  # the scope applies below
    query = (sa.select(Hall.id, Hall.code, Hall.name, Unit.code.label("unit_code"), Unit.name.label("unit_name"),
                       sa.type_coerce(Hall.type, sa.String))
             .join(Hall.unit).where(sa.or_(Hall.active.is_(True), Hall.id.in_(with_visits))))
    if closed_at is not None:
        query = query.where(sa.or_(Hall.created_at.is_(None), Hall.created_at <= closed_at))
    if unit_id is not None:
        tree = unit_subtree([unit_id])
        query = query.where(Hall.unit_id.in_(sa.select(tree.c.id)))
    return [HallInfo(*row) for row in plain_rows(session, query.order_by(Hall.code))]


# --- for the notice: the month's problems -------------------------------------------------------------


@dataclass(frozen=True)
class ItemText:
    """A checklist item as the notice names it: its answer key, section and text (Chinese, English)."""

    key: str
    section_id: str
    section_title: str
    section_title_en: str | None
    text: str
    text_en: str | None


@dataclass(frozen=True)
class ItemFailure(ItemText):
    """How often one checklist item failed in a month's validated visits."""

    checklist: str
    #: Failed answers, and answers that counted (scored and not ``na``).
    failures: int
    answered: int
    #: Halls with at least one failure of the item; red-line failures among ``failures``.
    halls: int
    redline_failures: int

    @property
    def rate(self) -> Fraction:
        """Failures per counted answer."""
        return Fraction(self.failures, self.answered) if self.answered else Fraction(0)


def most_failed_items(session: Session, period: str, unit_id: int | None = None, limit: int = 10) -> list[ItemFailure]:
    """The items failed most often in the month's validated visits (in scope): by failures, then rate.

    Items are counted by checklist and answer key across the checklist's versions; their texts are those of
    the newest version answered.
    """
    failed = sa.case((Answer.failed.is_(True), 1), else_=0)
    grouped = (
        sa.select(
            Checklist.slug, ChecklistItem.key,
            sa.func.sum(failed).label("failures"),
            sa.func.count(Answer.possible).label("answered"),
            sa.func.count(sa.distinct(sa.case((Answer.failed.is_(True), Visit.hall_id)))).label("halls"),
            sa.func.sum(sa.case((Answer.redline.is_(True), 1), else_=0)).label("redline_failures"),
            sa.func.max(ChecklistItem.id).label("item_row"),
        )
        .select_from(Answer)
        .join(Visit, Visit.id == Answer.visit_id)
        .join(ChecklistItem, ChecklistItem.id == Answer.item_id)
        .join(ChecklistVersion, ChecklistVersion.id == ChecklistItem.version_id)
        .join(Checklist, Checklist.id == ChecklistVersion.checklist_id)
        .where(counted_visits([period], unit_id))
        .group_by(Checklist.slug, ChecklistItem.key)
        .having(sa.func.sum(failed) > 0)
        # Equal failures: the fewer answers counted, the higher the rate.
        .order_by(sa.desc("failures"), sa.asc("answered"), Checklist.slug, ChecklistItem.key)
        .limit(limit)
    )
    rows = session.execute(grouped).all()
    items = {i.id: i for i in session.scalars(sa.select(ChecklistItem).where(ChecklistItem.id.in_([r.item_row for r in rows])))}
    return [
        ItemFailure(checklist=r.slug, key=r.key, section_id=items[r.item_row].section_id,
                    section_title=items[r.item_row].section_title, section_title_en=items[r.item_row].section_title_en,
                    text=items[r.item_row].text, text_en=items[r.item_row].text_en, failures=int(r.failures),
                    answered=int(r.answered), halls=int(r.halls), redline_failures=int(r.redline_failures))
        for r in rows
    ]


@dataclass(frozen=True)
class FailedAnswer(ItemText):
    """A failed answer of a validated visit: what the annex of the notice lists per hall.

    It never names the supervisor (mystery visits stay anonymous to halls).
    """

    hall_code: str
    visit_uid: str
    channel: VisitType
    visited_at: dt.datetime | None
    #: The answer as stored (``fail``, a count, a scale value).
    value: str | None
    remark: str | None
    redline: bool
    #: Points lost on the item.
    lost: int
    #: Public ids of the evidence photos of this item.
    photos: tuple[str, ...]


def hall_findings(session: Session, period: str, unit_id: int | None = None,
                  hall_ids: Sequence[int] | None = None) -> dict[str, list[FailedAnswer]]:
    """Failed answers of the month's validated visits, by hall code (halls in code order, each hall's findings
    by visit time and form order); ``hall_ids`` narrows to some halls."""
    query = (
        sa.select(Hall.code, Visit.id.label("visit_id"), Visit.uid, Visit.type, Visit.visited_at, ChecklistItem.key,
                  ChecklistItem.section_id, ChecklistItem.section_title, ChecklistItem.section_title_en,
                  ChecklistItem.text, ChecklistItem.text_en, Answer.value, Answer.remark, Answer.redline,
                  Answer.earned, Answer.possible)
        .select_from(Answer)
        .join(Visit, Visit.id == Answer.visit_id)
        .join(Hall, Hall.id == Visit.hall_id)
        .join(ChecklistItem, ChecklistItem.id == Answer.item_id)
        .where(counted_visits([period], unit_id), Answer.failed.is_(True))
        .order_by(Hall.code, Visit.visited_at, Visit.id, ChecklistItem.position)
    )
    if hall_ids is not None:
        query = query.where(Visit.hall_id.in_(list(hall_ids)))
    rows = session.execute(query).all()
    photos: dict[tuple[int, str], list[str]] = defaultdict(list)
    visit_ids = sorted({r.visit_id for r in rows})
    for start in range(0, len(visit_ids), 1000):
        for photo in session.execute(
                sa.select(Photo.visit_id, Photo.item_key, Photo.uid)
                .where(Photo.visit_id.in_(visit_ids[start:start + 1000]), Photo.removed_at.is_(None),
                       Photo.item_key.is_not(None))
                .order_by(Photo.id)):
            photos[(photo.visit_id, photo.item_key)].append(photo.uid)
    out: dict[str, list[FailedAnswer]] = defaultdict(list)
    for r in rows:
        out[r.code].append(FailedAnswer(
            hall_code=r.code, visit_uid=r.uid, channel=VisitType(r.type), visited_at=r.visited_at, key=r.key,
            section_id=r.section_id, section_title=r.section_title, section_title_en=r.section_title_en, text=r.text,
            text_en=r.text_en, value=r.value, remark=r.remark, redline=r.redline,
            lost=(r.possible or 0) - (r.earned or 0), photos=tuple(photos.get((r.visit_id, r.key), ())),
        ))
    return dict(out)
