"""Rater calibration as a pure computation: each supervisor's severity against the consensus, and the flags.

No database and no Flask: plain frozen data in (:class:`Ratings`, one row per validated visit with a score) and
out (:class:`Calibration`). README "Rater calibration" says what is computed and why; in short:

* The model: visit score = hall-month effect + supervisor effect + noise, fitted by least squares. The hall-month
  effect (the hall's real quality that month) is absorbed by taking each visit's score as a deviation from the
  mean of its hall-month; what is left identifies the supervisors' effects, relative to each other, wherever two
  supervisors visited the same hall in the same month. The effects are centred so that their mean over the
  visits is 0: a severity of +8 means the supervisor scores 8 points above what the other raters would give.
  Its 95 % interval comes from the residual variance (normal errors, one variance for all raters).
* Raters must be connected: only supervisors in the largest connected part of the supervisor – hall-month
  graph, with at least ``min_visits`` connected visits there, get a severity; the others get ``None``.
* Red-line visits score 0 by rule, not by judgement: they count as visits but stay out of the model.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from operator import itemgetter

import numpy as np

from surveyapp.assessment.calibration_policy import CalibrationRules

LENIENT, SEVERE, CENTRAL_TENDENCY, TOO_PERFECT, DRIFT = "lenient", "severe", "central_tendency", "too_perfect", "drift"
#: Flags in the order they are shown.
FLAGS = (LENIENT, SEVERE, CENTRAL_TENDENCY, TOO_PERFECT, DRIFT)
#: Two-sided 95 % normal quantile, and the one-sided level of the too-perfect and drift tests.
Z95 = 1.959963984540054
PERFECT_ALPHA = 0.01
PERFECT = 100.0


@dataclass(frozen=True)
class Ratings:
    """Validated visits with a score, as columns: who rated, which hall, which month, the score, red line."""

    supervisors: tuple[int, ...]
    halls: tuple[int, ...]
    periods: tuple[str, ...]
    scores: tuple[float, ...]
    redlines: tuple[bool, ...]

    @classmethod
    def of(cls, rows: Iterable[tuple[int, int, str, float, bool]]) -> Ratings:
        """From rows ``(supervisor id, hall id, period, score 0..100, red line)``."""
        rows = list(rows)
        sups, halls, periods, scores, reds = (tuple(map(itemgetter(n), rows)) for n in range(5))
        return cls(sups, halls, periods, tuple(map(float, scores)), tuple(map(bool, reds)))


@dataclass(frozen=True)
class Rater:
    """One supervisor's calibration over the window."""

    supervisor: int
    #: Validated visits with a score in the window (red-line visits included).
    visits: int
    #: Visits in hall-months that another supervisor also visited: what a severity rests on.
    connected: int
    #: Whether the supervisor is linked to the main group of raters through shared halls (else no severity).
    in_main_group: bool
    #: Points above the consensus (positive: lenient); ``None`` when not connected or too few connected visits.
    severity: float | None
    low: float | None
    high: float | None
    #: Share of the visits that scored 100, and the other supervisors' share.
    perfect_share: float
    others_perfect_share: float | None
    #: Spread of the supervisor's scores over that of the other raters on the same halls and months.
    spread_ratio: float | None
    #: Severity by month (``None`` for a month without enough connected visits), and its slope per month.
    monthly: tuple[tuple[str, float | None], ...]
    drift_slope: float | None
    flags: tuple[str, ...]


@dataclass(frozen=True)
class Calibration:
    """Every supervisor with a visit in the window: those with a severity from the most lenient down, then
    those without one."""

    periods: tuple[str, ...]
    raters: tuple[Rater, ...]
    #: Visits in the model, and the residual standard deviation of a visit score (points).
    model_visits: int
    residual_sd: float | None
    #: The median rater's spread ratio (``central_tendency`` compares to it).
    median_spread_ratio: float | None

    def severities(self) -> dict[int, float]:
        """Supervisor id → severity, for those that have one."""
        return {r.supervisor: r.severity for r in self.raters if r.severity is not None}


@dataclass(frozen=True)
class _Fit:
    estimate: dict[int, float]
    se: dict[int, float | None]
    connected: dict[int, int]
    #: Raters in the largest connected part of the graph (before any was dropped for too few visits).
    main: set[int]
    residual_sd: float | None
    visits: int
    #: Residual degrees of freedom.
    df: int


