"""What a supervisor submits, as plain data: its canonical JSON and the hash repeated submissions are compared by."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

#: ``Content.evidence`` of a paper record: its photo evidence is kept on paper, not attached.
PAPER = "paper"
#: Longest remark per item, overall impression and scenario accepted.
MAX_REMARK = 1000
MAX_IMPRESSION = 4000
MAX_SCENARIO = 50


@dataclass(frozen=True)
class Content:
    """One submission of a visit (photos travel separately and are attached by the server)."""

    #: Item key → canonical answer (see :mod:`surveyapp.checklists.scoring`).
    answers: Mapping[str, object]
    visited_at: dt.datetime
    #: Item key → remark.
    remarks: Mapping[str, str] = field(default_factory=dict)
    #: Job numbers (工号) of the staff who served the supervisor.
    staff: Sequence[str] = ()
    scenario: str | None = None
    impression: str | None = None
    #: Where photo evidence is kept instead of being attached: ``"paper"`` for paper records (imports).
    evidence: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The canonical form: sorted, blank values dropped, time in UTC to the second."""
        return {
            "answers": {k: v for k, v in sorted(self.answers.items()) if v is not None},
            "remarks": {k: v.strip() for k, v in sorted(self.remarks.items()) if v and v.strip()},
            "staff": sorted({s.strip() for s in self.staff if s.strip()}),
            "scenario": (self.scenario or "").strip() or None,
            "impression": (self.impression or "").strip() or None,
            "visited_at": self.visited_at.astimezone(dt.UTC).replace(microsecond=0).isoformat(),
        } | ({"evidence": self.evidence} if self.evidence else {})

    def sha256(self) -> str:
        """Hex SHA-256 of the canonical JSON: equal for the same content however it was sent."""
        text = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Content:
        """Read back :meth:`to_json` output (e.g. a stored revision)."""
        return cls(answers=dict(data["answers"]), remarks=dict(data.get("remarks") or {}),
                   staff=tuple(data.get("staff") or ()), scenario=data.get("scenario"),
                   impression=data.get("impression"), evidence=data.get("evidence"),
                   visited_at=dt.datetime.fromisoformat(data["visited_at"]))


def period_of(moment: dt.datetime | dt.date, zone: ZoneInfo) -> str:
    """``YYYY-MM`` of a moment in ``zone`` (a date is taken as it is): the month a visit belongs to."""
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(zone).date()
    return f"{moment.year:04d}-{moment.month:02d}"


def answer_text(value: object) -> str | None:
    """How an answer is stored in ``Answer.value``: job numbers joined by commas, numbers as digits."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)
