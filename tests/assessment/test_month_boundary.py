"""A visit belongs to the month of its visit time in the company's time zone (DOMAIN.md "Scoring")."""
from __future__ import annotations

import datetime as dt

import pytest

from surveyapp.assessment import services
from surveyapp.db import db
from tests.assessment.conftest import CST


@pytest.fixture
def app_config(app_config, request):
    return {**app_config, "TIMEZONE": getattr(request, "param", "Asia/Shanghai")}


def test_half_past_midnight_on_the_first_is_a_november_visit(make_hall, make_scored_visit):
    hall, late = make_hall("H1"), make_hall("H2")
    make_scored_visit(hall, score=88, visited_at=dt.datetime(2026, 11, 1, 0, 30, tzinfo=CST))
    make_scored_visit(late, score=77, visited_at=dt.datetime(2026, 10, 31, 23, 59, 59, tzinfo=CST))
    november, october = services.assess(db.session, "2026-11"), services.assess(db.session, "2026-10")
    assert november.hall("H1").score == 88 and not november.hall("H2").assessed
    assert october.hall("H2").score == 77 and not october.hall("H1").assessed
    assert november.hall("H1").previous_score is None and november.summary.previous_mean_score == 77


@pytest.mark.parametrize("app_config", ["UTC"], indirect=True)
def test_the_company_time_zone_is_a_setting(make_hall, make_scored_visit):
    # 00:30 in Shanghai on 1 November is 16:30 on 31 October in UTC: an October visit for a company on UTC.
    make_scored_visit(make_hall("H1"), score=88, visited_at=dt.datetime(2026, 11, 1, 0, 30, tzinfo=CST))
    assert services.assess(db.session, "2026-10").hall("H1").score == 88
    assert not services.assess(db.session, "2026-11").hall("H1").assessed