def calibrate(ratings: Ratings, periods: Sequence[str], rules: CalibrationRules) -> Calibration:
    """The supervisors' severities and flags over the window ``periods`` (ratings of other months are ignored)."""
    window = set(periods)
    keep = np.fromiter((p in window for p in ratings.periods), bool, len(ratings.periods))
    sup = np.asarray(ratings.supervisors, dtype=np.int64)[keep]
    hall = np.asarray(ratings.halls, dtype=np.int64)[keep]
    month_of = {p: n for n, p in enumerate(periods)}
    month = np.fromiter((month_of.get(p, -1) for p in ratings.periods), np.int64, len(ratings.periods))[keep]
    score = np.asarray(ratings.scores, dtype=np.float64)[keep]
    red = np.asarray(ratings.redlines, dtype=bool)[keep]
    ids = np.unique(sup)
    if not len(ids):
        return Calibration(tuple(periods), (), 0, None, None)
    rater = np.searchsorted(ids, sup)
    group = np.unique(hall * len(periods) + month, return_inverse=True)[1]

    model = ~red
    fit = _fit(rater[model], group[model], score[model], len(ids), rules.min_visits)
    per_month_min = max(2, math.ceil(rules.min_visits / len(periods)))
    monthly = [_fit(rater[model & (month == m)], group[model & (month == m)], score[model & (month == m)], len(ids),
                    per_month_min) for m in range(len(periods))]
    spread = _spread_ratios(rater[model], group[model], score[model], len(ids))
    ratios = [r for i, r in spread.items() if fit.connected.get(i, 0) >= rules.min_visits]
    median_ratio = float(np.median(ratios)) if ratios else None
    visits = np.bincount(rater, minlength=len(ids))
    perfect = np.bincount(rater, weights=(score >= PERFECT) & ~red, minlength=len(ids))
    t = _t95(fit.df)

    out = []
    for i, supervisor in enumerate(ids.tolist()):
        estimate, se = fit.estimate.get(i), fit.se.get(i)
        low = high = None
        if estimate is not None and se is not None:
            low, high = estimate - t * se, estimate + t * se
        others_n, others_k = len(score) - visits[i], perfect.sum() - perfect[i]
        others_share = float(others_k / others_n) if others_n else None
        months = tuple((p, monthly[m].estimate.get(i)) for m, p in enumerate(periods))
        slope, slope_se = _slope([(m, monthly[m].estimate.get(i), monthly[m].se.get(i)) for m in range(len(periods))])
        rater_row = Rater(
            supervisor=supervisor, visits=int(visits[i]), connected=fit.connected.get(i, 0),
            in_main_group=i in fit.main, severity=estimate,
            low=low, high=high, perfect_share=float(perfect[i] / visits[i]), others_perfect_share=others_share,
            spread_ratio=spread.get(i), monthly=months, drift_slope=slope, flags=(),
        )
        flags = _flags(rater_row, int(perfect[i]), median_ratio, slope_se, rules)
        out.append(replace(rater_row, flags=flags))
    out.sort(key=lambda r: (r.severity is None, -(r.severity or 0.0), r.supervisor))
    return Calibration(tuple(periods), tuple(out), fit.visits, fit.residual_sd, median_ratio)


# --- the model ----------------------------------------------------------------------------------------


