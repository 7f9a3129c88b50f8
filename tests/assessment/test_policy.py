"""The policy file and its checker (DOMAIN.md "Assessment policy file"): exact format, every problem named,
a lossless round trip."""
from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction

import pytest
from flask_babel import force_locale
from hypothesis import given
from hypothesis import strategies as st

from surveyapp.assessment import policy as P
from surveyapp.assessment.policy import (
    DEFAULT,
    Band,
    Deadlines,
    Penalties,
    Policy,
    RankReward,
)
from surveyapp.assessment.rewards_policy import REMAINDER_RULES, RewardRules
from surveyapp.checklists.definition import VisitType

#: DOMAIN.md's example, verbatim.
DOMAIN_EXAMPLE = '''
[policy]
weights = { unannounced = 0.5, announced = 0.3, supervisor = 0.2 }
bands = { A = 90, B = 80 }                       # A >= 90, B >= 80, C below

[[policy.rank_reward]]                           # competition rank -> reward; ties share it
ranks = [1]
amount = "1000.00"
[[policy.rank_reward]]
ranks = [2, 3]
amount = "500.00"

[policy.penalties]
last_place = "500.00"           # halls ranked last, when at least 2 are assessed and their score is below the best
below_score = 80                # and a hall scoring below this ...
below_amount = "300.00"         # ... pays this; penalties add up
per_redline_visit = "500.00"    # per red-line visit in the month
redline_bars_reward = true      # a hall with a red-line visit gets no rank reward
escalate_after_consecutive_last = 2   # flag "escalate" when last in this and the previous months

[policy.deadlines]
appeal_days = 3
rectify_days = { default = 10, appearance = 2, conduct = 2 }   # by checklist section id
'''


def problems(text: str) -> list[str]:
    with force_locale("en"):
        policy, found = P.parse_toml(text)
        assert policy is None
        return [p.format("p.toml") for p in found]


def test_the_domain_example_is_the_default_policy(app):
    policy, found = P.parse_toml(DOMAIN_EXAMPLE)
    assert found == [] and policy == DEFAULT
    assert policy.band(Fraction(90)) == "A" and policy.band(Fraction(7999, 100)) == "C"
    assert policy.reward_for_rank(3) == Decimal("500.00") and policy.reward_for_rank(4) == 0
    assert policy.deadlines.rectify_days_for("appearance") == 2 and policy.deadlines.rectify_days_for("facilities") == 10


def test_every_problem_is_named_with_its_key(app):
    text = DOMAIN_EXAMPLE.replace("announced = 0.3", "announced = -0.3").replace("supervisor = 0.2", "supervisor = 0.2, phone = 1")
    text = text.replace("bands = { A = 90, B = 80 }", 'bands = { A = 80, B = 85, "优" = 101 }')
    text = text.replace("ranks = [2, 3]", "ranks = [0, 1]").replace('amount = "500.00"', 'amount = "500.005"')
    text = text.replace('last_place = "500.00"', "last_place = 500.5").replace('below_amount = "300.00"', 'below_amount = "-3"')
    text = text.replace("redline_bars_reward = true", 'redline_bars_reward = "yes"').replace("escalate_after", "escalate_afer")
    text = text.replace("appeal_days = 3", "appeal_days = 0").replace("default = 10,", "").replace("conduct = 2", "Conduct = 2")
    assert problems(text) == [
        "p.toml: policy.weights.phone: unknown channel phone (channels: unannounced, announced, supervisor)",
        "p.toml: policy.weights.announced: must be 0 or more",
        "p.toml: policy.bands.B: list bands from the highest minimum down: B (85) must be below A (80)",
        "p.toml: policy.bands.优: must be at most 100",
        "p.toml: policy.rank_reward[2].ranks: ranks are from 1 to 100000 (not 0)",
        "p.toml: policy.rank_reward[2].amount: at most 2 decimal places (fen)",
        ("p.toml: policy.penalties.escalate_afer_consecutive_last: unknown key escalate_afer_consecutive_last "
         "(allowed: last_place, below_score, below_amount, per_redline_visit, redline_bars_reward, "
         "escalate_after_consecutive_last)"),
        'p.toml: policy.penalties.last_place: write money as a string, like "500.00", so it stays exact',
        "p.toml: policy.penalties.below_amount: must be 0 or more",
        "p.toml: policy.penalties.redline_bars_reward: must be true or false",
        "p.toml: policy.penalties.escalate_after_consecutive_last: escalate_after_consecutive_last is missing",
        "p.toml: policy.deadlines.appeal_days: must be from 1 to 365",
        "p.toml: policy.deadlines.rectify_days.default: give default = N: the days for sections not listed",
        ("p.toml: policy.deadlines.rectify_days.Conduct: Conduct is not a checklist section id "
         "(lower-case letters, digits, - and _)"),
    ]


