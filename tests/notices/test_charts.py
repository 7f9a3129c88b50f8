"""The notice's trend chart: a gap for a month without a score, no chart for fewer than three months."""
from __future__ import annotations

from fractions import Fraction

from surveyapp.notices import charts
from tests.test_charts import parse, texts


def test_the_trend_leaves_a_gap_for_a_month_without_a_score():
    points = [("2026-08", Fraction(171, 2)), ("2026-09", None), ("2026-10", Fraction(87)), ("2026-11", Fraction(1763, 20))]
    root = parse(charts.trend_chart(points, "趋势"))
    assert [p.get("points").count(",") for p in root.iter("{http://www.w3.org/2000/svg}polyline")] == [2]
    assert {"85.5", "87.0", "88.2"} <= set(texts(root))  # half-up: 88.15 -> 88.2


def test_a_trend_of_fewer_than_three_months_is_no_chart():
    assert charts.trend_chart([("2026-10", None), ("2026-11", Fraction(90))], "趋势") is None
    assert charts.trend_chart([("2026-09", Fraction(80)), ("2026-10", None), ("2026-11", Fraction(90))], "趋势") is None
