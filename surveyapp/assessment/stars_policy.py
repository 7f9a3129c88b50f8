"""The ``[policy.stars]`` table of the assessment policy: how a member of staff's star level (星级) follows from the
visits that named them.

A level is the number of ``levels`` minimums (ascending, one per star, ★ to ★★★★★) that the mean score of the
validated visits naming the employee reaches, over the ``months`` months ending with the month shown, when
there are at least ``min_visits`` of them; fewer visits give no level. The table is optional: a policy without
it (every policy stored before it existed) gets :data:`DEFAULT_STARS`. Plain immutable data and its checker,
beside :mod:`surveyapp.assessment.policy`, like :mod:`surveyapp.assessment.calibration_policy`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Any

from flask_babel import lazy_gettext as _l

from surveyapp.assessment.calibration_policy import _Checker

STARS_KEYS = ("months", "min_visits", "levels")
MAX_MONTHS = 12
MAX_MIN_VISITS = 100
MAX_STARS = 5


@dataclass(frozen=True)
class StarRules:
    """How star levels are computed (README "Staff and star levels")."""

    #: The rolling window: this many months, ending with the month shown.
    months: int = 6
    #: Validated visits naming the employee in the window that a level needs.
    min_visits: int = 3
    #: The minimum mean score of each star, ascending: ``levels[0]`` for ★ ... ``levels[4]`` for ★★★★★.
    levels: tuple[Decimal, ...] = (Decimal(60), Decimal(70), Decimal(80), Decimal(90), Decimal(95))

    def level(self, visits: int, mean: Fraction | None) -> int | None:
        """Stars for ``visits`` visits of mean score ``mean`` (0: below the first minimum; ``None``: too few visits)."""
        if visits < self.min_visits or mean is None:
            return None
        return sum(1 for minimum in self.levels if mean >= Fraction(minimum))

    def to_json(self) -> dict[str, Any]:
        return {"months": self.months, "min_visits": self.min_visits, "levels": [_text(v) for v in self.levels]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> StarRules:
        if not data:
            return DEFAULT_STARS
        return cls(months=data["months"], min_visits=data["min_visits"],
                   levels=tuple(Decimal(v) for v in data["levels"]))

    def toml_lines(self) -> list[str]:
        """The ``[policy.stars]`` table of a policy file."""
        return ["[policy.stars]",
                f"months = {self.months}   # rolling window of months ending with the month shown",
                f"min_visits = {self.min_visits}   # validated visits naming the employee a level needs",
                f"levels = [{', '.join(_text(v) for v in self.levels)}]   # minimum mean score of each star, ascending"]

    def settings(self) -> dict[str, str]:
        return {"stars.months": str(self.months), "stars.min_visits": str(self.min_visits),
                "stars.levels": ", ".join(_text(v) for v in self.levels)}


DEFAULT_STARS = StarRules()


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def check_stars(checker: _Checker, data: Mapping[str, Any]) -> StarRules | None:
    """The ``stars`` table of ``data`` (defaults for every key not given), or ``None`` after adding each problem
    to ``checker`` with its key path."""
    table = data.get("stars", {})
    path: tuple[object, ...] = ("stars",)
    if not isinstance(table, Mapping):
        checker.add(path, _l("%(key)s must be a table", key="stars"))
        return None
    checker.unknown(table, STARS_KEYS, path)
    values: dict[str, Any] = {}
    ok = not any(k not in STARS_KEYS for k in table)
    if "months" in table:
        values["months"] = checker.integer(table["months"], (*path, "months"), 1, MAX_MONTHS)
    if "min_visits" in table:
        values["min_visits"] = checker.integer(table["min_visits"], (*path, "min_visits"), 1, MAX_MIN_VISITS)
    if "levels" in table:
        values["levels"] = _levels(checker, table["levels"], (*path, "levels"))
    ok = ok and None not in values.values()
    return StarRules(**values) if ok else None


def _levels(checker: _Checker, raw: object, path: tuple[object, ...]) -> tuple[Decimal, ...] | None:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_STARS:
        checker.add(path, _l("must be a list of 1 to %(n)s minimum scores, one per star", n=MAX_STARS))
        return None
    levels = [checker.number(v, (*path, n + 1), places=2, top=Decimal(100)) for n, v in enumerate(raw)]
    if None in levels:
        return None
    if any(b <= a for a, b in pairwise(levels)):  # type: ignore[operator]
        checker.add(path, _l("each star needs a higher minimum score than the star before it"))
        return None
    return tuple(levels)  # type: ignore[arg-type]