@pytest.mark.parametrize(("change", "expected"), [
    (("supervisor = 0.2 }", 'supervisor = "0.2" }'), None),
    (("unannounced = 0.5, announced = 0.3, supervisor = 0.2", "unannounced = 0, announced = 0, supervisor = 0"),
     "p.toml: policy.weights: at least one weight must be above 0"),
    (("unannounced = 0.5, ", ""), "p.toml: policy.weights.unannounced: the weight of unannounced is missing"),
    (("unannounced = 0.5", "unannounced = 0.12345"), "p.toml: policy.weights.unannounced: at most 4 decimal places"),
    (("bands = { A = 90, B = 80 }", 'bands = { "优秀" = 90, "良好" = 80 }'),
     "p.toml: policy.bands: add a band with minimum 0 for scores below 80"),
    (("bands = { A = 90, B = 80 }", "bands = {}"), "p.toml: policy.bands: give at least one band, like A = 90"),
    (("ranks = [1]", "ranks = [3]"), "p.toml: policy.rank_reward[2].ranks: rank 3 already has a reward (rank_reward 1)"),
    (("ranks = [1]", "ranks = []"), "p.toml: policy.rank_reward[1].ranks: ranks must be a list of whole numbers, like [2, 3]"),
    (("ranks = [1]", "ranks = [1, 1]"), "p.toml: policy.rank_reward[1].ranks: rank 1 is listed twice"),
    (('amount = "1000.00"', 'amount = "1,000"'), 'p.toml: policy.rank_reward[1].amount: must be an amount of money, like "500.00"'),
    (('amount = "1000.00"', ""), "p.toml: policy.rank_reward[1].amount: amount is missing"),
    (("below_score = 80", "below_score = 80.125"), "p.toml: policy.penalties.below_score: at most 2 decimal places"),
    (("escalate_after_consecutive_last = 2", "escalate_after_consecutive_last = 2.5"),
     "p.toml: policy.penalties.escalate_after_consecutive_last: must be a whole number"),
    (("[policy.deadlines]", "[policy.deadline]"),
     "p.toml: policy.deadline: unknown key deadline (allowed: weights, bands, rank_reward, rewards, penalties, deadlines, calibration, stars)"),
    (("[policy]", "[policy]\nextra = 1"),
     "p.toml: policy.extra: unknown key extra (allowed: weights, bands, rank_reward, rewards, penalties, deadlines, calibration, stars)"),
    (("[policy]", "[rules]"), "p.toml: unknown table [rules] (the file has one table, [policy])"),
    (("appeal_days = 3", "appeal_days = 3\nappeal_days = 4"),
     "p.toml: not valid TOML: Cannot overwrite a value (at line 23, column 16)"),
    (("[policy.penalties]", '[policy.rewards]\nremainder = "largest"\n\n[policy.penalties]'),
     "p.toml: policy.rewards.remainder: must be one of \"none\", \"first\" or \"spread\" (not 'largest')"),
    (("[policy.penalties]", '[policy.rewards]\nremainder = "none"\nto = "H001"\n\n[policy.penalties]'),
     "p.toml: policy.rewards.to: unknown key to (allowed: remainder)"),
])
def test_each_rule_has_its_message(app, change, expected):
    text = DOMAIN_EXAMPLE.replace(*change)
    if expected is None:
        assert P.parse_toml(text) == (DEFAULT, [])
    else:
        assert expected in problems(text)


def test_the_remainder_rule_is_none_unless_the_policy_says_otherwise(app):
    assert P.parse_toml(DOMAIN_EXAMPLE)[0].rewards.remainder == "none"
    text = DOMAIN_EXAMPLE.replace("[policy.penalties]", '[policy.rewards]\nremainder = "spread"\n\n[policy.penalties]')
    policy, found = P.parse_toml(text)
    assert found == [] and policy.rewards.remainder == "spread"
    assert P.diff(DEFAULT, policy) == [P.Change("rewards.remainder", "none", "spread")]
    with force_locale("zh_CN"):
        assert [str(p) for p in P.parse_toml(text.replace('"spread"', '"all"'))[1]] == [
            'policy.rewards.remainder: 只能是 "none"、"first" 或 "spread"（不能是 \'all\'）']


def test_the_lowest_band_is_implied_only_after_a_letter(app):
    policy, _ = P.parse_toml(DOMAIN_EXAMPLE.replace("bands = { A = 90, B = 80 }", 'bands = { "优秀" = 90, "良好" = 75, "一般" = 0 }'))
    assert policy.bands == (Band("优秀", Decimal(90)), Band("良好", Decimal(75)), Band("一般", Decimal(0)))
    policy, _ = P.parse_toml(DOMAIN_EXAMPLE.replace("bands = { A = 90, B = 80 }", "bands = { A = 85.5 }"))
    assert [b.name for b in policy.bands] == ["A", "B"]


