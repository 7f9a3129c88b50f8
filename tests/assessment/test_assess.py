"""``assess`` on real databases: visits made through the visits services, months, scopes, policy versions."""
from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction

import pytest
import sqlalchemy as sa

from surveyapp.assessment import services
from surveyapp.assessment.models import PolicyVersion
from surveyapp.assessment.policy import DEFAULT
from surveyapp.assessment.results import MonthResults
from surveyapp.auth.models import Role
from surveyapp.checklists.definition import VisitType
from surveyapp.db import db
from surveyapp.errors import Conflict, NotFound, PermissionDenied, ValidationError
from surveyapp.visits.models import Answer, Visit
from tests.assessment.conftest import at

NOV, OCT, SEP = "2026-11", "2026-10", "2026-09"


@pytest.fixture
def tree(make_unit):
    """Company C with branch B1 (county B1-1 below it) and branch B2."""
    company = make_unit("C", "全市")
    b1 = make_unit("B1", "城区分公司", parent=company)
    return {"C": company, "B1": b1, "B1-1": make_unit("B1-1", "城北支局", parent=b1),
            "B2": make_unit("B2", "郊县分公司", parent=company)}


def test_only_validated_visits_of_the_month_count(make_hall, make_scored_visit):
    hall, other = make_hall("H1"), make_hall("H2")
    make_scored_visit(hall, score=90, visited_at=at(NOV))
    for status in ("submitted", "returned", "rejected", "planned", "cancelled", "in_progress"):
        make_scored_visit(hall, score=10, visited_at=at(NOV), status=status)
    make_scored_visit(hall, score=20, visited_at=at(OCT))
    make_scored_visit(other, score=30, visited_at=at(NOV), status="submitted")
    month = services.assess(db.session, NOV)
    line = month.hall("H1")
    assert line.score == 90 and line.visits == {"unannounced": 1, "announced": 0, "supervisor": 0}
    assert line.previous_score == 20 and line.change == 70
    assert not month.hall("H2").assessed and month.hall("H2").total_visits == 0


def test_na_drops_an_item_from_both_sums_and_a_visit_with_nothing_possible_has_no_score(make_hall, make_scored_visit):
    with_na, without_na, nothing = make_hall("H1"), make_hall("H2"), make_hall("H3")
    make_scored_visit(with_na, score=50)  # main.safety is na: 50 of 100
    make_scored_visit(without_na, score=50, answers={"main.safety": "pass"})  # 51 of 101
    make_scored_visit(nothing, answers={"main.score": "na"})  # nothing possible
    month = services.assess(db.session, NOV)
    assert month.hall("H1").score == 50
    assert month.hall("H2").score == Fraction(5100, 101)  # exact: not 50.495049504950494
    line = month.hall("H3")
    assert not line.assessed and line.visits["unannounced"] == 1 and line.channel_scores["unannounced"] is None


def test_channel_means_and_weights_renormalised_over_the_channels_present(make_hall, make_scored_visit):
    full, partial, single = make_hall("H1"), make_hall("H2"), make_hall("H3")
    for channel, scores in (("unannounced", (80, 91)), ("announced", (70,)), ("supervisor", (60, 61, 62))):
        for score in scores:
            make_scored_visit(full, channel, score)
    make_scored_visit(partial, "announced", 90)
    make_scored_visit(partial, "supervisor", 60)
    make_scored_visit(single, "supervisor", 77)
    month = services.assess(db.session, NOV)
    line = month.hall("H1")
    assert line.channel_scores == {"unannounced": Fraction(171, 2), "announced": 70, "supervisor": 61}
    assert line.score == Fraction(5, 10) * Fraction(171, 2) + Fraction(3, 10) * 70 + Fraction(2, 10) * 61
    assert line.visits == {"unannounced": 2, "announced": 1, "supervisor": 3}
    assert month.hall("H2").score == 78  # (0.3 × 90 + 0.2 × 60) / 0.5
    assert month.hall("H3").score == 77
    assert month.summary.visits == {"unannounced": 2, "announced": 2, "supervisor": 5}


