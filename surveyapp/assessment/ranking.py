"""The month's rules as pure functions over plain data: hall scores, ranks, bands, rewards, penalties, flags.

DOMAIN.md "Scoring" and "Assessment policy". The database's only job is the grouping that feeds
:func:`tally` (:mod:`surveyapp.assessment.queries`); everything here is exact arithmetic on
:class:`~fractions.Fraction` scores and :class:`~decimal.Decimal` money, testable without a database.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from math import gcd, lcm
from typing import Any, NamedTuple, TypeVar

from surveyapp.assessment import rewards_policy
from surveyapp.assessment.policy import CENT, CHANNELS, WEIGHT_PLACES, Policy
from surveyapp.assessment.results import (
    BELOW_THRESHOLD,
    ESCALATE,
    LAST,
    REDLINE,
    HallResult,
    Summary,
    empty_visits,
)
from surveyapp.checklists.definition import VisitType

K = TypeVar("K")
ZERO = Decimal("0.00")


class VisitGroup(NamedTuple):
    """One row of the SQL grouping: a hall's validated visits of one month and channel that share their
    red-line state and their possible points (so their scores add up exactly from integer sums)."""

    period: str
    hall_id: int
    channel: VisitType
    redline: bool
    #: Σ possible points of each of these visits (0: nothing was possible, the visits have no score).
    possible: int
    visits: int
    #: Σ earned points over these visits.
    earned: int


@dataclass
class ChannelTally:
    """A hall's validated visits of one channel in one month (filled by :func:`tally`, then only read)."""

    visits: int = 0
    #: Visits with a score (something was possible).
    scored: int = 0
    redline_visits: int = 0
    #: Σ visit scores as the reduced fraction ``numerator / denominator`` (plain integers: exact and quick).
    numerator: int = 0
    denominator: int = 1

    def add(self, group: VisitGroup) -> None:
        self.visits += group.visits
        if group.redline:
            self.redline_visits += group.visits
        if not group.possible:
            return
        self.scored += group.visits
        if not group.redline:  # a red-line visit scores 0; others 100 × earned / possible each
            n = self.numerator * group.possible + 100 * group.earned * self.denominator
            d = self.denominator * group.possible
            g = gcd(n, d)
            self.numerator, self.denominator = n // g, d // g

    @property
    def total(self) -> Fraction:
        """Σ visit scores."""
        return Fraction(self.numerator, self.denominator)

    @property
    def mean(self) -> Fraction | None:
        return Fraction(self.numerator, self.denominator * self.scored) if self.scored else None


#: period → hall id → channel → tally
Tallies = dict[str, dict[int, dict[VisitType, ChannelTally]]]
#: A channel by itself or by its text (the grouping's rows may give either).
_CHANNEL = {**{c: c for c in VisitType}, **{c.value: c for c in VisitType}}
_CHANNEL_PAIRS = tuple((c, c.value) for c in CHANNELS)
_CHANNEL_VALUES = tuple(value for _, value in _CHANNEL_PAIRS)


