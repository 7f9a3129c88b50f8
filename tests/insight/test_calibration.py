"""The calibration model on simulated visits of known truth: halls of known quality, supervisors of known
severity, a connected design (each hall-month visited by several supervisors drawn at random)."""
from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveyapp.assessment.calibration_policy import DEFAULT_CALIBRATION, CalibrationRules
from surveyapp.insight.calibration import (
    CENTRAL_TENDENCY,
    DRIFT,
    LENIENT,
    SEVERE,
    TOO_PERFECT,
    Calibration,
    Ratings,
    binomial_upper_tail,
    calibrate,
)

PERIODS = ("2026-09", "2026-10", "2026-11")
#: How a supervisor scores a visit: (random, true hall quality that month, month index) -> score.
Rater = Callable[[random.Random, float, int], float]


def fair(severity: float, noise: float = 4.0) -> Rater:
    return lambda rng, quality, month: quality + severity + rng.gauss(0, noise)


def simulate(raters: dict[int, Rater], halls: int = 60, per_visit: int = 3, seed: int = 1,
             periods: tuple[str, ...] = PERIODS) -> Ratings:
    """Each hall has a quality (55..92 points), moving a little month by month; each hall-month is visited by
    ``per_visit`` supervisors drawn at random, so every pair of supervisors meets in many halls."""
    rng = random.Random(seed)
    rows = []
    for hall in range(halls):
        quality = rng.uniform(55, 92)
        for month, period in enumerate(periods):
            this_month = quality + rng.gauss(0, 2)
            for supervisor in rng.sample(sorted(raters), per_visit):
                score = raters[supervisor](rng, this_month, month)
                rows.append((supervisor, hall, period, max(0.0, min(100.0, score)), False))
    return Ratings.of(rows)


def by_id(result: Calibration) -> dict[int, object]:
    return {r.supervisor: r for r in result.raters}


TRUTH = {1: 8.0, 2: 0.0, 3: 0.0, 4: 0.0, 5: -6.0}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_severities_within_two_points_of_the_truth_and_flags_name_exactly_the_lenient_and_severe(seed: int) -> None:
    result = calibrate(simulate({s: fair(v) for s, v in TRUTH.items()}, seed=seed), PERIODS, DEFAULT_CALIBRATION)
    consensus = sum(TRUTH.values()) / len(TRUTH)  # severities are relative to the raters' mean
    raters = by_id(result)
    for supervisor, truth in TRUTH.items():
        rater = raters[supervisor]
        assert rater.severity == pytest.approx(truth - consensus, abs=2), supervisor
        assert rater.low < rater.severity < rater.high
        assert rater.high - rater.low < 5  # 100+ visits each: the interval is a few points wide
    assert {s: r.flags for s, r in raters.items()} == {1: (LENIENT,), 2: (), 3: (), 4: (), 5: (SEVERE,)}
    assert result.raters[0].supervisor == 1 and result.raters[-1].supervisor == 5  # most lenient first
    assert result.residual_sd == pytest.approx(4, abs=0.6)


def test_the_hall_quality_is_separated_from_the_rater() -> None:
    """A lenient supervisor sent to the worst halls and a severe one sent to the best: raw means would call the
    lenient one severe; the model does not."""
    rng = random.Random(7)
    rows = []
    for hall in range(40):
        quality = 50 + hall  # 50..89
        for period in PERIODS:
            lenient_here = hall < 20
            visitors = [1, 3] if lenient_here else [2, 3]  # 3 visits everywhere and links the two groups
            for supervisor in visitors:
                severity = {1: 6.0, 2: -6.0, 3: 0.0}[supervisor]
                rows.append((supervisor, hall, period, quality + severity + rng.gauss(0, 3), False))
    raters = by_id(calibrate(Ratings.of(rows), PERIODS, DEFAULT_CALIBRATION))
    raw_mean_1 = sum(r[3] for r in rows if r[0] == 1) / sum(1 for r in rows if r[0] == 1)
    raw_mean_2 = sum(r[3] for r in rows if r[0] == 2) / sum(1 for r in rows if r[0] == 2)
    assert raw_mean_1 < raw_mean_2  # the raw means point the wrong way
    assert raters[1].severity > 4 and raters[2].severity < -4
    assert LENIENT in raters[1].flags and SEVERE in raters[2].flags


def test_a_straight_liner_is_flagged_for_central_tendency() -> None:
    raters = {s: fair(0) for s in range(1, 6)}
    raters[6] = lambda rng, quality, month: 82 + rng.gauss(0, 0.7)  # the same score whatever the hall
    result = by_id(calibrate(simulate(raters, halls=80), PERIODS, DEFAULT_CALIBRATION))
    assert CENTRAL_TENDENCY in result[6].flags
    assert result[6].spread_ratio < 0.2
    assert all(CENTRAL_TENDENCY not in result[s].flags for s in range(1, 6))


def test_a_too_perfect_rater_is_flagged() -> None:
    raters = {s: fair(0) for s in range(1, 6)}
    raters[6] = lambda rng, quality, month: 100.0 if rng.random() < 0.5 else quality + rng.gauss(0, 4)
    result = by_id(calibrate(simulate(raters, halls=80), PERIODS, DEFAULT_CALIBRATION))
    assert TOO_PERFECT in result[6].flags
    assert result[6].perfect_share > 0.4 and result[6].others_perfect_share < 0.05
    assert all(TOO_PERFECT not in result[s].flags for s in range(1, 6))


