"""The month's rules as pure functions over plain data: hall scores, ranks, bands, rewards, penalties, flags.

DOMAIN.md "Scoring" and "Assessment policy". The database's only job is the grouping that feeds
:func:`tally` (:mod:`surveyapp.assessment.queries`); everything here is exact arithmetic on
:class:`~fractions.Fraction` scores and :class:`~decimal.Decimal` money, testable without a database.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from functools import cached_property
from math import gcd
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

    @cached_property
    def mean(self) -> Fraction | None:
        return Fraction(self.numerator, self.denominator * self.scored) if self.scored else None


#: period → hall id → channel → tally
Tallies = dict[str, dict[int, dict[VisitType, ChannelTally]]]


def tally(groups: Iterable[VisitGroup]) -> Tallies:
    """Sum the grouped rows per month, hall and channel."""
    out: Tallies = defaultdict(lambda: defaultdict(dict))
    for group in groups:
        channels = out[group.period][group.hall_id]
        if group.channel not in channels:
            channels[group.channel] = ChannelTally()
        channels[group.channel].add(group)
    return out


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
    for channel, channel_tally in channels.items():
        mean, weight = channel_tally.mean, weights[channel]
        if mean is None or not weight:
            continue
        numerator = numerator * mean.denominator + weight * mean.numerator * denominator
        denominator *= mean.denominator
        weight_sum += weight
    return Fraction(numerator, denominator * weight_sum) if weight_sum else None


def competition_ranks(scores: Mapping[K, Fraction]) -> dict[K, int]:
    """Rank by descending score, ties sharing the best place and leaving gaps: 1, 2, 2, 4."""
    # float() is monotonic, so it orders like the fraction and decides most comparisons quickly; the
    # fraction itself settles floats that are equal.
    ordered = sorted(scores.items(), key=lambda kv: (float(kv[1]), kv[1]), reverse=True)
    ranks: dict[K, int] = {}
    for position, (key, score) in enumerate(ordered, start=1):
        previous = ordered[position - 2] if position > 1 else None
        ranks[key] = ranks[previous[0]] if previous is not None and previous[1] == score else position
    return ranks


def last_placed(scores: Mapping[K, Fraction]) -> set[K]:
    """The halls ranked last, when at least 2 are assessed and the last score is below the best."""
    if len(scores) < 2:
        return set()
    lowest, highest = min(scores.values()), max(scores.values())
    return {k for k, s in scores.items() if s == lowest} if lowest < highest else set()


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
    out = []
    for rank, keys in sorted(tied.items()):
        keys.sort(key=lambda k: order[k] if order is not None else k)
        pool = sum((policy.reward_for_rank(place) for place in range(rank, rank + len(keys))), ZERO)
        each = (pool / len(keys)).quantize(CENT, rounding=ROUND_DOWN)
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
    return {key: amount for share in shares(ranks, policy, order) for key, amount in share.amounts().items()}


@dataclass(frozen=True)
class Standing:
    """One month's ranking in a scope: scores, ranks and the halls placed last."""

    scores: dict[int, Fraction]
    ranks: dict[int, int]
    last: set[int]

    @classmethod
    def of(cls, halls: Mapping[int, Mapping[VisitType, ChannelTally]], policy: Policy) -> Standing:
        weights = scaled_weights(policy)
        scores = {h: s for h, channels in halls.items() if (s := hall_score(channels, policy, weights)) is not None}
        return cls(scores, competition_ranks(scores), last_placed(scores))

    @property
    def mean(self) -> Fraction | None:
        return sum(self.scores.values(), Fraction(0)) / len(self.scores) if self.scores else None


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


def evaluate(halls: Sequence[HallInfo], tallies: Tallies, policy: Policy,
             periods: Sequence[str]) -> tuple[list[HallResult], Summary]:
    """Every hall's line for ``periods[0]`` and the month's summary.

    :param halls: the halls to list, in any order (those with visits this month must be among them).
    :param tallies: from :func:`tally`, for ``periods`` (this month, then the months before it, newest first).
    :param periods: at least two: this month and the previous one (for the change); escalation over N
        months needs the N − 1 before this one.
    """
    standings = [Standing.of(tallies.get(p, {}), policy) for p in periods]
    now, before = standings[0], standings[1]
    this_month = tallies.get(periods[0], {})
    rewards = rank_rewards(now.ranks, policy, {hall.id: hall.code for hall in halls})
    p = policy.penalties
    threshold = Fraction(p.below_score)
    results = []
    for hall in halls:
        channels = this_month.get(hall.id, {})
        score = now.scores.get(hall.id)
        redline_visits = sum(t.redline_visits for t in channels.values())
        reward = withheld = ZERO
        penalties: dict[str, Decimal] = {}
        flags: list[str] = []
        in_a_row = consecutive_last(hall.id, standings)
        if score is not None:
            if hall.id in now.last:
                flags.append(LAST)
                penalties[LAST] = p.last_place
            if p.escalate_after_consecutive_last and in_a_row >= p.escalate_after_consecutive_last:
                flags.append(ESCALATE)
            if score < threshold:
                flags.append(BELOW_THRESHOLD)
                penalties[BELOW_THRESHOLD] = p.below_amount
            if redline_visits and p.redline_bars_reward:
                withheld = rewards[hall.id]
            else:
                reward = rewards[hall.id]
        if redline_visits:
            flags.append(REDLINE)
            if score is not None:
                penalties[REDLINE] = p.per_redline_visit * redline_visits
        results.append(HallResult(
            hall_id=hall.id, code=hall.code, name=hall.name, unit_code=hall.unit_code, unit_name=hall.unit_name,
            hall_type=hall.hall_type, assessed=score is not None,
            visits={**empty_visits(), **{c.value: t.visits for c, t in channels.items()}},
            channel_scores={c.value: channels[c].mean if c in channels else None for c in CHANNELS},
            score=score, rank=now.ranks.get(hall.id), band=None if score is None else policy.band(score),
            redline_visits=redline_visits, reward=reward, reward_withheld=withheld,
            penalties={k: v for k, v in penalties.items() if v}, flags=tuple(flags), consecutive_last=in_a_row,
            previous_score=before.scores.get(hall.id), previous_rank=before.ranks.get(hall.id),
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
        mean_score=sum((r.score for r in assessed), Fraction(0)) / len(assessed) if assessed else None,  # type: ignore[misc]
        previous_mean_score=before.mean, previous_assessed=len(before.scores), bands=bands,
        rewards=sum((r.reward for r in results), ZERO), penalties=sum((r.penalty for r in results), ZERO),
    )