def tally(groups: Iterable[VisitGroup | tuple[Any, ...]]) -> Tallies:
    """Sum the grouped rows per month, hall and channel.

    The rows are :class:`VisitGroup` or plain tuples in its order (the channel as a ``VisitType`` or its text,
    the red line as a boolean or 0/1): a month of 5,000 halls has about one row per visit, so the sums are
    kept in plain lists and each channel's Σ scores is reduced once at the end (the same fraction as adding
    the groups one by one with :meth:`ChannelTally.add`).
    """
    # period, hall id, channel → [visits, scored, red-line visits, Σ scores numerator, denominator]
    sums: dict[tuple[str, int, Any], list[int]] = {}
    for period, hall_id, channel, redline, possible, visits, earned in groups:
        key = (period, hall_id, channel)
        acc = sums.get(key)
        if acc is None:
            acc = sums[key] = [0, 0, 0, 0, 1]
        acc[0] += visits
        if redline:
            acc[2] += visits
        if possible:
            acc[1] += visits
            if not redline:  # a red-line visit scores 0; others 100 × earned / possible each
                acc[3] = acc[3] * possible + 100 * earned * acc[4]
                acc[4] *= possible
    out: Tallies = defaultdict(lambda: defaultdict(dict))
    for (period, hall_id, channel), (visits, scored, redline_visits, numerator, denominator) in sums.items():
        g = gcd(numerator, denominator)
        out[period][hall_id][_CHANNEL[channel]] = ChannelTally(visits, scored, redline_visits, numerator // g,
                                                              denominator // g)
    return out


def exact_mean(values: Iterable[Fraction]) -> Fraction | None:
    """The mean of ``values`` exactly (``None`` for none): one integer sum over their least common denominator
    instead of a fraction reduced after each of 5,000 additions (the same value, a fifth of the time)."""
    values = list(values)
    if not values:
        return None
    common = lcm(*(v.denominator for v in values))
    return Fraction(sum(v.numerator * (common // v.denominator) for v in values), common * len(values))


def scaled_weights(policy: Policy) -> dict[VisitType, int]:
    """The weights as integers (× 10⁴; weights have at most 4 decimals): the scale cancels out of the score."""
    return {channel: int(weight.scaleb(WEIGHT_PLACES)) for channel, weight in policy.weights}


def hall_score(channels: Mapping[VisitType, ChannelTally], policy: Policy,
               weights: Mapping[VisitType, int] | None = None) -> Fraction | None:
    """Σ w_c × mean_c / Σ w_c over the channels with a scored visit; ``None`` when there is none, or when
    only channels the policy weighs 0 have one (the hall is then not assessed).

    :param weights: :func:`scaled_weights` of ``policy``, when the caller scores many halls.
    """
    weights = weights or scaled_weights(policy)
    numerator, denominator, weight_sum = 0, 1, 0
    for channel, t in channels.items():
        weight = weights[channel]
        if not t.scored or not weight:
            continue
        # The channel's mean is t.numerator / (t.denominator × t.scored); the score's fraction reduces it once.
        d = t.denominator * t.scored
        numerator = numerator * d + weight * t.numerator * denominator
        denominator *= d
        weight_sum += weight
    return Fraction(numerator, denominator * weight_sum) if weight_sum else None


def scores_of(halls: Mapping[int, Mapping[VisitType, ChannelTally]], policy: Policy) -> dict[int, Fraction]:
    """The assessed halls' scores (halls without a score left out)."""
    weights = scaled_weights(policy)
    return {h: s for h, channels in halls.items() if (s := hall_score(channels, policy, weights)) is not None}


def competition_ranks(scores: Mapping[K, Fraction], floats: Mapping[K, float] | None = None) -> dict[K, int]:
    """Rank by descending score, ties sharing the best place and leaving gaps: 1, 2, 2, 4.

    :param floats: ``float(score)`` by key, when the caller has them (:class:`Standing`).
    """
    floats = floats if floats is not None else {k: float(s) for k, s in scores.items()}
    # float() is monotonic, so it orders like the fraction; the fractions themselves settle the (rare) runs of
    # equal floats, which keeps the sort and the comparisons on plain floats.
    ordered = sorted(scores, key=floats.__getitem__, reverse=True)
    ranks: dict[K, int] = {}
    start = 0
    while start < len(ordered):
        end = start + 1
        while end < len(ordered) and floats[ordered[end]] == floats[ordered[start]]:
            end += 1
        run = sorted(ordered[start:end], key=scores.__getitem__, reverse=True) if end - start > 1 else ordered[start:end]
        for offset, key in enumerate(run):
            previous = run[offset - 1] if offset else None
            ranks[key] = ranks[previous] if previous is not None and scores[previous] == scores[key] else start + offset + 1
        start = end
    return ranks


def last_placed(scores: Mapping[K, Fraction], floats: Mapping[K, float] | None = None) -> set[K]:
    """The halls ranked last, when at least 2 are assessed and the last score is below the best."""
    if len(scores) < 2:
        return set()
    floats = floats if floats is not None else {k: float(s) for k, s in scores.items()}
    low, high = min(floats.values()), max(floats.values())
    # The exact extremes are among the scores with the extreme floats.
    lowest = min(scores[k] for k, f in floats.items() if f == low)
    highest = max(scores[k] for k, f in floats.items() if f == high)
    return {k for k, f in floats.items() if f == low and scores[k] == lowest} if lowest < highest else set()


@dataclass(frozen=True)
class Share:
    """Halls tied at ``rank`` sharing ``pool``: ``each`` is the pool divided among them, rounded down to the fen;
    ``paid`` is what each of ``keys`` (in the policy's stated order: hall code) gets after the policy's
    ``[policy.rewards] remainder`` rule; ``remainder`` is what is left unpaid."""

    rank: int
    keys: tuple[Any, ...]
    pool: Decimal
    each: Decimal
    paid: tuple[Decimal, ...]
    rule: str = rewards_policy.NONE

    @property
    def left(self) -> Decimal:
        """The fen the rounding down leaves, before the remainder rule (0.02 for 2,000 six ways)."""
        return self.pool - self.each * len(self.keys)

    @property
    def remainder(self) -> Decimal:
        """What is not paid out."""
        return self.pool - sum(self.paid, ZERO)

    def amounts(self) -> dict[Any, Decimal]:
        return dict(zip(self.keys, self.paid, strict=True))


def shares(ranks: Mapping[K, int], policy: Policy, order: Mapping[K, Any] | None = None) -> list[Share]:
    """The rank rewards by place before any bar: halls tied at rank r with k halls occupy places
    r … r + k − 1 and share the sum of those places' rewards equally, rounded down to the fen (so the
    rewards never add up to more than the policy pays). The fen left over go as the policy's
    ``rewards.remainder`` says, to the tied halls in ``order`` (hall code by key; the key itself without it)."""
    tied: dict[int, list[K]] = defaultdict(list)
    for key, rank in ranks.items():
        tied[rank].append(key)
    rule = policy.rewards.remainder
    # Only the places the policy names pay; thousands of places after them share nothing.
    places = {place: r.amount for r in reversed(policy.rank_rewards) for place in r.ranks}
    out = []
    for rank, keys in sorted(tied.items()):
        keys.sort(key=lambda k: order[k] if order is not None else k)
        pool = sum((places[place] for place in range(rank, rank + len(keys)) if place in places), ZERO)
        each = (pool / len(keys)).quantize(CENT, rounding=ROUND_DOWN) if pool else ZERO
        paid = [each] * len(keys)
        left = pool - each * len(keys)
        if left and rule == rewards_policy.FIRST:
            paid[0] += left
        elif left and rule == rewards_policy.SPREAD:
            for n in range(int(left / CENT)):  # fewer fen than halls: one each, in order
                paid[n] += CENT
        out.append(Share(rank, tuple(keys), pool, each, tuple(paid), rule))
    return out


def rank_rewards(ranks: Mapping[K, int], policy: Policy, order: Mapping[K, Any] | None = None) -> dict[K, Decimal]:
    """The rank reward of each hall before any bar (see :func:`shares`)."""
    # Halls placed after the last paid place get nothing: only the others are shared out.
    last_paid = max((place for r in policy.rank_rewards for place in r.ranks), default=0)
    out = dict.fromkeys(ranks, ZERO)
    paid = {key: rank for key, rank in ranks.items() if rank <= last_paid}
    out.update({key: amount for share in shares(paid, policy, order) for key, amount in share.amounts().items()})
    return out


@dataclass(frozen=True)
class Standing:
    """One month's ranking in a scope: scores, ranks and the halls placed last."""

    scores: dict[int, Fraction]
    ranks: dict[int, int]
    last: set[int]
    #: ``float(score)`` by hall, which orders like the scores (for quick comparisons settled exactly when equal).
    floats: dict[int, float] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, halls: Mapping[int, Mapping[VisitType, ChannelTally]], policy: Policy) -> Standing:
        scores = scores_of(halls, policy)
        floats = {h: float(s) for h, s in scores.items()}
        return cls(scores, competition_ranks(scores, floats), last_placed(scores, floats), floats)

    @property
    def mean(self) -> Fraction | None:
        return exact_mean(self.scores.values())


@dataclass(frozen=True)
class HallInfo:
    """What the results show of a hall besides its numbers."""

    id: int
    code: str
    name: str
    unit_code: str
    unit_name: str
    hall_type: str


def consecutive_last(hall_id: int, standings: Sequence[Standing]) -> int:
    """Months in a row, from the first of ``standings`` (this month) backwards, in which the hall was last."""
    count = 0
    for standing in standings:
        if hall_id not in standing.last:
            break
        count += 1
    return count


def evaluate(halls: Sequence[HallInfo], tallies: Tallies, policy: Policy, periods: Sequence[str],
             earlier: Sequence[Standing] | None = None) -> tuple[list[HallResult], Summary]:
    """Every hall's line for ``periods[0]`` and the month's summary.

    :param halls: the halls to list, in any order (those with visits this month must be among them).
    :param tallies: from :func:`tally`, for ``periods`` (this month, then the months before it, newest first).
    :param periods: at least two: this month and the previous one (for the change); escalation over N
        months needs the N − 1 before this one.
    :param earlier: the standings of ``periods[1:]`` when the caller has them (then ``tallies`` needs this month
        only): the months before only give scores, ranks and last places.
    """
    standings = [Standing.of(tallies.get(periods[0], {}), policy), *(
        earlier if earlier is not None else [Standing.of(tallies.get(p, {}), policy) for p in periods[1:]])]
    now, before = standings[0], standings[1]
    this_month = tallies.get(periods[0], {})
    rewards = rank_rewards(now.ranks, policy, {hall.id: hall.code for hall in halls})
    p = policy.penalties
    threshold = Fraction(p.below_score)
    no_visits = dict.fromkeys(_CHANNEL_VALUES, 0)
    results = []
    for hall in halls:
        hall_id = hall.id
        channels = this_month.get(hall_id)
        score = now.scores.get(hall_id)
        redline_visits = 0
        visits, channel_scores = dict(no_visits), dict.fromkeys(_CHANNEL_VALUES)
        if channels:
            for channel, t in channels.items():
                redline_visits += t.redline_visits
                visits[channel.value] = t.visits
            channel_scores = {value: channels[c].mean if c in channels else None for c, value in _CHANNEL_PAIRS}
        reward = withheld = ZERO
        penalties: dict[str, Decimal] = {}
        flags: list[str] = []
        in_a_row = consecutive_last(hall_id, standings)
        band = None
        if score is not None:
            approx = now.floats[hall_id]
            band = policy.band(score, approx)
            if hall_id in now.last:
                flags.append(LAST)
                penalties[LAST] = p.last_place
            if p.escalate_after_consecutive_last and in_a_row >= p.escalate_after_consecutive_last:
                flags.append(ESCALATE)
            if score < threshold:
                flags.append(BELOW_THRESHOLD)
                penalties[BELOW_THRESHOLD] = p.below_amount
            if redline_visits and p.redline_bars_reward:
                withheld = rewards[hall_id]
            else:
                reward = rewards[hall_id]
        if redline_visits:
            flags.append(REDLINE)
            if score is not None:
                penalties[REDLINE] = p.per_redline_visit * redline_visits
        results.append(HallResult(
            hall_id=hall_id, code=hall.code, name=hall.name, unit_code=hall.unit_code, unit_name=hall.unit_name,
            hall_type=hall.hall_type, assessed=score is not None, visits=visits, channel_scores=channel_scores,
            score=score, rank=now.ranks.get(hall_id), band=band, redline_visits=redline_visits, reward=reward,
            reward_withheld=withheld, penalties={k: v for k, v in penalties.items() if v} if penalties else penalties,
            flags=tuple(flags), consecutive_last=in_a_row, previous_score=before.scores.get(hall_id),
            previous_rank=before.ranks.get(hall_id),
        ))
    results.sort(key=lambda r: (not r.assessed, r.rank or 0, r.code))
    return results, summarize(results, policy, before)


def summarize(results: Sequence[HallResult], policy: Policy, before: Standing) -> Summary:
    assessed = [r for r in results if r.assessed]
    bands = {b.name: 0 for b in policy.bands}
    for r in assessed:
        bands[r.band] += 1  # type: ignore[index]
    visits = empty_visits()
    for r in results:
        for channel, n in r.visits.items():
            visits[channel] += n
    return Summary(
        halls=len(results), assessed=len(assessed), visits=visits,
        redline_visits=sum(r.redline_visits for r in results),
        redline_halls=sum(1 for r in results if r.redline_visits),
        mean_score=exact_mean(r.score for r in assessed),  # type: ignore[misc]
        previous_mean_score=before.mean, previous_assessed=len(before.scores), bands=bands,
        rewards=sum((r.reward for r in results), ZERO), penalties=sum((r.penalty for r in results), ZERO),
    )
