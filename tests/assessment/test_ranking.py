"""The month's rules as pure functions: no database, no app (DOMAIN.md "Scoring" and "Assessment policy")."""
from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveyapp.assessment.policy import DEFAULT, RankReward
from surveyapp.assessment.ranking import (
    ChannelTally,
    HallInfo,
    Standing,
    VisitGroup,
    competition_ranks,
    evaluate,
    hall_score,
    last_placed,
    rank_rewards,
    tally,
)
from surveyapp.assessment.rewards_policy import RewardRules
from surveyapp.checklists.definition import VisitType

U, A, S = VisitType.UNANNOUNCED, VisitType.ANNOUNCED, VisitType.SUPERVISOR
NOV, OCT, SEP = "2026-11", "2026-10", "2026-09"


def group(hall: int, channel: VisitType, earned: int, possible: int = 100, visits: int = 1, redline: bool = False,
          period: str = NOV) -> VisitGroup:
    return VisitGroup(period, hall, channel, redline, possible, visits, earned * visits)


def halls(n: int) -> list[HallInfo]:
    return [HallInfo(i, f"H{i:03d}", f"营业厅{i}", "U1", "城区", "self-run") for i in range(1, n + 1)]


def month(groups: list[VisitGroup], n: int, policy=DEFAULT, periods=(NOV, OCT)):
    lines, summary = evaluate(halls(n), tally(groups), policy, list(periods))
    return {line.hall_id: line for line in lines}, summary, lines


def with_penalties(**changes):
    return dataclasses.replace(DEFAULT, penalties=dataclasses.replace(DEFAULT.penalties, **changes))


# --- visit and hall scores ------------------------------------------------------------------------------


def test_a_channel_score_is_the_mean_of_its_visit_scores_exactly():
    tallies = tally([group(1, U, 80), group(1, U, 2, possible=3), group(1, U, 91)])
    channel = tallies[NOV][1][U]
    assert channel.visits == 3 and channel.scored == 3
    assert channel.mean == (Fraction(80) + Fraction(200, 3) + Fraction(91)) / 3


def test_a_red_line_visit_scores_0_and_a_visit_with_nothing_possible_has_no_score():
    channel = tally([group(1, U, 90), group(1, U, 95, redline=True), group(1, U, 0, possible=0)])[NOV][1][U]
    assert (channel.visits, channel.scored, channel.redline_visits) == (3, 2, 1)
    assert channel.mean == 45  # (90 + 0) / 2: the red-line visit counts as 0; the empty visit does not count
    assert ChannelTally().mean is None


def test_weights_are_renormalised_over_the_channels_present():
    def score(*groups):
        return hall_score(tally(groups)[NOV][1], DEFAULT)

    assert score(group(1, U, 80), group(1, A, 90), group(1, S, 60)) == Fraction(5 * 80 + 3 * 90 + 2 * 60, 10)
    assert score(group(1, U, 80), group(1, A, 90)) == Fraction(5 * 80 + 3 * 90, 8)  # no social supervisor
    assert score(group(1, A, 90), group(1, S, 60)) == 78  # (0.3 × 90 + 0.2 × 60) / 0.5
    assert score(group(1, S, 61)) == 61
    only_unannounced_counts = dataclasses.replace(DEFAULT, weights=((U, Decimal(1)), (A, Decimal(0)), (S, Decimal(0))))
    assert hall_score(tally([group(1, A, 90)])[NOV][1], only_unannounced_counts) is None
    assert hall_score(tally([group(1, A, 90), group(1, U, 70)])[NOV][1], only_unannounced_counts) == 70


# --- ranks ------------------------------------------------------------------------------------------


