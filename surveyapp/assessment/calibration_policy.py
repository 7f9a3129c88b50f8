"""The ``[policy.calibration]`` table of the assessment policy: how rater calibration flags supervisors, and
whether the assessment uses severity-adjusted visit scores.

Plain immutable data and its checker, beside :mod:`surveyapp.assessment.policy` (which holds a
:class:`CalibrationRules` in every :class:`~surveyapp.assessment.policy.Policy`). The table is optional: a
policy file without it, and every policy stored before it existed, gets :data:`DEFAULT_CALIBRATION`, which
changes no score (``adjust = false``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l

#: Longest window of months a calibration may read.
MAX_MONTHS = 12
MAX_MIN_VISITS = 1000
#: Keys of the table, in file order.
CALIBRATION_KEYS = ("months", "min_visits", "threshold", "central_tendency", "perfect_margin", "drift", "adjust")


@dataclass(frozen=True)
class CalibrationRules:
    """How supervisors' severities are estimated and flagged (README "Rater calibration")."""

    #: The window: this many months, ending with the month calibrated.
    months: int = 3
    #: Connected visits (in halls and months another supervisor also visited) a severity needs.
    min_visits: int = 10
    #: Points: ``lenient`` above +threshold, ``severe`` below −threshold, when the 95 % interval excludes 0.
    threshold: Decimal = Decimal(5)
    #: ``central_tendency`` when the supervisor's score spread, relative to the other raters' on the same
    #: halls and months, is below this share of the median supervisor's.
    central_tendency: Decimal = Decimal("0.5")
    #: ``too_perfect`` when the share of 100-point visits is this many percentage points above the other
    #: supervisors' share (and a binomial test at 1 % agrees).
    perfect_margin: Decimal = Decimal(20)
    #: ``drift`` when the severity moves more than this many points per month (and the slope is significant).
    drift: Decimal = Decimal(3)
    #: Assess with severity-adjusted visit scores (visit score minus the supervisor's severity, within 0..100).
    adjust: bool = False

    def to_json(self) -> dict[str, Any]:
        return {f.name: (_text(v) if isinstance(v := getattr(self, f.name), Decimal) else v) for f in fields(self)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> CalibrationRules:
        """From :meth:`to_json` output; the defaults for a snapshot made before calibration existed."""
        if not data:
            return DEFAULT_CALIBRATION
        kinds = {f.name: f.type for f in fields(cls)}
        return cls(**{k: Decimal(v) if kinds[k] == "Decimal" else v for k, v in data.items() if k in kinds})

    def toml_lines(self) -> list[str]:
        """The ``[policy.calibration]`` table of a policy file."""
        return ["[policy.calibration]"] + [
            f"{key} = {_toml_value(getattr(self, key))}" + (f"   # {COMMENTS[key]}" if key in COMMENTS else "")
            for key in CALIBRATION_KEYS]

    def settings(self) -> dict[str, str]:
        """Every setting as text by key (``calibration.months`` ...), for the policy's history."""
        return {f"calibration.{key}": _toml_value(getattr(self, key)) for key in CALIBRATION_KEYS}


DEFAULT_CALIBRATION = CalibrationRules()

COMMENTS = {
    "months": "window of months ending with the month calibrated",
    "min_visits": "connected visits a supervisor needs for a severity",
    "threshold": "points: lenient / severe beyond +/- this, when the 95 % interval excludes 0",
    "central_tendency": "score spread below this share of the median supervisor's",
    "perfect_margin": "percentage points of 100-point visits above the other supervisors' share",
    "drift": "points per month the severity may move",
    "adjust": "true: assess with severity-adjusted visit scores",
}


def _text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _text(value) if isinstance(value, Decimal) else str(value)


class _Checker(Protocol):
    def add(self, path: tuple[object, ...] | None, message: object) -> None: ...

    def unknown(self, table: Mapping[str, Any], allowed: tuple[str, ...], path: tuple[object, ...]) -> None: ...

    def number(self, value: object, path: tuple[object, ...], *, places: int, top: Decimal) -> Decimal | None: ...

    def integer(self, value: object, path: tuple[object, ...], low: int, high: int) -> int | None: ...


def check_calibration(checker: _Checker, data: Mapping[str, Any]) -> CalibrationRules | None:
    """The ``calibration`` table of ``data`` (defaults for every key not given; all of them when there is no
    table), or ``None`` after adding each problem to ``checker`` with its key path."""
    table = data.get("calibration", {})
    path: tuple[object, ...] = ("calibration",)
    if not isinstance(table, Mapping):
        checker.add(path, _l("%(key)s must be a table", key="calibration"))
        return None
    checker.unknown(table, CALIBRATION_KEYS, path)
    values: dict[str, Any] = {}
    ok = True
    for key in CALIBRATION_KEYS:
        if key not in table:
            continue
        raw, where = table[key], (*path, key)
        if key == "adjust":
            value: Any = raw if isinstance(raw, bool) else None
            if value is None:
                checker.add(where, _l("must be true or false"))
        elif key == "months":
            value = checker.integer(raw, where, 1, MAX_MONTHS)
        elif key == "min_visits":
            value = checker.integer(raw, where, 2, MAX_MIN_VISITS)
        elif key == "central_tendency":
            value = checker.number(raw, where, places=2, top=Decimal(1))
        else:
            value = checker.number(raw, where, places=2, top=Decimal(100))
        ok = ok and value is not None
        values[key] = value
    unknown = any(k not in CALIBRATION_KEYS for k in table)
    return CalibrationRules(**values) if ok and not unknown else None
