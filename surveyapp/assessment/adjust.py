"""Severity-adjusted visit scores, for a policy with ``[policy.calibration] adjust = true``.

The assessment does not estimate severities itself: rater calibration lives above it (``surveyapp.insight``) and
registers a source of severities at start-up (:func:`register_severity_source`), as capabilities register
their menu entries. With the opt-in, :func:`adjusted_groups` replaces the plain grouping of
:func:`surveyapp.assessment.queries.visit_groups`: each visit scores its score minus its supervisor's severity in
the window ending with the visit's month, kept within 0..100; a red-line visit still scores 0, and a supervisor
without a severity (too few connected visits) keeps their scores. The arithmetic stays exact and in integers: a
severity counts as its value in hundredths of a point, and the adjusted visits enter
:class:`~surveyapp.assessment.ranking.ChannelTally` as integer sums like the plain ones.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveyapp.assessment.calibration_policy import CalibrationRules
from surveyapp.assessment.queries import counted_visits
from surveyapp.assessment.ranking import VisitGroup
from surveyapp.checklists.definition import VisitType
from surveyapp.visits.models import Visit

#: ``(session, period, rules)`` → supervisor id → severity in points for the window ending with ``period``.
SeveritySource = Callable[[Session, str, CalibrationRules], Mapping[int, float]]
_source: list[SeveritySource] = []


def register_severity_source(source: SeveritySource) -> None:
    """Set where severities come from (the insight capability does, at start-up)."""
    _source[:] = [source]


def severity_hundredths(value: float) -> int:
    """A severity as the assessment counts it: in hundredths of a point, rounded half-up (8.125 → 813)."""
    return int(Decimal(repr(value)).quantize(Decimal("0.01")).scaleb(2))


def adjusted_score(earned: int, possible: int, severity: int) -> Fraction:
    """``100 × earned / possible − severity / 100`` within 0..100 (``severity`` in hundredths of a point)."""
    return Fraction(_adjusted_earned(earned, possible, severity), 100 * possible)


def _adjusted_earned(earned: int, possible: int, severity: int) -> int:
    """The adjusted score × 100 × ``possible``, an integer within 0..10,000 × ``possible``."""
    return min(10_000 * possible, max(0, 10_000 * earned - severity * possible))


def adjusted_groups(session: Session, periods: Sequence[str], unit_id: int | None,
                    rules: CalibrationRules) -> list[VisitGroup]:
    """Like :func:`~surveyapp.assessment.queries.visit_groups`, with severity-adjusted visit scores.

    :raise RuntimeError: no severity source is registered (the app was not built with ``create_app``).
    """
    if not _source:
        raise RuntimeError("no severity source: the insight capability registers one at start-up")
    possible = sa.func.coalesce(Visit.possible, 0)
    earned = sa.func.coalesce(Visit.earned, 0)
    rows = session.execute(
        sa.select(Visit.period, Visit.hall_id, sa.type_coerce(Visit.type, sa.String), Visit.supervisor_id,
                  Visit.redline, possible, earned, sa.func.count())
        .where(counted_visits(periods, unit_id))
        .group_by(Visit.period, Visit.hall_id, Visit.type, Visit.supervisor_id, Visit.redline, possible, earned))
    severities = {p: {k: severity_hundredths(v) for k, v in _source[0](session, p, rules).items()} for p in periods}
    # Integer sums per (month, hall, channel, red line, possible points), as the plain grouping has: an adjusted
    # visit counts as "earned" = adjusted score × 100 × possible out of "possible" = 10,000 × possible.
    sums: dict[tuple[str, int, str, bool, int], list[int]] = defaultdict(lambda: [0, 0])
    for period, hall_id, channel, supervisor_id, redline, possible_points, earned_points, visits in rows:
        severity = severities[period].get(supervisor_id)
        if redline or not possible_points or severity is None:
            key, points = (period, hall_id, channel, bool(redline), possible_points), earned_points
        else:
            key = (period, hall_id, channel, False, 10_000 * possible_points)
            points = _adjusted_earned(earned_points, possible_points, severity)
        entry = sums[key]
        entry[0] += visits
        entry[1] += points * visits
    channels = {c.value: c for c in VisitType}
    return [VisitGroup(period, hall_id, channels[channel], redline, possible_points, visits, earned_points)
            for (period, hall_id, channel, redline, possible_points), (visits, earned_points) in sums.items()]