def test_competition_ranking_shares_places_and_leaves_gaps():
    scores = {"a": Fraction(90), "b": Fraction(85), "c": Fraction(85), "d": Fraction(70), "e": Fraction(85)}
    assert competition_ranks(scores) == {"a": 1, "b": 2, "c": 2, "e": 2, "d": 5}
    assert competition_ranks({}) == {}
    # Full precision decides: 1/3 apart scores that would both show as 85.3 are not tied.
    assert competition_ranks({"x": Fraction(256, 3), "y": Fraction(8533, 100)}) == {"x": 1, "y": 2}


@given(st.dictionaries(st.integers(0, 50), st.fractions(0, 100, max_denominator=7), max_size=30))
def test_ranks_are_a_competition_ranking_of_the_scores(scores):
    ranks = competition_ranks(scores)
    assert set(ranks) == set(scores)
    for hall, score in scores.items():
        assert ranks[hall] == 1 + sum(1 for other in scores.values() if other > score)


def test_last_place_needs_two_assessed_and_a_gap_to_the_best():
    assert last_placed({1: Fraction(50)}) == set()
    assert last_placed({1: Fraction(80), 2: Fraction(80), 3: Fraction(80)}) == set()  # all tied: nobody is last
    assert last_placed({1: Fraction(90), 2: Fraction(70), 3: Fraction(70)}) == {2, 3}  # tied last: both are
    assert last_placed({1: Fraction(90), 2: Fraction(89)}) == {2}


# --- rewards ----------------------------------------------------------------------------------------


def test_tied_halls_share_the_rewards_of_the_places_they_occupy():
    # Default: 1st 1000, 2nd and 3rd 500 each.
    assert rank_rewards({"a": 1, "b": 1, "c": 3, "d": 4}, DEFAULT) == {
        "a": Decimal("750.00"), "b": Decimal("750.00"), "c": Decimal("500.00"), "d": Decimal("0.00")}
    assert rank_rewards({"a": 1, "b": 2, "c": 2, "d": 2}, DEFAULT) == {
        "a": Decimal("1000.00"), "b": Decimal("333.33"), "c": Decimal("333.33"), "d": Decimal("333.33")}
    assert rank_rewards({k: 1 for k in "abcd"}, DEFAULT) == dict.fromkeys("abcd", Decimal("500.00"))


@given(st.lists(st.fractions(0, 100, max_denominator=3), max_size=25),
       st.lists(st.tuples(st.integers(1, 12), st.decimals(0, 5000, places=2)), max_size=5, unique_by=lambda t: t[0]))
def test_rewards_never_add_up_to_more_than_the_policy_pays(scores, rewards):
    policy = dataclasses.replace(DEFAULT, rank_rewards=tuple(RankReward((rank,), amount) for rank, amount in rewards))
    ranks = competition_ranks(dict(enumerate(scores)))
    paid = rank_rewards(ranks, policy)
    allowed = sum((policy.reward_for_rank(place) for place in range(1, len(scores) + 1)), Decimal(0))
    assert sum(paid.values(), Decimal(0)) <= allowed
    assert allowed - sum(paid.values(), Decimal(0)) < Decimal("0.01") * max(1, len(scores))  # only fen are lost
    assert all(v >= 0 and v == v.quantize(Decimal("0.01")) for v in paid.values())
    if len(set(scores)) == len(scores):  # no ties: every place is paid exactly
        assert sum(paid.values(), Decimal(0)) == allowed


# --- a whole month ----------------------------------------------------------------------------------