def _fit(rater: np.ndarray, group: np.ndarray, y: np.ndarray, raters: int, min_visits: int) -> _Fit:
    """Least squares of ``y`` on group (absorbed) and rater effects, within the largest connected part."""
    active = np.ones(raters, dtype=bool)
    first: tuple[np.ndarray, np.ndarray] | None = None
    while True:  # dropping a rater with too few visits may cut the graph: repeat until nothing changes
        use = active[rater]
        r, g = rater[use], group[use]
        connected = _connected_visits(r, g, raters)
        component = _largest_component(r, g, raters, connected)
        first = first or (connected, component)
        still = active & component & (connected >= min_visits)
        if (still == active).all():
            break
        active = still
    counts = {i: int(first[0][i]) for i in np.flatnonzero(first[0])}
    main = {i for i in np.flatnonzero(first[1]).tolist()}
    use = active[rater]
    r, g, y = rater[use], group[use], y[use]
    chosen = np.flatnonzero(active)
    if len(chosen) < 2:
        return _Fit({}, {}, counts, main, None, 0, 0)
    local = np.full(raters, -1, dtype=np.int64)
    local[chosen] = np.arange(len(chosen))
    r = local[r]
    g = np.unique(g, return_inverse=True)[1]
    s, n_groups = len(chosen), int(g.max()) + 1
    n_g = np.bincount(g, minlength=n_groups).astype(np.float64)
    mean_g = np.bincount(g, weights=y, minlength=n_groups) / n_g
    normal = _normal_matrix(r, g, n_g, s)
    rhs = np.bincount(r, weights=y - mean_g[g], minlength=s)
    weights = np.bincount(r, minlength=s).astype(np.float64)
    # Bordered system: the normal equations plus "visit-weighted mean of the effects = 0".
    bordered = np.zeros((s + 1, s + 1))
    bordered[:s, :s] = normal
    bordered[:s, s] = bordered[s, :s] = weights / weights.sum()
    inverse = np.linalg.inv(bordered)
    beta = inverse[:s, :s] @ rhs
    group_beta = np.bincount(g, weights=beta[r], minlength=n_groups) / n_g
    residual = y - mean_g[g] - beta[r] + group_beta[g]
    df = len(y) - n_groups - (s - 1)
    sigma2 = float(residual @ residual) / df if df > 0 else None
    variance = np.diag(inverse[:s, :s])
    estimate = {int(chosen[k]): float(beta[k]) for k in range(s)}
    se = {int(chosen[k]): (math.sqrt(max(0.0, sigma2 * float(variance[k]))) if sigma2 is not None else None)
          for k in range(s)}
    return _Fit(estimate, se, counts, main, math.sqrt(sigma2) if sigma2 is not None else None, len(y), df)


def _normal_matrix(r: np.ndarray, g: np.ndarray, n_g: np.ndarray, s: int) -> np.ndarray:
    """Σ over hall-months of diag(c) − c cᵀ / n, where c counts each rater's visits in the hall-month: the
    rater block of the normal equations once the hall-month effects are absorbed. Built from the (hall-month,
    rater) pairs, so it costs the number of visits, not hall-months × raters."""
    pair, count = np.unique(g * s + r, return_counts=True)
    pg, pr = pair // s, pair % s
    order = np.argsort(pg, kind="stable")
    pg, pr, count = pg[order], pr[order], count[order].astype(np.float64)
    flat = np.bincount(pr * s + pr, weights=count, minlength=s * s)
    # Pairs of raters within each hall-month: entries k and k + d of the sorted pairs, for every offset d.
    d = 0
    while True:
        same = pg[d:] == pg[:len(pg) - d] if d else np.ones(len(pg), dtype=bool)
        if not same.any():
            break
        a, b = np.flatnonzero(same), np.flatnonzero(same) + d
        w = count[a] * count[b] / n_g[pg[a]]
        flat -= np.bincount(pr[a] * s + pr[b], weights=w, minlength=s * s)
        if d:
            flat -= np.bincount(pr[b] * s + pr[a], weights=w, minlength=s * s)
        d += 1
    return flat.reshape(s, s)


def _connected_visits(r: np.ndarray, g: np.ndarray, raters: int) -> np.ndarray:
    """Each rater's visits in hall-months where another rater also has a visit."""
    if not len(r):
        return np.zeros(raters, dtype=np.int64)
    n_groups = int(g.max()) + 1
    first = np.full(n_groups, -1, dtype=np.int64)
    first[g[::-1]] = r[::-1]
    mixed = np.zeros(n_groups, dtype=bool)
    np.logical_or.at(mixed, g, r != first[g])
    return np.bincount(r[mixed[g]], minlength=raters)