def test_halls_not_assessed_are_listed_but_never_ranked(make_hall, make_scored_visit):
    make_scored_visit(make_hall("H1"), score=90)
    make_scored_visit(make_hall("H2"), score=70)
    make_hall("H3")  # active, no visit
    make_hall("H4", active=False)  # closed, no visit: not listed
    closed = make_hall("H5", active=False)
    make_scored_visit(make_hall("H6"), score=85)
    db.session.execute(sa.update(type(closed)).where(type(closed).id == closed.id).values(active=True))
    make_scored_visit(closed, score=80)
    db.session.execute(sa.update(type(closed)).where(type(closed).id == closed.id).values(active=False))
    db.session.commit()
    month = services.assess(db.session, NOV)
    assert [h.code for h in month.ranked] == ["H1", "H6", "H5", "H2"]
    assert [h.code for h in month.not_assessed] == ["H3"]
    assert month.hall("H4") is None
    missing = month.hall("H3")
    assert (missing.rank, missing.score, missing.band, missing.reward, missing.penalty) == (
        None, None, None, Decimal("0.00"), Decimal("0.00"))
    assert month.summary.halls == 5 and month.summary.assessed == 4


def test_red_lines_score_0_cost_per_visit_and_bar_the_reward(make_hall, make_scored_visit):
    best, second, third = make_hall("H1"), make_hall("H2"), make_hall("H3")
    for channel in ("unannounced", "announced"):
        make_scored_visit(best, channel, 100)
    make_scored_visit(best, "supervisor", 100, redline=True)  # the supervisor channel's mean is 0
    make_scored_visit(second, score=79)
    make_scored_visit(third, score=60)
    make_scored_visit(third, score=95, redline=True)
    make_scored_visit(third, "announced", 88, redline=True)
    month = services.assess(db.session, NOV)
    top = month.hall("H1")
    assert top.score == 80 and top.rank == 1 and top.channel_scores["supervisor"] == 0
    assert top.reward == 0 and top.reward_withheld == Decimal("1000.00") and top.flags == ("redline",)
    assert top.penalties == {"redline": Decimal("500.00")}
    assert month.hall("H2").reward == Decimal("500.00")  # the barred reward goes to nobody
    last = month.hall("H3")
    assert last.score == Fraction(5 * 30 + 3 * 0, 8) and last.redline_visits == 2
    assert last.flags == ("last", "below_threshold", "redline")
    assert last.penalties == {"last": Decimal("500.00"), "below_threshold": Decimal("300.00"),
                              "redline": Decimal("1000.00")}
    assert last.penalty == Decimal("1800.00")
    assert month.summary.redline_visits == 3 and month.summary.redline_halls == 2


def test_ties_share_ranks_and_rewards(make_hall, make_scored_visit):
    for code, score in (("H1", 95), ("H2", 95), ("H3", 90), ("H4", 90), ("H5", 90), ("H6", 70)):
        make_scored_visit(make_hall(code), score=score)
    month = services.assess(db.session, NOV)
    assert [(h.code, h.rank, h.reward) for h in month.ranked] == [
        ("H1", 1, Decimal("750.00")), ("H2", 1, Decimal("750.00")),  # places 1-2: (1000 + 500) / 2
        ("H3", 3, Decimal("166.66")), ("H4", 3, Decimal("166.66")), ("H5", 3, Decimal("166.66")),  # 500 / 3
        ("H6", 6, Decimal("0.00")),
    ]
    assert month.summary.rewards == Decimal("1999.98")


def test_last_place_needs_two_assessed_and_a_gap(make_hall, make_scored_visit):
    alone = make_hall("H1")
    make_scored_visit(alone, score=60)
    month = services.assess(db.session, NOV)
    assert month.hall("H1").flags == ("below_threshold",)
    make_scored_visit(make_hall("H2"), score=60)
    month = services.assess(db.session, NOV)
    assert [h.rank for h in month.ranked] == [1, 1] and all("last" not in h.flags for h in month.ranked)


