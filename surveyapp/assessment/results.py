"""A month's results as plain data: what the results page, ``flask assess`` and the monthly notice show.

Scores are exact :class:`~fractions.Fraction` values (display rounds half-up: :func:`display`); money is
:class:`~decimal.Decimal` with two places. :meth:`MonthResults.to_json` / :meth:`MonthResults.from_json`
round-trip exactly (fractions are written as ``"numerator/denominator"``), which is how a notice snapshots
them; :meth:`MonthResults.to_assess_json` is the ``flask assess --json`` shape of DOMAIN.md.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from surveyapp.assessment.policy import CHANNELS, Policy
from surveyapp.checklists.scoring import round_half_up

#: Version of the JSON layout written by :meth:`MonthResults.to_json`.
SCHEMA = 1

#: Flags a hall's line may carry, in the order they are shown.
LAST, ESCALATE, BELOW_THRESHOLD, REDLINE = "last", "escalate", "below_threshold", "redline"
FLAGS = (LAST, ESCALATE, BELOW_THRESHOLD, REDLINE)
#: Kinds of penalty, in the order they are shown (keys of :attr:`HallResult.penalties`).
PENALTY_KINDS = (LAST, BELOW_THRESHOLD, REDLINE)


def display(value: Fraction | None, places: int = 1) -> Decimal | None:
    """A score for people: rounded half-up (DOMAIN.md: one decimal on pages and in the notice)."""
    return None if value is None else round_half_up(value, places)


@dataclass(frozen=True)
class HallResult:
    """One hall's line of the month."""

    hall_id: int
    code: str
    name: str
    unit_code: str
    unit_name: str
    hall_type: str
    #: Whether the hall had a scored validated visit in a weighted channel; if not it is listed, never ranked.
    assessed: bool
    #: Validated visits per channel (every channel, 0 when none).
    visits: Mapping[str, int]
    #: Mean visit score per channel; ``None`` for a channel without a scored visit.
    channel_scores: Mapping[str, Fraction | None]
    #: Σ weight × channel mean / Σ weight over the channels present.
    score: Fraction | None
    rank: int | None
    band: str | None
    redline_visits: int
    reward: Decimal
    #: A rank reward the hall would have had but for a red-line visit.
    reward_withheld: Decimal
    #: Penalty by kind (``last``, ``below_threshold``, ``redline``); only the kinds that apply.
    penalties: Mapping[str, Decimal]
    flags: tuple[str, ...]
    #: Months in a row, ending with this one, in which the hall was last (within the same scope).
    consecutive_last: int
    previous_score: Fraction | None
    previous_rank: int | None

    @property
    def penalty(self) -> Decimal:
        return sum(self.penalties.values(), Decimal("0.00"))

    @property
    def change(self) -> Fraction | None:
        """Score minus last month's score (both assessed), else ``None``."""
        if self.score is None or self.previous_score is None:
            return None
        return self.score - self.previous_score

    @property
    def total_visits(self) -> int:
        return sum(self.visits.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "hall_id": self.hall_id, "code": self.code, "name": self.name, "unit_code": self.unit_code,
            "unit_name": self.unit_name, "hall_type": self.hall_type, "assessed": self.assessed,
            "visits": dict(self.visits), "channel_scores": {c: _fraction_out(s) for c, s in self.channel_scores.items()},
            "score": _fraction_out(self.score), "rank": self.rank, "band": self.band,
            "redline_visits": self.redline_visits, "reward": str(self.reward),
            "reward_withheld": str(self.reward_withheld),
            "penalties": {k: str(v) for k, v in self.penalties.items()}, "flags": list(self.flags),
            "consecutive_last": self.consecutive_last, "previous_score": _fraction_out(self.previous_score),
            "previous_rank": self.previous_rank,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HallResult:
        return cls(
            hall_id=data["hall_id"], code=data["code"], name=data["name"], unit_code=data["unit_code"],
            unit_name=data["unit_name"], hall_type=data["hall_type"], assessed=data["assessed"],
            visits=dict(data["visits"]), channel_scores={c: _fraction_in(s) for c, s in data["channel_scores"].items()},
            score=_fraction_in(data["score"]), rank=data["rank"], band=data["band"],
            redline_visits=data["redline_visits"], reward=Decimal(data["reward"]),
            reward_withheld=Decimal(data["reward_withheld"]),
            penalties={k: Decimal(v) for k, v in data["penalties"].items()}, flags=tuple(data["flags"]),
            consecutive_last=data["consecutive_last"], previous_score=_fraction_in(data["previous_score"]),
            previous_rank=data["previous_rank"],
        )

    def to_assess_json(self) -> dict[str, Any]:
        """This hall's entry of ``flask assess --json`` (DOMAIN.md "Bulk interfaces")."""
        return {
            "code": self.code, "name": self.name, "unit": self.unit_code, "assessed": self.assessed,
            "visits": dict(self.visits),
            "channel_scores": {c: _json_score(s) for c, s in self.channel_scores.items()},
            "score": _json_score(self.score), "rank": self.rank, "band": self.band,
            "redline_visits": self.redline_visits, "reward": str(self.reward), "penalty": str(self.penalty),
            "flags": list(self.flags),
        }


@dataclass(frozen=True)
class Summary:
    """The month at a glance (the notice's "overall situation")."""

    #: Halls listed (active halls in scope, and any other hall with a validated visit this month).
    halls: int
    #: Halls assessed ("covered") this month.
    assessed: int
    #: Validated visits per channel.
    visits: Mapping[str, int]
    redline_visits: int
    redline_halls: int
    #: Mean score of the assessed halls (each hall counts once), and last month's in the same scope.
    mean_score: Fraction | None
    previous_mean_score: Fraction | None
    previous_assessed: int
    #: Assessed halls per band, in the policy's band order.
    bands: Mapping[str, int]
    rewards: Decimal
    penalties: Decimal

    @property
    def total_visits(self) -> int:
        return sum(self.visits.values())

    @property
    def change(self) -> Fraction | None:
        if self.mean_score is None or self.previous_mean_score is None:
            return None
        return self.mean_score - self.previous_mean_score

    def to_json(self) -> dict[str, Any]:
        return {
            "halls": self.halls, "assessed": self.assessed, "visits": dict(self.visits),
            "redline_visits": self.redline_visits, "redline_halls": self.redline_halls,
            "mean_score": _fraction_out(self.mean_score), "previous_mean_score": _fraction_out(self.previous_mean_score),
            "previous_assessed": self.previous_assessed, "bands": dict(self.bands), "rewards": str(self.rewards),
            "penalties": str(self.penalties),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Summary:
        return cls(
            halls=data["halls"], assessed=data["assessed"], visits=dict(data["visits"]),
            redline_visits=data["redline_visits"], redline_halls=data["redline_halls"],
            mean_score=_fraction_in(data["mean_score"]), previous_mean_score=_fraction_in(data["previous_mean_score"]),
            previous_assessed=data["previous_assessed"], bands=dict(data["bands"]), rewards=Decimal(data["rewards"]),
            penalties=Decimal(data["penalties"]),
        )


@dataclass(frozen=True)
class MonthResults:
    """The results of a month (``YYYY-MM``) for the whole company or one unit and the units below it."""

    period: str
    previous_period: str
    #: The unit whose subtree was assessed (code, name), or ``None`` for the whole company.
    unit_code: str | None
    unit_name: str | None
    #: The policy applied, and its version number (``None`` for a policy that is not stored).
    policy: Policy
    policy_number: int | None
    computed_at: dt.datetime
    #: Ranked halls by rank then code, then the halls not assessed by code.
    halls: tuple[HallResult, ...]
    summary: Summary
    _by_code: dict[str, HallResult] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_code", {h.code: h for h in self.halls})

    @property
    def ranked(self) -> list[HallResult]:
        return [h for h in self.halls if h.assessed]

    @property
    def not_assessed(self) -> list[HallResult]:
        return [h for h in self.halls if not h.assessed]

    def hall(self, code: str) -> HallResult | None:
        return self._by_code.get(code)

    def to_json(self) -> dict[str, Any]:
        """Everything, exactly, as JSON-ready data (a notice's snapshot)."""
        return {
            "schema": SCHEMA, "period": self.period, "previous_period": self.previous_period,
            "unit_code": self.unit_code, "unit_name": self.unit_name, "policy": self.policy.to_json(),
            "policy_number": self.policy_number, "computed_at": self.computed_at.isoformat(),
            "halls": [h.to_json() for h in self.halls], "summary": self.summary.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MonthResults:
        """Read back :meth:`to_json` output; equal to the original."""
        if data.get("schema") != SCHEMA:
            raise ValueError(f"month results schema {data.get('schema')!r} is not {SCHEMA}")
        return cls(
            period=data["period"], previous_period=data["previous_period"], unit_code=data["unit_code"],
            unit_name=data["unit_name"], policy=Policy.from_json(data["policy"]), policy_number=data["policy_number"],
            computed_at=dt.datetime.fromisoformat(data["computed_at"]),
            halls=tuple(HallResult.from_json(h) for h in data["halls"]), summary=Summary.from_json(data["summary"]),
        )

    def to_assess_json(self) -> dict[str, Any]:
        """The ``flask assess --json`` document: scores half-up to 2 decimals, money as strings."""
        return {"period": self.period, "halls": [h.to_assess_json() for h in self.halls]}


def empty_visits() -> dict[str, int]:
    return {c.value: 0 for c in CHANNELS}


def _fraction_out(value: Fraction | None) -> str | None:
    return None if value is None else str(value)


def _fraction_in(value: str | None) -> Fraction | None:
    return None if value is None else Fraction(value)


def _json_score(value: Fraction | None) -> float | None:
    # A 2-decimal Decimal converts to the float whose shortest repr is the same digits (87.25 → 87.25).
    return None if value is None else float(round_half_up(value, 2))
