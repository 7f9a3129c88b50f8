"""Staff over time and star levels by the policy's rule, on visits made through the visits services."""
from __future__ import annotations

import dataclasses
from decimal import Decimal
from fractions import Fraction

import pytest
from flask_babel import force_locale

from surveyapp.assessment import policy as policy_rules
from surveyapp.assessment import services as assessment
from surveyapp.assessment.stars_policy import StarRules
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.insight import staff as staff_insight
from surveyapp.notices import services as notices
from tests.insight.conftest import at, check, form_file

FORM = form_file("staff-test", "营业员测试表", {
    "s": ("服务", {"who": {"text": "接待营业员", "kind": "staff", "required": True},
                 "greet": check("主动问候", 1), "smile": check("微笑服务", 1)}),
})
RULES = StarRules(months=3, min_visits=3, levels=(Decimal(60), Decimal(70), Decimal(80), Decimal(90), Decimal(95)))


@pytest.fixture
def named(make_hall, make_staff, make_checklist, make_visit):
    """Li (1001) at hall A: September 100; October 50 (one failure) and 100; November 100, and a red line is not
    possible here. Wang (1002) at hall B: one visit, 100."""
    a, b = make_hall("A"), make_hall("B")
    li, wang = make_staff(a, "1001", "李娜"), make_staff(b, "1002", "王强")
    form = make_checklist("staff-test", source=FORM)

    def visit(hall, who, period, day, **failed):
        make_visit(hall=hall, checklist=form, visited_at=at(period, day),
                   answers={"s.who": [who], **{f"s.{k}": "fail" for k in failed}})

    visit(a, "1001", "2026-09", 3)
    visit(a, "1001", "2026-10", 3, greet=1)
    visit(a, "1001", "2026-10", 4)
    visit(a, "1001", "2026-11", 3)
    visit(b, "1002", "2026-11", 4)
    return {"li": li, "wang": wang, "a": a, "b": b}


def test_star_levels_follow_the_rule_and_its_minimum_of_visits(named):
    levels = staff_insight.star_levels(db.session, "2026-11", RULES)
    # Li over Sep–Nov: 100, 50, 100, 100 → mean 87.5, 4 visits ≥ 3 → 3 stars (60, 70, 80 reached, not 90).
    assert levels[named["li"].id] == (3, 4, Fraction(175, 2))
    assert levels[named["wang"].id] == (None, 1, 100)  # one visit: no level, however good
    # Over Oct–Nov only (2 months): 50, 100, 100 → 83.3, still 3 visits.
    assert staff_insight.star_levels(db.session, "2026-11", dataclasses.replace(RULES, months=2))[named["li"].id][0] == 3
    # At the end of October (Aug–Oct): 3 visits, mean 250/3 = 83.3 → 3 stars; at the end of September: 1 visit.
    page = staff_insight.history(db.session, named["li"], "2026-11", RULES)
    assert page.levels["2026-10"][0] == 3 and page.levels["2026-09"] == (None, 1, 100)
    october = page.months["2026-10"]
    assert (october.visits, october.mean, october.findings, october.commendations) == (2, 75, 1, 1)


def test_the_policy_file_checks_the_star_rule(app):
    def parse(*lines):
        text = policy_rules.DEFAULT.to_toml().split("[policy.stars]")[0] + "\n".join(["[policy.stars]", *lines])
        with force_locale("en"):
            policy, problems = policy_rules.parse_toml(text)
            return policy, [p.format("p.toml") for p in problems]

    policy, problems = parse("months = 3", "levels = [60, 75.5, 90]")
    assert not problems and policy.stars == StarRules(3, 3, (Decimal(60), Decimal("75.5"), Decimal(90)))
    assert policy_rules.parse_toml(policy.to_toml())[0] == policy  # the file round-trips
    assert parse()[0].stars == StarRules()  # an empty table: the defaults
    for wrong, message in (("levels = [60, 50]", "policy.stars.levels: each star needs a higher minimum"),
                           ("levels = [60, 70, 80, 90, 95, 99]", "policy.stars.levels: must be a list of 1 to 5"),
                           ("min_visits = 0", "policy.stars.min_visits: must be from 1 to 100"),
                           ("levels = [60, 170]", "policy.stars.levels[2]: must be at most 100"), ("stars = 5", "unknown key stars")):
        policy, problems = parse(wrong)
        assert policy is None and any(message in p for p in problems), (wrong, problems)


def test_the_market_sees_every_employee_and_a_hall_manager_only_their_own(client, login_as, named, make_user):
    login_as(Role.MARKET)
    html = client.get("/insight/staff/?period=2026-11").get_data(as_text=True)
    assert "1001" in html and "1002" in html and "★★★☆☆" in html
    page = client.get("/insight/staff/1001?period=2026-11").get_data(as_text=True)
    assert "<svg" in page and "87.5" in page and "75.0" in page
    market = make_user(Role.MARKET, password=None)
    notice = notices.create_notice(db.session, market, "2026-10")
    notices.publish(db.session, market, notice, None)
    db.session.commit()
    assert "2026-10" in client.get("/insight/staff/1001?period=2026-11").get_data(as_text=True).split("服务之星")[1][:200]

    login_as(Role.HALL_MANAGER, halls=[named["a"]])
    html = client.get("/insight/staff/?period=2026-11").get_data(as_text=True)
    assert "1001" in html and "1002" not in html
    assert client.get("/insight/staff/1001").status_code == 200
    assert client.get("/insight/staff/1002").status_code == 404  # another hall's employee, as if missing
    assert client.get("/insight/staff/9999").status_code == 404


def test_a_bad_month_is_a_clear_error(client, login_as):
    login_as(Role.MARKET)
    page = client.get("/insight/staff/?period=2026-13")
    assert page.status_code == 400 and "2026-13" in page.get_data(as_text=True)
    assert assessment.parse_period("2026-12") == "2026-12"