def test_consecutive_last_places_across_months_escalate(make_hall, make_scored_visit):
    good, weak = make_hall("H1"), make_hall("H2")
    for period, (good_score, weak_score) in ((SEP, (70, 90)), (OCT, (90, 70)), (NOV, (95, 65))):
        make_scored_visit(good, score=good_score, visited_at=at(period))
        make_scored_visit(weak, score=weak_score, visited_at=at(period))
    assert services.assess(db.session, OCT).hall("H2").flags == ("last", "below_threshold")  # September: H1 was last
    line = services.assess(db.session, NOV).hall("H2")
    assert line.flags == ("last", "escalate", "below_threshold") and line.consecutive_last == 2
    assert line.previous_rank == 2 and line.change == -5
    three = dataclasses.replace(DEFAULT, penalties=dataclasses.replace(DEFAULT.penalties, escalate_after_consecutive_last=3))
    assert "escalate" not in services.assess(db.session, NOV, policy=three).hall("H2").flags


def test_unit_scope_ranks_within_the_unit_and_the_units_below(tree, make_hall, make_scored_visit):
    county = make_hall("H1", unit=tree["B1-1"])
    branch = make_hall("H2", unit=tree["B1"])
    other = make_hall("H3", unit=tree["B2"])
    for period, scores in ((OCT, (70, 80, 60)), (NOV, (75, 85, 50))):
        for hall, score in zip((county, branch, other), scores, strict=True):
            make_scored_visit(hall, score=score, visited_at=at(period))
    company = services.assess(db.session, NOV)
    assert [h.code for h in company.ranked] == ["H2", "H1", "H3"] and company.hall("H3").flags[0] == "last"
    b1 = services.assess(db.session, NOV, unit="B1")
    assert (b1.unit_code, b1.unit_name) == ("B1", "城区分公司")
    assert [(h.code, h.rank) for h in b1.ranked] == [("H2", 1), ("H1", 2)] and b1.hall("H3") is None
    assert b1.hall("H1").flags == ("last", "escalate", "below_threshold")  # last in B1 in October and November
    assert "escalate" not in company.hall("H1").flags
    assert b1.hall("H1").reward == Decimal("500.00") and b1.summary.halls == 2
    county_only = services.assess(db.session, NOV, unit=tree["B1-1"])
    assert [h.code for h in county_only.ranked] == ["H1"] and county_only.hall("H1").flags == ("below_threshold",)
    with pytest.raises(NotFound):
        services.assess(db.session, NOV, unit="NOPE")


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-11", "november", "", "1999-12"])
def test_a_month_is_yyyy_mm(app, text):
    with pytest.raises(ValidationError):
        services.assess(db.session, text)


def test_a_month_assessed_with_an_older_policy_version_gives_the_older_result(make_hall, make_scored_visit, make_user):
    a, b = make_hall("H1"), make_hall("H2")
    make_scored_visit(a, "unannounced", 90)
    make_scored_visit(a, "announced", 60)
    make_scored_visit(b, "unannounced", 70)
    make_scored_visit(b, "announced", 90)
    before = services.assess(db.session, NOV)
    assert before.policy_number == 1 and [h.code for h in before.ranked] == ["H1", "H2"]
    market = make_user(Role.MARKET, password=None)
    announced_first = dataclasses.replace(DEFAULT, weights=((VisitType.UNANNOUNCED, Decimal("0.2")),
                                                            (VisitType.ANNOUNCED, Decimal("0.8")),
                                                            (VisitType.SUPERVISOR, Decimal(0))))
    version = services.save_policy(db.session, market, announced_first, based_on=1, note="明查为主")
    db.session.commit()
    after = services.assess(db.session, NOV)
    assert after.policy_number == version.number == 2 and [h.code for h in after.ranked] == ["H2", "H1"]
    again = services.assess(db.session, NOV, policy=services.policy_version(db.session, 1))
    assert again.policy_number == 1
    assert dataclasses.replace(again, computed_at=before.computed_at) == before


