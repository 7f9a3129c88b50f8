"""Reading findings: who may see which (one rule, from :func:`surveyapp.visits.queries.hall_visibility`), the
lists of the hall and of the market department, deadlines coming due, overdue findings for the notice."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from surveyapp.auth.models import Role, User
from surveyapp.db import get_visible
from surveyapp.feedback.models import (
    Appeal,
    AppealStatus,
    FeedbackPhoto,
    Finding,
    FindingStatus,
)
from surveyapp.org.models import Hall
from surveyapp.visits.models import Visit
from surveyapp.visits.queries import hall_visibility, unit_subtree


def _visible(user: User) -> sa.ColumnElement[bool] | None:
    """Findings ``user`` may open: market staff all; a hall manager those of released visits of their halls."""
    if user.role is Role.MARKET:
        return sa.true()
    if user.role is Role.HALL_MANAGER:
        return Finding.visit_id.in_(sa.select(Visit.id).where(hall_visibility(user)))
    return None


def get_finding(session: Session, user: User, uid: str) -> Finding:
    """:raise NotFound: the same for a finding that does not exist and one ``user`` may not see."""
    return get_visible(session, Finding, uid, _visible(user), _("This finding does not exist, or you may not see it."))


def get_photo(session: Session, user: User, uid: str) -> FeedbackPhoto:
    """A rectification or appeal photo of a finding ``user`` may see.

    :raise NotFound: as for a missing photo.
    """
    return get_visible(session, FeedbackPhoto, uid, _visible(user), _("This photo does not exist, or you may not see it."),
                       join=FeedbackPhoto.finding)


#: The list filters: which findings each one shows.
SHOWS = ("open", "appeals", "rectified", "overdue", "closed", "all")


@dataclass(frozen=True)
class FindingFilter:
    show: str = "open"
    hall_id: int | None = None
    unit_id: int | None = None
    #: ``YYYY-MM`` of the visit.
    period: str | None = None


def findings(user: User, f: FindingFilter, today: dt.date) -> sa.Select[tuple[Finding]]:
    """The findings ``user`` may see that match ``f``: the soonest due first (closed ones: the newest first)."""
    condition = _visible(user)
    query = sa.select(Finding).join(Finding.visit).where(condition if condition is not None else sa.false())
    pending_appeal = Finding.id.in_(sa.select(Appeal.finding_id).where(Appeal.status == AppealStatus.PENDING))
    if f.show == "open":
        query = query.where(Finding.status.in_([FindingStatus.OPEN, FindingStatus.RECTIFIED]))
    elif f.show == "appeals":
        query = query.where(pending_appeal)
    elif f.show == "rectified":
        query = query.where(Finding.status == FindingStatus.RECTIFIED)
    elif f.show == "overdue":
        query = query.where(overdue(today), ~pending_appeal)
    elif f.show == "closed":
        query = query.where(Finding.status.in_([FindingStatus.VERIFIED, FindingStatus.WITHDRAWN]))
    if f.hall_id is not None:
        query = query.where(Finding.hall_id == f.hall_id)
    if f.unit_id is not None:
        tree = unit_subtree([f.unit_id])
        query = query.where(Finding.hall_id.in_(sa.select(Hall.id).where(Hall.unit_id.in_(sa.select(tree.c.id)))))
    if f.period is not None:
        query = query.where(Visit.period == f.period)
    order = (Finding.closed_at.desc(), Finding.id.desc()) if f.show == "closed" else (Finding.rectify_due, Finding.id)
    return query.options(selectinload(Finding.hall), selectinload(Finding.item), selectinload(Finding.appeal),
                         selectinload(Finding.visit).selectinload(Visit.answers)).order_by(*order)


def overdue(today: dt.date) -> sa.ColumnElement[bool]:
    """Open findings past their rectification day (the caller leaves out those under appeal where it matters)."""
    return sa.and_(Finding.status == FindingStatus.OPEN, Finding.rectify_due < today)


def for_visit(session: Session, visit_id: int) -> dict[str, Finding]:
    """A visit's findings by item key (the caller has checked who may see the visit)."""
    return {f.item_key: f for f in session.scalars(sa.select(Finding).where(Finding.visit_id == visit_id)
                                                  .options(selectinload(Finding.appeal)))}