def test_messages_are_chinese_by_default(app):
    _, found = P.parse_toml(DOMAIN_EXAMPLE.replace('last_place = "500.00"', "last_place = 500.5"))
    assert [str(p) for p in found] == ['policy.penalties.last_place: 金额请写成带引号的字符串（如 "500.00"），以保证精确']


# --- round trips ------------------------------------------------------------------------------------

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20).map(str.strip).filter(bool)
weights = st.decimals(0, 100, places=4, allow_nan=False)
money = st.decimals(0, Decimal("9999999999.99"), places=2, allow_nan=False)


@st.composite
def policies(draw):
    minimums = sorted(draw(st.sets(st.decimals(Decimal("0.01"), 100, places=2), min_size=0, max_size=5)), reverse=True)
    band_names = draw(st.lists(names, min_size=len(minimums) + 1, max_size=len(minimums) + 1, unique=True))
    ranks = draw(st.lists(st.integers(1, 200), unique=True, max_size=12))
    cut = sorted(draw(st.sets(st.integers(1, max(1, len(ranks))), max_size=3)))
    groups = [ranks[a:b] for a, b in zip([0, *cut], [*cut, len(ranks)], strict=True) if ranks[a:b]]
    chosen = [draw(weights) for _ in P.CHANNELS]
    if not any(chosen):
        chosen[0] = Decimal(1)
    sections = draw(st.lists(st.from_regex(r"[a-z0-9]{1,8}(?:[-_][a-z0-9]{1,5})?", fullmatch=True).filter(
        lambda s: s != "default"), unique=True, max_size=4))
    return Policy(
        weights=tuple(zip(P.CHANNELS, chosen, strict=True)),
        bands=tuple(Band(n, m) for n, m in zip(band_names, [*minimums, Decimal(0)], strict=True)),
        rank_rewards=tuple(RankReward(tuple(sorted(g)), draw(money)) for g in groups),
        penalties=Penalties(draw(money), draw(st.decimals(0, 100, places=2)), draw(money), draw(money), draw(st.booleans()),
                            draw(st.integers(0, 24))),
        deadlines=Deadlines(draw(st.integers(1, 365)),
                            (("default", draw(st.integers(1, 365))), *((s, draw(st.integers(1, 365))) for s in sections))),
        rewards=RewardRules(draw(st.sampled_from(REMAINDER_RULES))),
    )


@given(policies())
def test_export_loads_back_to_the_same_policy(policy):
    loaded, found = P.parse_toml(policy.to_toml(header=["version 7", "by 张三"]))
    assert found == [] and loaded == policy
    assert Policy.from_json(policy.to_json()) == policy


def test_policy_json_keeps_money_exact():
    data = DEFAULT.to_json()
    assert data["rank_rewards"][0] == {"ranks": [1], "amount": "1000.00"}
    assert data["weights"] == {"unannounced": "0.5", "announced": "0.3", "supervisor": "0.2"}
    with pytest.raises(ValueError):
        Policy.from_json({**data, "schema": 99})


def test_diff_lists_what_changed_in_file_order():
    new = dataclasses.replace(
        DEFAULT, weights=((VisitType.UNANNOUNCED, Decimal("0.6")), *DEFAULT.weights[1:]),
        rank_rewards=(RankReward((1,), Decimal("1000.00")), RankReward((2,), Decimal("800.00"))),
        deadlines=Deadlines(3, (("default", 10), ("appearance", 2), ("facilities", 10))))
    assert [(c.key, c.old, c.new) for c in P.diff(DEFAULT, new)] == [
        ("weights.unannounced", "0.5", "0.6"),
        ("rank_reward.2", "500.00", "800.00"),
        ("deadlines.rectify_days.facilities", None, "10"),
        ("rank_reward.3", "500.00", None),
        ("deadlines.rectify_days.conduct", "2", None),
    ]
    assert P.diff(DEFAULT, DEFAULT) == []
    assert len(P.diff(None, DEFAULT)) == len(P.settings(DEFAULT))


def test_text_the_database_cannot_store_is_refused_naming_its_key(app):
    text = DOMAIN_EXAMPLE.replace("[policy]", '[policy]\nnote = "a\\u001bb"', 1)
    assert problems(text) == [("p.toml: policy.note: it contains the character U+001B at position 2, which is not "
                              "accepted (control characters other than tab and line breaks, and broken emoji, cannot be stored)")]