def test_saving_the_policy_makes_versions_audits_and_refuses_stale_edits(app, make_user):
    market = make_user(Role.MARKET, password=None, display_name="王科长")
    changed = dataclasses.replace(DEFAULT, penalties=dataclasses.replace(DEFAULT.penalties, last_place=Decimal("800.00")))
    assert services.save_policy(db.session, market, DEFAULT, based_on=1) is None  # nothing changed
    version = services.save_policy(db.session, market, changed, based_on=1, note="加大末位处罚")
    db.session.commit()
    assert (version.number, version.source, version.note, version.created_by) == (2, "page", "加大末位处罚", market)
    assert [v.number for v in services.policy_versions(db.session)] == [2, 1]
    from surveyapp.audit.models import AuditEntry

    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "policy.change"))
    assert entry.actor_id == market.id and entry.details["changes"] == {"penalties.last_place": ["500.00", "800.00"]}
    with pytest.raises(Conflict, match="王科长"):
        services.save_policy(db.session, market, DEFAULT, based_on=1)
    with pytest.raises(PermissionDenied):
        services.save_policy(db.session, make_user(Role.ADMIN, password=None), DEFAULT)
    with pytest.raises(NotFound):
        services.policy_version(db.session, 9)


def test_the_default_policy_is_version_1_and_reading_it_writes_nothing(app):
    version = services.current_policy(db.session)
    assert (version.number, version.source, version.created_by, version.policy) == (1, "default", None, DEFAULT)
    assert version.id is None and db.session.scalar(sa.select(sa.func.count()).select_from(PolicyVersion)) == 0
    assert [v.number for v in services.policy_versions(db.session)] == [1]
    assert services.policy_version(db.session, 1).policy == DEFAULT
    stored = services.current_policy(db.session, store=True)  # e.g. a notice about to refer to it
    assert stored.id is not None and stored.created_at is not None
    assert services.current_policy(db.session) is stored


def test_results_snapshot_round_trips_exactly(make_hall, make_scored_visit):
    make_scored_visit(make_hall("H1"), score=91, answers={"main.safety": "pass"})
    make_scored_visit(make_hall("H2"), score=55, redline=True)
    make_hall("H3")
    month = services.assess(db.session, NOV)
    import json

    data = json.loads(json.dumps(month.to_json()))
    assert data["halls"][0]["score"] == "9200/101"
    assert MonthResults.from_json(data) == month


def test_visit_totals_are_the_sums_of_their_answers(make_hall, make_visit, make_scored_visit):
    """``assess`` reads each visit's totals; they must always equal Σ of its answer rows."""
    make_visit(make_hall(), answers={"interior.zones": "fail", "conduct.taboo": 1, "conduct.patience": "na"})
    make_scored_visit(make_hall(), score=40, answers={"main.safety": "pass"})
    make_scored_visit(make_hall(), score=40, redline=True)
    sums = (sa.select(Visit.id, Visit.earned, Visit.possible, Visit.redline,
                      sa.func.coalesce(sa.func.sum(Answer.earned), 0), sa.func.coalesce(sa.func.sum(Answer.possible), 0),
                      sa.func.max(sa.case((Answer.redline.is_(True), 1), else_=0)))
            .join(Answer, Answer.visit_id == Visit.id).group_by(Visit.id, Visit.earned, Visit.possible, Visit.redline))
    rows = db.session.execute(sums).all()
    assert len(rows) == 3
    for _, earned, possible, redline, answer_earned, answer_possible, answer_redline in rows:
        assert (earned, possible, int(redline)) == (answer_earned, answer_possible, answer_redline)
