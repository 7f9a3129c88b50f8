"""The notice's charts from its figures: the trend of the mean score (the drawing is :mod:`surveyapp.charts`'s)."""
from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from markupsafe import Markup

from surveyapp.assessment.results import display
from surveyapp.charts import line_chart

#: A trend needs this many months with a score; with fewer the notice says the figures in a sentence.
TREND_POINTS = 3


def trend_chart(points: Sequence[tuple[str, Fraction | None]], title: str) -> Markup | None:
    """Mean score by month as a line with its values; months without a score leave a gap. ``None`` with
    fewer than :data:`TREND_POINTS` months scored: a dot or two in an empty frame says nothing."""
    if sum(1 for _, v in points if v is not None) < TREND_POINTS:
        return None
    return line_chart([(p, None if v is None else float(v), str(display(v))) for p, v in points], title)