def _largest_component(r: np.ndarray, g: np.ndarray, raters: int, connected: np.ndarray) -> np.ndarray:
    """The raters of the largest (by connected visits) part of the graph linking raters who share a hall-month."""
    parent = list(range(raters))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    if len(r):
        n_groups = int(g.max()) + 1
        first = np.full(n_groups, -1, dtype=np.int64)
        first[g[::-1]] = r[::-1]
        other = first[g] != r
        links = np.unique(first[g][other] * raters + r[other])
        for a, b in zip((links // raters).tolist(), (links % raters).tolist(), strict=True):
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[ra] = rb
    roots = np.array([root(x) for x in range(raters)])
    size = np.bincount(roots, weights=connected, minlength=raters)
    if not size.any():
        return np.zeros(raters, dtype=bool)
    return roots == int(np.argmax(size))


def _spread_ratios(r: np.ndarray, g: np.ndarray, y: np.ndarray, raters: int) -> dict[int, float]:
    """For each rater with shared hall-months: the standard deviation of their scores there over that of the
    other raters' scores in the same hall-months. About 1 for a rater who tells good halls from bad as the
    others do, near 0 for one who gives every hall about the same score, whatever halls they were sent to."""
    if not len(r):
        return {}
    n_groups = int(g.max()) + 1
    pair, inverse = np.unique(g * raters + r, return_inverse=True)
    pg, pr = pair // raters, pair % raters
    n_p = np.bincount(inverse).astype(np.float64)
    s_p = np.bincount(inverse, weights=y)
    q_p = np.bincount(inverse, weights=y * y)
    n_g = np.bincount(pg, weights=n_p, minlength=n_groups)
    s_g = np.bincount(pg, weights=s_p, minlength=n_groups)
    q_g = np.bincount(pg, weights=q_p, minlength=n_groups)
    shared = n_g[pg] > n_p  # another rater's visit in the hall-month
    own = [np.bincount(pr[shared], weights=v[shared], minlength=raters) for v in (n_p, s_p, q_p)]
    other = [np.bincount(pr[shared], weights=(t[pg] - v)[shared], minlength=raters)
             for t, v in ((n_g, n_p), (s_g, s_p), (q_g, q_p))]
    out = {}
    for i in np.flatnonzero((own[0] >= 2) & (other[0] >= 2)).tolist():
        mine, theirs = _sd(own[0][i], own[1][i], own[2][i]), _sd(other[0][i], other[1][i], other[2][i])
        if theirs > 0:
            out[i] = mine / theirs
    return out


def _sd(n: float, total: float, squares: float) -> float:
    return math.sqrt(max(0.0, (squares - total * total / n) / (n - 1)))


def _slope(points: Sequence[tuple[int, float | None, float | None]]) -> tuple[float | None, float | None]:
    """Weighted least-squares slope (points per month) of the monthly severities, and its standard error."""
    known = [(x, y, se) for x, y, se in points if y is not None and se]
    if len(known) < 2:
        return None, None
    w = np.array([1 / se**2 for _, _, se in known])
    x = np.array([x for x, _, _ in known], dtype=np.float64)
    y = np.array([y for _, y, _ in known])
    xm, ym = (w * x).sum() / w.sum(), (w * y).sum() / w.sum()
    sxx = (w * (x - xm) ** 2).sum()
    if sxx <= 0:
        return None, None
    return float((w * (x - xm) * (y - ym)).sum() / sxx), float(math.sqrt(1 / sxx))


# --- flags --------------------------------------------------------------------------------------------


def _flags(rater: Rater, perfect: int, median_ratio: float | None, slope_se: float | None,
           rules: CalibrationRules) -> tuple[str, ...]:
    flags = []
    threshold = float(rules.threshold)
    if rater.severity is not None and rater.low is not None and rater.high is not None:
        if rater.severity > threshold and rater.low > 0:
            flags.append(LENIENT)
        if rater.severity < -threshold and rater.high < 0:
            flags.append(SEVERE)
    if (rater.spread_ratio is not None and median_ratio and rater.connected >= rules.min_visits
            and rater.spread_ratio < float(rules.central_tendency) * median_ratio):
        flags.append(CENTRAL_TENDENCY)
    if too_perfect(perfect, rater.visits, rater.others_perfect_share, float(rules.perfect_margin) / 100,
                   rules.min_visits):
        flags.append(TOO_PERFECT)
    if (rater.drift_slope is not None and slope_se is not None and abs(rater.drift_slope) > float(rules.drift)
            and abs(rater.drift_slope) > Z95 * slope_se):
        flags.append(DRIFT)
    return tuple(flags)


def too_perfect(perfect: int, visits: int, others_share: float | None, margin: float, min_visits: int) -> bool:
    """Whether ``perfect`` 100-point visits of ``visits`` are more than ``margin`` above the others' share,
    and unlikely (one-sided binomial test at 1 %) if the supervisor's visits were like the others'."""
    if visits < min_visits or others_share is None or perfect / visits - others_share <= margin:
        return False
    return binomial_upper_tail(perfect, visits, others_share) < PERFECT_ALPHA


def binomial_upper_tail(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    terms = [math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1) + j * log_p + (n - j) * log_q
             for j in range(k, n + 1)]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


def _t95(df: int) -> float:
    """The two-sided 95 % quantile of Student's t with ``df`` degrees of freedom (Cornish–Fisher expansion;
    within 0.01 of the exact value from 5 degrees of freedom up)."""
    if df <= 0:
        return Z95
    z = Z95
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