def open_for_hall(session: Session, hall_id: int) -> list[Finding]:
    """A hall's findings still waiting for the hall or the market department, the soonest due first."""
    return list(session.scalars(
        sa.select(Finding).where(Finding.hall_id == hall_id,
                                 Finding.status.in_([FindingStatus.OPEN, FindingStatus.RECTIFIED]))
        .options(selectinload(Finding.item), selectinload(Finding.appeal),
                 selectinload(Finding.visit).selectinload(Visit.answers))
        .order_by(Finding.rectify_due, Finding.id)))


def due_soon(session: Session, start: dt.date, end: dt.date) -> dict[tuple[int, dt.date], list[Finding]]:
    """Open findings due between ``start`` and ``end`` (inclusive) and not under appeal, by hall and due day."""
    pending_appeal = Finding.id.in_(sa.select(Appeal.finding_id).where(Appeal.status == AppealStatus.PENDING))
    rows = session.scalars(
        sa.select(Finding).where(Finding.status == FindingStatus.OPEN, Finding.rectify_due.between(start, end),
                                 ~pending_appeal)
        .options(selectinload(Finding.hall)).order_by(Finding.hall_id, Finding.rectify_due, Finding.id))
    out: dict[tuple[int, dt.date], list[Finding]] = defaultdict(list)
    for finding in rows:
        out[(finding.hall_id, finding.rectify_due)].append(finding)
    return dict(out)


def overdue_by_hall(session: Session, today: dt.date, hall_ids: Sequence[int] | None = None) -> dict[str, list[Finding]]:
    """Findings overdue on ``today`` (open, past due, not under appeal) by hall code: the notice's annex lists them."""
    pending_appeal = Finding.id.in_(sa.select(Appeal.finding_id).where(Appeal.status == AppealStatus.PENDING))
    query = (sa.select(Finding).join(Finding.hall).where(overdue(today), ~pending_appeal)
             .options(selectinload(Finding.hall), selectinload(Finding.item), selectinload(Finding.visit))
             .order_by(Hall.code, Finding.rectify_due, Finding.id))
    if hall_ids is not None:
        query = query.where(Finding.hall_id.in_(list(hall_ids)))
    out: dict[str, list[Finding]] = defaultdict(list)
    for finding in session.scalars(query):
        out[finding.hall.code].append(finding)
    return dict(out)


def undecided_appeals(session: Session, period: str) -> int:
    """How many appeals against the findings of month ``period``'s visits wait for a decision."""
    return session.scalar(
        sa.select(sa.func.count()).select_from(Appeal).join(Finding, Finding.id == Appeal.finding_id)
        .join(Visit, Visit.id == Finding.visit_id)
        .where(Visit.period == period, Appeal.status == AppealStatus.PENDING)) or 0


def settled_findings(session: Session, hall_codes: Collection[str], period: str) -> dict[str, set[str]]:
    """The findings of ``period`` that need nothing more from their hall (rectified and verified, or withdrawn
    after an appeal), as typical-case ids (``visit uid:item key``) by hall code (halls with none left out)."""
    rows = session.execute(
        sa.select(Hall.code, Visit.uid, Finding.item_key).join(Finding.visit).join(Finding.hall)
        .where(Hall.code.in_(list(hall_codes)), Visit.period == period,
               Finding.status.in_([FindingStatus.VERIFIED, FindingStatus.WITHDRAWN])))
    settled: dict[str, set[str]] = defaultdict(set)
    for code, uid, key in rows:
        settled[code].add(f"{uid}:{key}")
    return dict(settled)


def overdue_annex(session: Session, today: dt.date) -> dict[str, list[dict[str, object]]]:
    """What the notice's annex lists of the findings overdue on ``today`` (its issue date), by hall code,
    as JSON-ready data for the notice's frozen snapshot (never the supervisor)."""
    return {code: [{"text": f.item.text, "text_en": f.item.text_en, "period": f.visit.period,
                    "channel": f.visit.type.value, "redline": f.item.redline,
                    "rectify_due": f.rectify_due.isoformat(), "days_late": (today - f.rectify_due).days}
                   for f in items]
            for code, items in overdue_by_hall(session, today).items()}
