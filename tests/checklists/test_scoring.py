"""The scoring rules of DOMAIN.md, rule by rule, then as properties over random checklists (hypothesis)."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveyapp.checklists.definition import (
    Definition,
    EvidenceRule,
    Item,
    ItemKind,
    Section,
    VisitType,
)
from surveyapp.checklists.loader import parse
from surveyapp.checklists.scoring import (
    InvalidAnswers,
    applicable_items,
    earned_points,
    is_failed,
    needs_evidence,
    round_half_up,
    score_visit,
    validate_answers,
)
from surveyapp.org.models import HallType
from tests.checklists.samples import MINI

DEFINITION, _ = parse(MINI)
A, U = VisitType.ANNOUNCED, VisitType.UNANNOUNCED
SELF, COOP = HallType.SELF_RUN, HallType.COOPERATIVE


def item(kind: str, points: int | None = 4, **kw) -> Item:
    return Item(key=f"s.{kind}", id=kind, section_id="s", text=kind, kind=ItemKind(kind), position=1,
                points=points, per=kw.pop("per", 1 if kind == "count" else None), **kw)


# --- one rule at a time --------------------------------------------------------------------------


def test_earned_points_for_each_kind():
    check, count, scale = item("check", 3), item("count", 4, per=2), item("scale", 4)
    assert [earned_points(check, a) for a in ("pass", "fail", "na")] == [3, 0, None]
    assert [earned_points(count, n) for n in (0, 1, 2, 3, 50)] == [4, 2, 0, 0, 0]
    assert earned_points(count, "na") is None
    assert [earned_points(scale, v) for v in (0, 3, 4, "na")] == [0, 3, 4, None]
    assert earned_points(item("text", None), "看得很仔细") is None
    assert earned_points(item("staff", None), ["1001"]) is None


def test_failures_and_evidence_follow_the_answer():
    check = item("check", evidence=EvidenceRule.ON_FAIL)
    assert is_failed(check, "fail") and not is_failed(check, "pass") and not is_failed(check, "na")
    assert needs_evidence(check, "fail") and not needs_evidence(check, "pass")
    assert is_failed(item("count"), 1) and not is_failed(item("count"), 0)
    # A scale answer is a finding below the item's threshold; by default only the lowest answer (0) is.
    assert is_failed(item("scale", 4), 0) and not is_failed(item("scale", 4), 1) and not is_failed(item("scale", 4), 3)
    assert is_failed(item("scale", 4, finding_below=3), 2) and not is_failed(item("scale", 4, finding_below=3), 3)
    assert not is_failed(item("scale", 4, finding_below=9), 4)
    assert needs_evidence(item("check", evidence=EvidenceRule.REQUIRED), "pass")
    assert not needs_evidence(item("check", evidence=EvidenceRule.REQUIRED), "na")
    assert not needs_evidence(item("check", evidence=EvidenceRule.OPTIONAL), "fail")


def full_marks(**overrides):
    answers = {"appearance.uniform": "pass", "appearance.smile": 4, "conduct.taboo": 0, "conduct.roster": "pass",
               "conduct.staff": ["1001"], "conduct.notes": "服务热情"}
    answers.update(overrides)
    return {k: v for k, v in answers.items() if v is not None}


def test_a_visit_is_scored_over_its_applicable_items_with_exact_precision():
    result = score_visit(DEFINITION, A, SELF, full_marks(**{"appearance.uniform": "fail", "appearance.smile": 3}))
    # possible 2 + 4 + 4 + 2 = 12; earned 0 + 3 + 4 + 2 = 9
    assert (result.earned, result.possible, result.score) == (9, 12, Fraction(75))
    assert result.failed == ("appearance.uniform",)  # 3 of 4 on the scale is not a finding (only 0 is)
    assert [i.key for i in result.items] == ["appearance.uniform", "appearance.smile", "conduct.taboo", "conduct.roster"]
    result = score_visit(DEFINITION, A, SELF, full_marks(**{"appearance.smile": 0}))
    assert result.score == Fraction(200, 3) and round_half_up(result.score) == Decimal("66.7")


def test_items_limited_to_other_visit_or_hall_types_do_not_count():
    assert "conduct.roster" in [i.key for i in applicable_items(DEFINITION, A, SELF)]
    assert "conduct.roster" not in [i.key for i in applicable_items(DEFINITION, U, SELF)]
    assert "conduct.roster" not in [i.key for i in applicable_items(DEFINITION, A, COOP)]
    result = score_visit(DEFINITION, U, SELF, full_marks(**{"conduct.roster": None, "appearance.uniform": "fail"}))
    assert (result.earned, result.possible) == (8, 10)
    problems = validate_answers(DEFINITION, U, SELF, full_marks())
    assert [str(p) for p in problems] == ["conduct.roster: this item does not apply to this visit"]


def test_na_drops_an_item_from_both_sums():
    result = score_visit(DEFINITION, A, SELF, full_marks(**{"appearance.smile": "na", "appearance.uniform": "fail"}))
    assert (result.earned, result.possible) == (6, 8)
    assert result.item("appearance.smile").na and result.item("appearance.smile").possible is None


def test_a_failed_red_line_item_makes_the_visit_score_zero():
    result = score_visit(DEFINITION, A, SELF, full_marks(**{"conduct.taboo": 1}))
    assert result.score == 0 and result.redline and result.redline_items == ("conduct.taboo",)
    assert result.raw_score == Fraction(100 * 10, 12)  # 2 points of 4 lost on the count item
    assert [s.redline for s in result.sections] == [False, True]
    clean = score_visit(DEFINITION, A, SELF, full_marks(**{"conduct.taboo": "na"}))
    assert not clean.redline and clean.score == 100


def test_a_visit_with_nothing_possible_has_no_score():
    answers = {"appearance.uniform": "na", "appearance.smile": "na", "conduct.taboo": "na"}
    result = score_visit(DEFINITION, U, COOP, answers)
    assert (result.score, result.raw_score, result.possible) == (None, None, 0)


def test_sections_get_their_own_raw_scores():
    result = score_visit(DEFINITION, A, SELF, full_marks(**{"appearance.smile": 0, "conduct.taboo": 2}))
    appearance, conduct = result.sections
    assert (appearance.section_id, appearance.earned, appearance.possible, appearance.score) == (
        "appearance", 2, 6, Fraction(100, 3))
    assert appearance.failed == ("appearance.smile",) and not appearance.redline
    assert (conduct.earned, conduct.possible, conduct.redline) == (2, 6, True)
    assert result.score == 0


def test_a_draft_can_be_scored_and_says_what_is_unanswered():
    result = score_visit(DEFINITION, A, SELF, {"appearance.uniform": "pass"})
    assert result.unanswered == ("appearance.smile", "conduct.taboo", "conduct.roster")
    assert not result.complete and result.score == 100


@pytest.mark.parametrize(("key", "value", "message"), [
    ("appearance.uniform", "ok", "answer pass, fail or na"),
    ("appearance.uniform", True, "answer pass, fail or na"),
    ("appearance.smile", 5, "answer a whole number from 0 to 4 or na"),
    ("appearance.smile", -1, "answer a whole number from 0 to 4 or na"),
    ("appearance.smile", "3", "answer a whole number from 0 to 4 or na"),
    ("appearance.smile", 2.0, "answer a whole number from 0 to 4 or na"),
    ("conduct.taboo", -1, "answer a whole number of times from 0 to 999 or na"),
    ("conduct.taboo", True, "answer a whole number of times from 0 to 999 or na"),
    ("conduct.taboo", 1000, "answer a whole number of times from 0 to 999 or na"),
    ("conduct.notes", 12, "answer with text"),
    ("conduct.notes", "字" * 2001, "the text is too long (at most 2000 characters)"),
    ("conduct.staff", "1001", "answer with a list of job numbers"),
    ("conduct.staff", ["1001", ""], "answer with a list of job numbers"),
    ("conduct.staff", ["1" * 33], "a job number has at most 32 characters"),
    ("conduct.nothing", "pass", "this checklist has no such item"),
])
def test_each_illegal_answer_gets_a_message_at_its_item(key, value, message):
    answers = full_marks(**{key: value})
    assert [str(p) for p in validate_answers(DEFINITION, A, SELF, answers)] == [f"{key}: {message}"]
    with pytest.raises(InvalidAnswers) as refused:
        score_visit(DEFINITION, A, SELF, answers)
    assert refused.value.problems[0].key == key


def test_submitting_needs_every_scored_and_required_item_answered():
    answers = {"appearance.uniform": "pass", "conduct.taboo": 0, "conduct.notes": "  "}
    assert validate_answers(DEFINITION, A, SELF, answers) == []
    assert [str(p) for p in validate_answers(DEFINITION, A, SELF, answers, complete=True)] == [
        "appearance.smile: this item must be answered",
        "conduct.roster: this item must be answered",
        "conduct.notes: this item must be answered",
    ]
    assert validate_answers(DEFINITION, A, SELF, full_marks(**{"conduct.staff": []}), complete=True) == []


def test_rounding_is_half_up_on_the_exact_value():
    assert round_half_up(Fraction(8725, 100)) == Decimal("87.3")
    assert round_half_up(Fraction(8724999, 100000)) == Decimal("87.2")
    assert round_half_up(Fraction(200, 3), 2) == Decimal("66.67")
    assert round_half_up(Fraction(100)) == Decimal("100.0")
    assert round_half_up(Decimal("2.675"), 2) == Decimal("2.68")


# --- properties over random checklists and answers ---------------------------------------------------

visit_types = st.sampled_from(list(VisitType))
hall_types = st.sampled_from(list(HallType))


@st.composite
def definitions(draw) -> Definition:
    sections = []
    position = 0
    for s in range(draw(st.integers(1, 4))):
        items = []
        for i in range(draw(st.integers(1, 6))):
            position += 1
            kind = draw(st.sampled_from(list(ItemKind)))
            scored = kind.scored
            items.append(Item(
                key=f"s{s}.i{i}", id=f"i{i}", section_id=f"s{s}", text=f"item {i}", kind=kind, position=position,
                points=draw(st.integers(1, 10)) if scored else None,
                per=draw(st.integers(1, 5)) if kind is ItemKind.COUNT else None,
                redline=draw(st.booleans()) if kind in (ItemKind.CHECK, ItemKind.COUNT) else False,
                visit_types=draw(st.none() | st.lists(visit_types, min_size=1, max_size=3, unique=True).map(tuple)),
                hall_types=draw(st.none() | st.lists(hall_types, min_size=1, max_size=2, unique=True).map(tuple)),
            ))
        sections.append(Section(id=f"s{s}", title=f"section {s}", items=tuple(items)))
    return Definition(id="random", version=1, title="random", visit_types=tuple(VisitType), sections=tuple(sections))


def answer_values(item: Item) -> st.SearchStrategy[object]:
    if item.kind is ItemKind.CHECK:
        return st.sampled_from(["pass", "fail", "na"])
    if item.kind is ItemKind.COUNT:
        return st.just("na") | st.integers(0, 20)
    if item.kind is ItemKind.SCALE:
        return st.just("na") | st.integers(0, item.points)
    if item.kind is ItemKind.TEXT:
        return st.text(alphabet="ab 服务好", max_size=8)
    return st.lists(st.sampled_from(["1001", "1002", "2001"]), max_size=3)


@st.composite
def visits(draw, answered: bool = True):
    """A random checklist, a visit to it and legal answers to every applicable item (or a random subset)."""
    definition = draw(definitions())
    visit_type, hall_type = draw(visit_types), draw(hall_types)
    answers = {}
    for it in applicable_items(definition, visit_type, hall_type):
        if answered or draw(st.booleans()):
            answers[it.key] = draw(answer_values(it))
    return definition, visit_type, hall_type, answers


@given(visits(answered=False))
def test_scores_stay_between_0_and_100(visit):
    result = score_visit(*visit)
    assert (result.score is None) == (result.possible == 0)
    if result.score is not None:
        assert 0 <= result.score <= 100 and 0 <= result.raw_score <= 100
    for section in result.sections:
        assert section.score is None or 0 <= section.score <= 100


def pick(data, visit, wanted) -> Item | None:
    """One applicable item of the visit for which ``wanted(item)`` holds, drawn at random (``None`` if none)."""
    definition, visit_type, hall_type, _ = visit
    candidates = [it for it in applicable_items(definition, visit_type, hall_type) if wanted(it)]
    return data.draw(st.sampled_from(candidates)) if candidates else None


@given(visits(), st.data())
def test_na_on_an_item_never_changes_the_others(visit, data):
    definition, visit_type, hall_type, answers = visit
    target = pick(data, visit, lambda it: it.scored)
    if target is None:
        return
    before = score_visit(definition, visit_type, hall_type, answers)
    after = score_visit(definition, visit_type, hall_type, {**answers, target.key: "na"})
    for old, new in zip(before.items, after.items, strict=True):
        if old.key != target.key:
            assert (old.earned, old.possible, old.failed, old.redline) == (new.earned, new.possible, new.failed, new.redline)
    dropped = before.item(target.key)
    assert after.earned == before.earned - (dropped.earned or 0)
    assert after.possible == before.possible - (dropped.possible or 0)


@given(visits(), st.data())
def test_a_red_line_failure_always_gives_zero(visit, data):
    definition, visit_type, hall_type, answers = visit
    target = pick(data, visit, lambda it: it.redline)
    if target is None:
        return
    failing = "fail" if target.kind is ItemKind.CHECK else data.draw(st.integers(1, 20))
    result = score_visit(definition, visit_type, hall_type, {**answers, target.key: failing})
    assert result.score == 0 and result.redline and target.key in result.redline_items


@given(visits(), st.data())
def test_everything_right_scores_100(visit, data):
    definition, visit_type, hall_type, answers = visit
    best = dict(answers)
    for it in applicable_items(definition, visit_type, hall_type):
        if it.scored and not (best[it.key] == "na" and data.draw(st.booleans())):
            best[it.key] = {"check": "pass", "count": 0, "scale": it.points}[it.kind.value]
    result = score_visit(definition, visit_type, hall_type, best)
    assert result.score == (100 if result.possible else None)
    assert not result.redline and result.failed == ()


@given(visits(), st.data())
def test_a_better_answer_never_lowers_the_raw_score(visit, data):
    definition, visit_type, hall_type, answers = visit
    target = pick(data, visit, lambda it: it.kind is ItemKind.CHECK)
    if target is None:
        return
    worse = score_visit(definition, visit_type, hall_type, {**answers, target.key: "fail"})
    better = score_visit(definition, visit_type, hall_type, {**answers, target.key: "pass"})
    assert better.raw_score >= worse.raw_score
