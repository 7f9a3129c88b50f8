"""The ``[policy.rewards]`` table of the assessment policy: who gets the remainder of a tied split.

Halls tied over several paid places share those places' rewards; each share is rounded down to the fen, which
can leave up to one fen per hall (2,000 yuan six ways: 333.33 each, 0.02 left). ``remainder`` says where it goes:

- ``"none"`` (the default, and every policy stored before the table existed): it is not paid out; the notice
  says so.
- ``"first"``: the first of the tied halls in hall-code order gets all of it (333.35, then 333.33 × 5).
- ``"spread"``: one fen each to the first tied halls in hall-code order until it is used up (333.34 × 2, then
  333.33 × 4), so the whole pool is paid and no two shares differ by more than a fen.

Plain immutable data and its checker, beside :mod:`surveyapp.assessment.policy`, like
:mod:`surveyapp.assessment.stars_policy`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from surveyapp.assessment.calibration_policy import _Checker

REWARDS_KEYS = ("remainder",)
NONE, FIRST, SPREAD = "none", "first", "spread"
REMAINDER_RULES = (NONE, FIRST, SPREAD)


@dataclass(frozen=True)
class RewardRules:
    """How a tied split's remainder is paid (README "The policy file")."""

    remainder: str = NONE

    def to_json(self) -> dict[str, Any]:
        return {"remainder": self.remainder}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> RewardRules:
        return cls(remainder=data["remainder"]) if data else DEFAULT_REWARDS

    def toml_lines(self) -> list[str]:
        """The ``[policy.rewards]`` table of a policy file."""
        return ["[policy.rewards]",
                (f'remainder = "{self.remainder}"   # fen left by a tied split: "none" (not paid), "first" (all to '
                 'the first tied hall by hall code), "spread" (one fen each, in hall-code order)')]

    def settings(self) -> dict[str, str]:
        return {"rewards.remainder": self.remainder}


DEFAULT_REWARDS = RewardRules()


def check_rewards(checker: _Checker, data: Mapping[str, Any]) -> RewardRules | None:
    """The ``rewards`` table of ``data`` (the defaults when absent), or ``None`` after adding each problem to
    ``checker`` with its key path."""
    table = data.get("rewards", {})
    path: tuple[object, ...] = ("rewards",)
    if not isinstance(table, Mapping):
        checker.add(path, _l("%(key)s must be a table", key="rewards"))
        return None
    checker.unknown(table, REWARDS_KEYS, path)
    if any(k not in REWARDS_KEYS for k in table):
        return None
    remainder = table.get("remainder", NONE)
    if remainder not in REMAINDER_RULES:
        checker.add((*path, "remainder"), _l('must be one of "none", "first" or "spread" (not %(value)s)',
                                             value=repr(remainder)))
        return None
    return RewardRules(remainder=remainder)