def test_a_month_ranks_rewards_penalises_and_flags():
    groups = [group(1, U, 95), group(2, U, 90), group(3, U, 90), group(4, U, 70), group(4, A, 76)]
    by_id, summary, lines = month(groups, 5)
    assert [line.code for line in lines] == ["H001", "H002", "H003", "H004", "H005"]
    assert [by_id[h].rank for h in (1, 2, 3, 4)] == [1, 2, 2, 4]
    assert [by_id[h].band for h in (1, 2, 3, 4)] == ["A", "A", "A", "C"]
    assert [by_id[h].reward for h in (1, 2, 3)] == [Decimal("1000.00"), Decimal("500.00"), Decimal("500.00")]
    last = by_id[4]
    assert last.score == Fraction(5 * 70 + 3 * 76, 8) and last.flags == ("last", "below_threshold")
    assert last.penalties == {"last": Decimal("500.00"), "below_threshold": Decimal("300.00")}
    assert last.penalty == Decimal("800.00")
    missing = by_id[5]
    assert (missing.assessed, missing.rank, missing.score, missing.band, missing.reward, missing.penalty, missing.flags) == (
        False, None, None, None, Decimal("0.00"), Decimal("0.00"), ())
    assert summary.halls == 5 and summary.assessed == 4 and summary.visits == {"unannounced": 4, "announced": 1,
                                                                               "supervisor": 0}
    assert summary.mean_score == (95 + 90 + 90 + last.score) / 4
    assert summary.rewards == Decimal("2000.00") and summary.penalties == Decimal("800.00")
    assert summary.bands == {"A": 3, "B": 0, "C": 1}


def test_bands_and_the_threshold_compare_full_precision_scores():
    groups = [group(1, U, 90), group(2, U, 8999, possible=10000), group(3, U, 80), group(4, U, 7999, possible=10000)]
    by_id, _, _ = month(groups, 4)
    assert [by_id[h].band for h in (1, 2, 3, 4)] == ["A", "B", "B", "C"]  # 89.99 shows as 90.0 but is a B
    assert "below_threshold" not in by_id[3].flags and "below_threshold" in by_id[4].flags


def test_penalties_add_up():
    groups = [group(1, U, 90), group(2, U, 70), group(2, U, 80, redline=True), group(2, A, 75, redline=True)]
    by_id, summary, _ = month(groups, 2)
    hall = by_id[2]
    assert hall.redline_visits == 2 and hall.flags == ("last", "below_threshold", "redline")
    assert hall.penalties == {"last": Decimal("500.00"), "below_threshold": Decimal("300.00"),
                              "redline": Decimal("1000.00")}
    assert hall.penalty == Decimal("1800.00") == summary.penalties


def test_a_red_line_bars_the_rank_reward_and_nobody_else_gets_it():
    groups = [group(1, U, 100), group(1, A, 100), group(1, S, 95, redline=True), group(2, U, 79), group(3, U, 75)]
    by_id, summary, _ = month(groups, 3)
    best = by_id[1]
    assert best.score == 80 and best.rank == 1 and best.redline_visits == 1
    assert best.reward == 0 and best.reward_withheld == Decimal("1000.00")
    assert by_id[2].reward == by_id[3].reward == Decimal("500.00")  # ranks unchanged, the reward is not passed on
    assert summary.rewards == Decimal("1000.00")
    allowed, _, _ = month(groups, 3, policy=with_penalties(redline_bars_reward=False))
    assert allowed[1].reward == Decimal("1000.00") and allowed[1].reward_withheld == 0


def test_a_lone_hall_or_all_tied_halls_are_never_last():
    by_id, _, _ = month([group(1, U, 50)], 1)
    assert by_id[1].flags == ("below_threshold",) and "last" not in by_id[1].penalties
    by_id, _, _ = month([group(h, U, 85) for h in (1, 2, 3)], 3)
    assert all(not line.flags and not line.penalties for line in by_id.values())
    assert {line.reward for line in by_id.values()} == {Decimal("666.66")}  # (1000 + 500 + 500) / 3, rounded down


