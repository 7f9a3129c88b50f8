"""The calibration chart: each supervisor's severity as a dot on its 95 % interval, most lenient at the top,
with the zero line (the consensus) and the policy's ±threshold. Server-drawn SVG like the notice's charts
(:mod:`surveyapp.charts`): no script, no ``style`` attribute, every text escaped."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from surveyapp.charts import GRID, INK, empty, num, svg, text

LENIENT_COLOUR, SEVERE_COLOUR, PLAIN_COLOUR = "#1f5fa8", "#b42318", "#4a5565"


@dataclass(frozen=True)
class Row:
    label: str
    severity: float
    low: float
    high: float
    #: ``lenient``, ``severe`` or ``""``: the dot's colour.
    tone: str = ""


def severity_chart(rows: Sequence[Row], threshold: float, title: str) -> Markup:
    """One row per supervisor with a severity; the axis spans the widest interval, at least ±(threshold + 5)."""
    if not rows:
        return empty(title)
    row, left, right, top, bottom = 18, 170, 24, 22, 26
    width, height = 640, top + row * len(rows) + bottom
    reach = max([threshold + 5] + [max(abs(r.low), abs(r.high)) for r in rows])
    reach = 5 * math.ceil(reach / 5)
    span = width - left - right

    def x_of(points: float) -> float:
        return left + span * (points + reach) / (2 * reach)

    body = []
    step = 5 if reach <= 20 else 10
    for tick in range(-reach, reach + 1, step):
        x = x_of(tick)
        body.append(f'<line x1="{num(x)}" x2="{num(x)}" y1="{top - 4}" y2="{height - bottom + 2}" stroke="{GRID}" '
                    f'stroke-width="{1.2 if tick == 0 else .5}"/>')
        body.append(text(x, height - 8, f"{tick:+d}" if tick else "0", 8, "middle"))
    for edge in (-threshold, threshold):
        x = x_of(edge)
        body.append(f'<line x1="{num(x)}" x2="{num(x)}" y1="{top - 4}" y2="{height - bottom + 2}" stroke="{INK}" '
                    f'stroke-dasharray="4 3" stroke-width=".7"/>')
        body.append(text(x, top - 8, f"{edge:+.0f}", 8, "middle"))
    for n, r in enumerate(rows):
        y = top + n * row + row / 2
        colour = {"lenient": LENIENT_COLOUR, "severe": SEVERE_COLOUR}.get(r.tone, PLAIN_COLOUR)
        body.append(text(left - 8, y + 3, r.label, 9, "end"))
        body.append(f'<line x1="{num(x_of(r.low))}" x2="{num(x_of(r.high))}" y1="{num(y)}" y2="{num(y)}" '
                    f'stroke="{colour}" stroke-width="2"/>')
        body.append(f'<circle cx="{num(x_of(r.severity))}" cy="{num(y)}" r="3.6" fill="{colour}"/>')
    return svg(width, height, body, title)
