"""What a notice shows of the capability above it (hall feedback) without knowing it: feedback registers
its readers at import (:func:`provide`); with none registered a notice lists no overdue finding and counts
no undecided appeal, and a letter leaves no finding out as settled. Notices sits below feedback in the order of layers, so the arrow points down."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

#: ``overdue_annex(session, issued_on)`` → {hall code: [JSON-ready finding]}: what the annex lists of the
#: findings of earlier months still not rectified on the issue date.
OverdueAnnex = Callable[[Session, dt.date], Mapping[str, Sequence[Mapping[str, Any]]]]
#: ``undecided_appeals(session, period)`` → how many appeals against month ``period``'s findings wait for a decision.
UndecidedAppeals = Callable[[Session, str], int]
#: ``settled_findings(session, hall codes, period)`` → {hall code: {``visit uid:item key``}}: the findings that
#: need nothing more from their hall (a letter leaves them out).
SettledFindings = Callable[[Session, Collection[str], str], Mapping[str, set[str]]]

_readers: dict[str, Any] = {}


def provide(*, overdue_annex: OverdueAnnex, undecided_appeals: UndecidedAppeals,
            settled_findings: SettledFindings) -> None:
    """Register the readers (feedback calls this once, at import)."""
    _readers.update(overdue_annex=overdue_annex, undecided_appeals=undecided_appeals,
                    settled_findings=settled_findings)


def overdue_annex(session: Session, issued_on: dt.date) -> dict[str, Any]:
    reader = _readers.get("overdue_annex")
    return dict(reader(session, issued_on)) if reader else {}


def undecided_appeals(session: Session, period: str) -> int:
    reader = _readers.get("undecided_appeals")
    return reader(session, period) if reader else 0


def settled_findings(session: Session, hall_codes: Collection[str], period: str) -> dict[str, set[str]]:
    reader = _readers.get("settled_findings")
    return dict(reader(session, hall_codes, period)) if reader else {}
