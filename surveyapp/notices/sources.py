"""What a notice shows of the capability above it (hall feedback) without knowing it.

Notices sits below feedback in the order of layers, so the arrow points down: feedback registers its readers
(:func:`provide`) when its blueprint registers with the app. A notice read without them would silently lack
its annex and undercount open appeals, so asking for a reader nobody registered raises instead.
"""
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
    """Register the readers (feedback does, when its blueprint registers)."""
    _readers.update(overdue_annex=overdue_annex, undecided_appeals=undecided_appeals,
                    settled_findings=settled_findings)


def _reader(name: str) -> Any:
    try:
        return _readers[name]
    except KeyError:
        raise LookupError(f"notices: no {name} reader registered (feedback registers it with the app)") from None


def overdue_annex(session: Session, issued_on: dt.date) -> dict[str, Any]:
    return dict(_reader("overdue_annex")(session, issued_on))


def undecided_appeals(session: Session, period: str) -> int:
    return _reader("undecided_appeals")(session, period)


def settled_findings(session: Session, hall_codes: Collection[str], period: str) -> dict[str, set[str]]:
    return dict(_reader("settled_findings")(session, hall_codes, period))
