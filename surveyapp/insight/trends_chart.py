"""The heat map of failure rates: items down, units across, each cell shaded by its rate and labelled with it.
Server-drawn SVG with the shared helpers of :mod:`surveyapp.charts`; the page's table holds the same numbers."""
from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from markupsafe import Markup

from surveyapp.charts import GRID, empty, num, svg, text

#: Rows drawn at most (the table lists every item).
CHART_ROWS = 30
#: A cell's colour goes from white (no failure) to this red at :data:`FULL` failure rate and above.
HOT = (180, 35, 24)
FULL = Fraction(1, 2)


def shade(rate: Fraction | None) -> str:
    """The cell colour of a failure rate (grey: nothing answered)."""
    if rate is None:
        return "#eef1f5"
    share = float(min(rate, FULL) / FULL)
    r, g, b = (round(255 + (c - 255) * share) for c in HOT)
    return f"#{r:02x}{g:02x}{b:02x}"


def heat_chart(rows: Sequence[tuple[str, Sequence[tuple[Fraction | None, str]]]], columns: Sequence[str],
               title: str) -> Markup:
    """``rows``: (item label, [(rate, rate as printed) per column]); ``columns``: the unit labels."""
    if not rows or not columns:
        return empty(title)
    left, top, cell_h = 190, 46, 18
    # A viewBox at least 640 wide, so a map of few units is not blown up to the page's width.
    cell_w = max(34, min(110, (640 - left - 10) / len(columns)))
    width = max(640, int(left + cell_w * len(columns) + 10))
    height = top + cell_h * len(rows) + 6
    body = []
    for n, label in enumerate(columns):
        x = left + n * cell_w + cell_w / 2
        body.append(f'<g transform="translate({num(x)} {top - 6}) rotate(-35)">{text(0, 0, label, 8.5)}</g>')
    for m, (label, cells) in enumerate(rows):
        y = top + m * cell_h
        body.append(text(left - 6, y + cell_h - 5, label if len(label) <= 24 else label[:23] + "…", 8.5, "end"))
        for n, (rate, printed) in enumerate(cells):
            x = left + n * cell_w
            body.append(f'<rect x="{num(x)}" y="{num(y)}" width="{num(cell_w)}" height="{cell_h}" '
                        f'fill="{shade(rate)}" stroke="{GRID}" stroke-width=".5"/>')
            if rate is not None:
                dark = rate >= FULL / 2
                body.append(text(x + cell_w / 2, y + cell_h - 5, printed, 8, "middle", "#ffffff" if dark else "#1d2430"))
    return svg(width, height, body, title)