def test_halls_not_assessed_are_never_ranked_rewarded_or_penalised():
    zero_supervisors = dataclasses.replace(DEFAULT, weights=((U, Decimal("0.5")), (A, Decimal("0.5")), (S, Decimal(0))))
    groups = [group(1, U, 90), group(2, U, 95), group(3, S, 0, redline=True), group(4, U, 0, possible=0)]
    by_id, summary, lines = month(groups, 4, policy=zero_supervisors)
    assert [line.code for line in lines] == ["H002", "H001", "H003", "H004"]
    red = by_id[3]  # only a visit in a channel weighed 0: not assessed, though the red line shows
    assert not red.assessed and red.visits["supervisor"] == 1 and red.flags == ("redline",) and red.penalty == 0
    empty = by_id[4]  # a visit where nothing was possible
    assert not empty.assessed and empty.visits["unannounced"] == 1 and empty.channel_scores["unannounced"] is None
    assert by_id[1].flags == ("last",)  # last among the 2 assessed ones
    assert summary.assessed == 2 and summary.redline_visits == 1 and summary.redline_halls == 1


def test_consecutive_last_places_escalate_within_the_months_given():
    three = [NOV, OCT, SEP]
    history = [group(1, U, 90, period=p) for p in three] + [group(2, U, 60, period=p) for p in (NOV, OCT)]
    history += [group(2, U, 95, period=SEP)]
    by_id, _, _ = month(history, 2, periods=three)
    assert by_id[2].consecutive_last == 2 and by_id[2].flags == ("last", "escalate", "below_threshold")
    by_id, _, _ = month(history, 2, policy=with_penalties(escalate_after_consecutive_last=3), periods=three)
    assert "escalate" not in by_id[2].flags  # last in November and October, but not in September
    by_id, _, _ = month(history, 2, policy=with_penalties(escalate_after_consecutive_last=0), periods=three)
    assert "escalate" not in by_id[2].flags
    by_id, _, _ = month(history, 2, policy=with_penalties(escalate_after_consecutive_last=1), periods=three)
    assert "escalate" in by_id[2].flags
    not_assessed_before = [g for g in history if not (g.hall_id == 2 and g.period == OCT)]
    by_id, _, _ = month(not_assessed_before, 2, periods=three)
    assert by_id[2].consecutive_last == 1 and "escalate" not in by_id[2].flags


def test_change_from_the_previous_month():
    groups = [group(1, U, 90), group(1, U, 80, period=OCT), group(2, U, 70), group(3, U, 60, period=OCT)]
    by_id, summary, _ = month(groups, 3)
    assert by_id[1].change == 10 and by_id[1].previous_score == 80 and by_id[1].previous_rank == 1
    assert by_id[2].change is None  # not assessed last month
    assert by_id[3].change is None and by_id[3].previous_score == 60  # not assessed this month
    assert summary.previous_mean_score == 70 and summary.mean_score == 80 and summary.change == 10


def test_standing_of_an_empty_month():
    standing = Standing.of({}, DEFAULT)
    assert standing.scores == {} and standing.mean is None and standing.last == set()


@pytest.mark.parametrize(("scores", "expected"), [((90, 90), (1, 1)), ((90, 80), (1, 2))])
def test_ties_also_share_bands_and_rewards_on_a_two_hall_month(scores, expected):
    by_id, _, _ = month([group(1, U, scores[0]), group(2, U, scores[1])], 2)
    assert (by_id[1].rank, by_id[2].rank) == expected


@st.composite
def months(draw):
    """Grouped visits of up to 8 halls over November and October, with red lines and empty visits."""
    groups = []
    for hall in range(1, draw(st.integers(1, 8)) + 1):
        for period in (NOV, OCT):
            for _ in range(draw(st.integers(0, 3))):
                possible = draw(st.integers(0, 30))
                visits = draw(st.integers(1, 3))
                groups.append(VisitGroup(period, hall, draw(st.sampled_from([U, A, S])), draw(st.booleans()) and possible > 0,
                                         possible, visits, draw(st.integers(0, possible)) * visits))
    return groups


