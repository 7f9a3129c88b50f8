"""Trends and the heat map on a small dataset computed by hand, made through the visits services."""
from __future__ import annotations

import io
from fractions import Fraction

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from surveyapp.assessment import services as assessment
from surveyapp.assessment.models import HeatTallyMonth
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.insight import trends
from surveyapp.notices import services as notices
from tests.insight.conftest import at


def points(trend):
    return {p.period: p.score for p in trend.points if p.score is not None}


def test_scores_by_month_for_a_hall_a_unit_and_the_company(trend_months):
    company = trends.score_trend(db.session, "2026-11")
    assert [p.period for p in company.points] == ["2025-12", *[f"2026-{m:02d}" for m in range(1, 12)]]
    assert points(company) == {"2026-09": 100, "2026-10": Fraction(215, 3), "2026-11": 85}
    assert [p.halls for p in company.points][-3:] == [1, 3, 2]
    assert points(trends.score_trend(db.session, "2026-11", unit=trend_months["north"])) == {
        "2026-09": 100, "2026-10": Fraction(165, 2), "2026-11": 100}
    assert points(trends.score_trend(db.session, "2026-11", hall=trend_months["halls"]["N1"])) == {
        "2026-09": 100, "2026-10": 85, "2026-11": 100}
    assert company.bands == (("A", 90), ("B", 80))
    october = assessment.assess(db.session, "2026-10")  # the same numbers as the month's results
    assert october.summary.mean_score == Fraction(215, 3) and october.hall("N1").score == 85


def test_each_section_trend_is_the_share_of_points_earned(trend_months):
    sections = trends.section_trends(db.session, "2026-11")
    assert [(s.section_id, s.title) for s in sections] == [("look", "仪容仪表"), ("talk", "服务用语")]
    look, talk = sections
    # October: 4 visits × 10 possible look points; uniform (6) failed once, badge (4) once → 30 of 40 earned.
    assert look.rate("2026-10") == Fraction(300, 40) * 10 and look.rate("2026-09") == 100
    assert talk.rate("2026-10") == 75 and talk.rate("2026-11") == 100 and talk.rate("2026-08") is None


def test_section_trends_of_a_branch_and_of_a_hall(trend_months):
    look, talk = trends.section_trends(db.session, "2026-11", unit=trend_months["north"])
    # October in the north: N1 twice (uniform failed once: 4 of 10), N2 once (badge failed: 6 of 10).
    assert look.points == {"2026-09": (10, 10), "2026-10": (20, 30), "2026-11": (10, 10)}
    assert talk.points == {"2026-09": (10, 10), "2026-10": (30, 30), "2026-11": (10, 10)}
    look, talk = trends.section_trends(db.session, "2026-11", hall=trend_months["halls"]["S1"])
    assert look.points == {"2026-10": (10, 10), "2026-11": (4, 10)} and talk.points == {"2026-10": (0, 10),
                                                                                        "2026-11": (10, 10)}


def test_the_heat_map_gives_failure_rates_per_item_and_branch(trend_months):
    heat = trends.heat_map(db.session, "2026-Q4")
    assert heat.periods == ("2026-10", "2026-11", "2026-12") and heat.units == (("N", "北区"), ("S", "南区"))
    rows = {r.key: r for r in heat.rows}
    # Q4: north has 4 visits (N1 ×3, N2), south 2 (S1 ×2).
    assert rows["look.uniform"].cells == {"N": (1, 4), "S": (1, 2)}
    assert rows["look.uniform"].rate == Fraction(2, 6) and rows["look.uniform"].cell_rate("S") == Fraction(1, 2)
    assert rows["talk.greeting"].cells == {"N": (0, 4), "S": (1, 2)}
    # Most failed first; equal rates in form order.
    assert [r.key for r in heat.rows] == ["look.uniform", "look.badge", "talk.greeting"]
    assert trends.heat_map(db.session, "2026-10").rows[0].cells["N"] == (1, 3)


