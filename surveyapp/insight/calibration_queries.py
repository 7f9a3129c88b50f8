"""Rater calibration's reads and its public API: the window's validated visits in, a :class:`Report` out.

Usage (the calibration page, ``flask calibration``, and the assessment's severity-adjusted scores)::

    from surveyapp.insight import calibration_queries as calibration

    report = calibration.month_report(session, "2026-11")            # the policy's window (default 3 months)
    report = calibration.month_report(session, "2026-11", months=6)
    for line in report.lines:                                          # most lenient first, then no severity
        line.username, line.name, line.rater.severity, line.rater.low, line.rater.high, line.rater.flags
    report.to_json()                                                   # the ``flask calibration --json`` shape

It reads only each visit's cached score (``Visit.score``, written by the scoring engine with its answers), so a
window of 5,000 halls is one indexed query over the visit rows.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from surveyapp.assessment import services as assessment
from surveyapp.assessment.calibration_policy import MAX_MONTHS, CalibrationRules
from surveyapp.assessment.policy import Policy
from surveyapp.auth.models import User
from surveyapp.db import plain_rows
from surveyapp.errors import ValidationError
from surveyapp.insight.calibration import Calibration, Rater, Ratings, calibrate
from surveyapp.visits.models import Visit, VisitStatus


def ratings(session: Session, periods: list[str]) -> Ratings:
    """The validated visits with a score of the months ``periods``: supervisor, hall, month, score, red line."""
    # The driver's own tuples (120,000 rows): Ratings.of makes the scores floats and the red lines booleans.
    rows = plain_rows(session, sa.select(
        Visit.supervisor_id, Visit.hall_id, Visit.period, sa.cast(Visit.score, sa.Float), Visit.redline)
        .where(Visit.status == VisitStatus.VALIDATED, Visit.period.in_(periods), Visit.score.is_not(None)))
    return Ratings.of(rows)


def window(period: str, months: int) -> list[str]:
    """The ``months`` months ending with ``period``, oldest first."""
    return [assessment.shift_period(period, -n) for n in range(months - 1, -1, -1)]


def parse_months(value: object) -> int:
    """A window length from a query string or the command line.

    :raise ValidationError: not a whole number from 1 to 12, naming the field.
    """
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_MONTHS:
        raise ValidationError(_("Months: %(value)s is not a number of months from 1 to %(n)s.", value=value,
                                n=MAX_MONTHS))
    return int(text)


@dataclass(frozen=True)
class Line:
    """A supervisor's line of the report: who, and their calibration."""

    supervisor_id: int
    username: str
    name: str
    rater: Rater

    def to_json(self) -> dict[str, Any]:
        r = self.rater
        return {"username": self.username, "visits": r.visits, "severity": _points(r.severity), "low": _points(r.low),
                "high": _points(r.high), "flags": list(r.flags)}


@dataclass(frozen=True)
class Report:
    """A month's calibration: the window, the rules applied and one line per supervisor with a visit in it."""

    period: str
    months: int
    periods: tuple[str, ...]
    rules: CalibrationRules
    calibration: Calibration
    lines: tuple[Line, ...]

    def to_json(self) -> dict[str, Any]:
        """``{"period", "months", "supervisors": [{"username", "visits", "severity", "low", "high", "flags"}]}``."""
        return {"period": self.period, "months": self.months, "supervisors": [line.to_json() for line in self.lines]}


def month_report(session: Session, period: str, months: int | None = None,
                 policy: Policy | None = None) -> Report:
    """Every supervisor's severity and flags over the ``months`` months ending with ``period`` (the policy's
    window when not given), with the thresholds of ``policy`` (the current one when not given).

    :raise ValidationError: ``period`` is not a month, or ``months`` is not from 1 to 12.
    """
    period = assessment.parse_period(period)
    rules = (policy or assessment.current_policy(session).policy).calibration
    months = rules.months if months is None else parse_months(months)
    periods = window(period, months)
    result = calibrate(ratings(session, periods), periods, rules)
    people = {u.id: u for u in session.scalars(
        sa.select(User).where(User.id.in_([r.supervisor for r in result.raters])))}
    lines = tuple(Line(r.supervisor, people[r.supervisor].username, people[r.supervisor].display_name, r)
                  for r in result.raters)
    return Report(period, months, tuple(periods), rules, result, lines)


def severities(session: Session, period: str, rules: CalibrationRules) -> Mapping[int, float]:
    """Supervisor id → severity over the window of ``rules`` ending with ``period`` (those that have one): the
    assessment's source for severity-adjusted scores."""
    periods = window(period, rules.months)
    return calibrate(ratings(session, periods), periods, rules).severities()


def _points(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