@given(months(), st.integers(0, 3), st.booleans())
def test_every_month_keeps_the_rules(groups, escalate, bars):
    policy = with_penalties(escalate_after_consecutive_last=escalate, redline_bars_reward=bars)
    n = max([g.hall_id for g in groups] + [1])
    _, summary, lines = month(groups, n, policy=policy)
    assessed = [line for line in lines if line.assessed]
    scores = {line.hall_id: line.score for line in assessed}
    assert {line.hall_id: line.rank for line in assessed} == competition_ranks(scores)
    assert lines == sorted(lines, key=lambda r: (not r.assessed, r.rank or 0, r.code))
    allowed = sum((policy.reward_for_rank(place) for place in range(1, len(assessed) + 1)), Decimal(0))
    assert sum((line.reward + line.reward_withheld for line in lines), Decimal(0)) <= allowed
    for line in lines:
        assert line.penalty == sum(line.penalties.values(), Decimal(0)) and line.penalty >= 0
        assert ("redline" in line.flags) == (line.redline_visits > 0)
        if not line.assessed:
            assert (line.rank, line.band, line.reward, line.penalty, line.reward_withheld) == (
                None, None, 0, 0, 0) and set(line.flags) <= {"redline"}
            continue
        assert 0 <= line.score <= 100
        assert ("last" in line.flags) == (len(assessed) > 1 and line.score == min(scores.values()) < max(scores.values()))
        assert ("below_threshold" in line.flags) == (line.score < 80)
        assert not (line.reward and line.reward_withheld) and (not bars or not line.redline_visits or not line.reward)
        assert ("escalate" in line.flags) == (escalate > 0 and line.consecutive_last >= escalate)
        assert line.consecutive_last <= 2 and (line.consecutive_last > 0) == ("last" in line.flags)
    assert summary.assessed == len(assessed) and summary.rewards == sum((line.reward for line in lines), Decimal(0))


# --- the remainder of a tied split ([policy.rewards] remainder) ----------------------------------------------


def six_way_tie(rule: str):
    """Six halls tied first: places 1–6 pay 1,000 + 500 + 500 = 2,000. Ids run against hall codes (id 1 is H006),
    so the stated order (hall code) is visible."""
    policy = dataclasses.replace(DEFAULT, rewards=RewardRules(rule))
    infos = [HallInfo(i, f"H{7 - i:03d}", f"营业厅{7 - i}", "U1", "城区", "self-run") for i in range(1, 7)]
    lines, summary = evaluate(infos, tally([group(i, U, 90) for i in range(1, 7)]), policy, [NOV, OCT])
    return {line.code: line.reward for line in lines}, summary


def test_by_default_the_fen_of_a_six_way_tie_are_not_paid():
    rewards, summary = six_way_tie("none")
    assert set(rewards.values()) == {Decimal("333.33")} and summary.rewards == Decimal("1999.98")


def test_first_pays_the_remainder_to_the_first_tied_hall_by_code():
    rewards, summary = six_way_tie("first")
    assert rewards == {"H001": Decimal("333.35"), **{f"H00{n}": Decimal("333.33") for n in range(2, 7)}}
    assert summary.rewards == Decimal("2000.00")


def test_spread_pays_one_fen_each_in_code_order():
    rewards, summary = six_way_tie("spread")
    assert rewards == {"H001": Decimal("333.34"), "H002": Decimal("333.34"),
                       **{f"H00{n}": Decimal("333.33") for n in range(3, 7)}}
    assert summary.rewards == Decimal("2000.00")


@given(st.integers(1, 40), st.decimals(0, 5000, places=2), st.sampled_from(["first", "spread"]))
def test_a_remainder_rule_pays_the_pool_exactly(tied, pool, rule):
    policy = dataclasses.replace(DEFAULT, rank_rewards=(RankReward((1,), pool),), rewards=RewardRules(rule))
    paid = rank_rewards(dict.fromkeys(range(tied), 1), policy)
    assert sum(paid.values(), Decimal(0)) == pool
    assert max(paid.values()) - min(paid.values()) < (Decimal("0.01") * tied if rule == "first" else Decimal("0.02"))