def test_the_heat_map_counts_a_closed_month_once_and_follows_every_change(trend_months, make_visit):
    """Each month's counts are kept under its own token: a new November visit recounts November only, and moving
    a hall to another branch recounts every month."""
    def counted() -> dict[str, str]:
        return dict(db.session.execute(sa.select(HeatTallyMonth.period, HeatTallyMonth.stamp)).all())

    trends.heat_map(db.session, "2026-Q4")
    first = counted()
    assert set(first) == {"2026-10", "2026-11", "2026-12"}
    make_visit(hall=trend_months["halls"]["S1"], checklist=trend_months["form"], visited_at=at("2026-11", 20),
               answers={"look.badge": "fail"})
    rows = {r.key: r for r in trends.heat_map(db.session, "2026-Q4").rows}
    assert rows["look.badge"].cells == {"N": (1, 4), "S": (1, 3)}
    again = counted()
    assert again["2026-10"] == first["2026-10"] and again["2026-12"] == first["2026-12"]
    assert again["2026-11"] != first["2026-11"]

    trend_months["halls"]["S1"].unit = trend_months["north"]
    db.session.commit()
    rows = {r.key: r for r in trends.heat_map(db.session, "2026-Q4").rows}
    assert rows["look.badge"].cells == {"N": (2, 7)} and rows["look.uniform"].cells == {"N": (2, 7)}
    assert all(counted()[p] != again[p] for p in again)
    assert trends.heat_map(db.session, "2026-10").rows[0].cells == {"N": (1, 4)}  # S1's October failure moved too


@pytest.mark.parametrize("span", ["2026-Q5", "2026-13", "Q4", ""])
def test_a_span_is_a_month_or_a_quarter(client, login_as, span):
    login_as(Role.MARKET)
    page = client.get(f"/insight/trends/heatmap?span={span}")
    assert page.status_code == 400 if span else 200
    if span:
        assert "2026-Q4" in page.get_data(as_text=True)  # the message says how to write it


def test_the_market_department_sees_charts_tables_and_downloads(client, login_as, trend_months):
    login_as(Role.MARKET)
    html = client.get("/insight/trends/?period=2026-11&unit=N").get_data(as_text=True)
    assert html.count("<svg") == 3 and "82.5" in html and "仪容仪表" in html and 'role="region"' in html
    html = client.get("/insight/trends/heatmap?span=2026-Q4").get_data(as_text=True)
    assert "<svg" in html and "33%" in html and "北区" in html
    book = load_workbook(io.BytesIO(client.get("/insight/trends/heatmap.xlsx?span=2026-Q4").data))
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[1]]
    first = [c.value for c in sheet[2]]
    assert len(header) == 6 + 3 * 2 and first[1] == "统一着装" and float(first[3]) == 33.3
    book = load_workbook(io.BytesIO(client.get("/insight/trends/trend.xlsx?period=2026-11").data))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[-2][:3] == ("2026-10", 71.7, 3) and rows[-1][:3] == ("2026-11", 85, 2)


def test_a_hall_manager_sees_only_their_own_hall_and_only_published_months(client, login_as, trend_months, make_user):
    manager = login_as(Role.HALL_MANAGER, halls=[trend_months["halls"]["N1"]])
    assert client.get("/insight/trends/mine").headers["Location"].endswith("/insight/trends/hall/N1")
    for url in ("/insight/trends/hall/S1", "/insight/trends/hall/NOPE", "/insight/trends/hall/S1.xlsx"):
        assert client.get(url).status_code == 404
    for url in ("/insight/trends/", "/insight/trends/heatmap", "/insight/trends/trend.xlsx"):
        assert client.get(url).status_code == 403
    html = client.get("/insight/trends/hall/N1?period=2026-11").get_data(as_text=True)
    assert "85.0" not in html and "100.0" not in html  # nothing published yet
    market = make_user(Role.MARKET, password=None)
    notice = notices.create_notice(db.session, market, "2026-10")
    notices.publish(db.session, market, notice, None)
    db.session.commit()
    html = client.get("/insight/trends/hall/N1?period=2026-11").get_data(as_text=True)
    assert "85.0" in html  # October, published
    assert manager.halls == [trend_months["halls"]["N1"]]