def test_a_drifting_rater_is_flagged() -> None:
    raters = {s: fair(0) for s in range(1, 6)}
    raters[6] = lambda rng, quality, month: quality - 8 + 8 * month + rng.gauss(0, 4)  # −8, 0, +8
    result = by_id(calibrate(simulate(raters, halls=80), PERIODS, DEFAULT_CALIBRATION))
    drifting = result[6]
    assert DRIFT in drifting.flags
    assert drifting.drift_slope == pytest.approx(8, abs=2.5)
    assert [round(v) for _, v in drifting.monthly] == pytest.approx([-8, 0, 8], abs=3)
    assert all(DRIFT not in result[s].flags for s in range(1, 6))


def test_disconnected_and_too_few_raters_get_no_severity() -> None:
    ratings = simulate({s: fair(v) for s, v in TRUTH.items()})
    rows = list(zip(ratings.supervisors, ratings.halls, ratings.periods, ratings.scores, ratings.redlines, strict=True))
    # Supervisors 8 and 9 only ever meet each other, in halls nobody else visits: an island.
    rows += [(s, 1000 + h, p, 80.0 + s, False) for h in range(10) for p in PERIODS for s in (8, 9)]
    # Supervisor 10 shares only 3 hall-months with the others: fewer than min_visits.
    rows += [(10, h, "2026-11", 85.0, False) for h in range(3)]
    # Supervisor 11 visits only halls of their own.
    rows += [(11, 2000 + h, "2026-11", 70.0, False) for h in range(12)]
    result = by_id(calibrate(Ratings.of(rows), PERIODS, DEFAULT_CALIBRATION))
    for supervisor in (8, 9, 10, 11):
        rater = result[supervisor]
        assert rater.severity is None and rater.low is None and rater.high is None, supervisor
        assert not {LENIENT, SEVERE} & set(rater.flags)
    assert result[8].visits == result[8].connected == 30 and not result[8].in_main_group
    assert result[10].visits == result[10].connected == 3 and result[10].in_main_group
    assert result[11].connected == 0 and not result[11].in_main_group
    assert all(result[s].severity is not None for s in TRUTH)


def test_red_line_visits_count_as_visits_but_not_in_the_model() -> None:
    ratings = simulate({s: fair(v) for s, v in TRUTH.items()})
    rows = list(zip(ratings.supervisors, ratings.halls, ratings.periods, ratings.scores, ratings.redlines, strict=True))
    with_red = rows + [(2, h, "2026-11", 0.0, True) for h in range(10)]
    before, after = by_id(calibrate(Ratings.of(rows), PERIODS, DEFAULT_CALIBRATION)), \
        by_id(calibrate(Ratings.of(with_red), PERIODS, DEFAULT_CALIBRATION))
    assert after[2].visits == before[2].visits + 10
    assert after[2].severity == pytest.approx(before[2].severity)


def test_visits_outside_the_window_are_ignored_and_nothing_gives_an_empty_result() -> None:
    ratings = simulate({s: fair(v) for s, v in TRUTH.items()})
    only_november = calibrate(ratings, ("2026-11",), DEFAULT_CALIBRATION)
    assert sum(r.visits for r in only_november.raters) == 60 * 3
    empty = calibrate(Ratings.of([]), PERIODS, DEFAULT_CALIBRATION)
    assert empty.raters == () and empty.model_visits == 0


def test_the_threshold_comes_from_the_policy() -> None:
    ratings = simulate({s: fair(v) for s, v in TRUTH.items()})
    strict = calibrate(ratings, PERIODS, CalibrationRules(threshold=Decimal(10)))
    assert all(not {LENIENT, SEVERE} & set(r.flags) for r in strict.raters)
    lax = calibrate(ratings, PERIODS, CalibrationRules(min_visits=500))
    assert all(r.severity is None for r in lax.raters)


@given(shift=st.floats(-20, 20), seed=st.integers(0, 50))
def test_severities_do_not_depend_on_the_level_of_the_halls(shift: float, seed: int) -> None:
    ratings = simulate({s: fair(v) for s, v in TRUTH.items()}, halls=15, seed=seed)
    moved = Ratings(ratings.supervisors, ratings.halls, ratings.periods,
                    tuple(s + shift for s in ratings.scores), ratings.redlines)
    rules = CalibrationRules(min_visits=5)
    first, second = by_id(calibrate(ratings, PERIODS, rules)), by_id(calibrate(moved, PERIODS, rules))
    for supervisor in TRUTH:
        a, b = first[supervisor].severity, second[supervisor].severity
        assert (a is None and b is None) or a == pytest.approx(b, abs=1e-6)


def test_binomial_upper_tail() -> None:
    assert binomial_upper_tail(0, 10, 0.3) == 1.0
    assert binomial_upper_tail(10, 10, 0.5) == pytest.approx(1 / 1024)
    assert binomial_upper_tail(2, 3, 0.5) == pytest.approx(0.5)
    assert binomial_upper_tail(1, 5, 0.0) == 0.0
