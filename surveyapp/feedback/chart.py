"""The hall's score trend as a small server-side SVG (no script, no style attribute: the CSP allows neither).

Pure function over plain data: month labels and scores (``None`` for a month the hall was not assessed);
colours and fonts come from ``app.css`` through class names.
"""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 16, 14, 30
GRID = (60, 80, 90, 100)


def _y(score: Decimal) -> float:
    low = 50  # scores under 50 are drawn on the axis: the chart is about the band lines
    value = max(float(score), low)
    return TOP + (100 - value) / (100 - low) * (HEIGHT - TOP - BOTTOM)


def trend_svg(points: Sequence[tuple[str, Decimal | None]], title: str, bands: Sequence[tuple[str, Decimal]] = ()) -> Markup:
    """An SVG line chart of ``points`` (oldest first): a line through assessed months, a gap where a month was
    not assessed, each point labelled with its score, dashed lines at the band minimums."""
    if not points:
        return Markup("")
    step = (WIDTH - LEFT - RIGHT) / max(len(points) - 1, 1)
    x = [LEFT + i * step if len(points) > 1 else (WIDTH - LEFT - RIGHT) / 2 + LEFT for i in range(len(points))]
    parts = [(f'<svg class="trend" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="trend-title" '
              f'xmlns="http://www.w3.org/2000/svg"><title id="trend-title">{escape(title)}</title>')]
    for name, minimum in bands:
        if minimum > 50:
            y = _y(minimum)
            parts.append(f'<line class="trend-band" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
                         f'<text class="trend-axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(name)}</text>')
    for grid in (50, 100):
        y = _y(Decimal(grid))
        parts.append(f'<line class="trend-grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
                     f'<text class="trend-axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{grid}</text>')
    segment: list[str] = []
    for i, (_, score) in enumerate(points):
        if score is None:
            if len(segment) > 1:
                parts.append(f'<polyline class="trend-line" points="{" ".join(segment)}"/>')
            segment = []
            continue
        segment.append(f"{x[i]:.1f},{_y(score):.1f}")
    if len(segment) > 1:
        parts.append(f'<polyline class="trend-line" points="{" ".join(segment)}"/>')
    for i, (label, score) in enumerate(points):
        parts.append(f'<text class="trend-axis" x="{x[i]:.1f}" y="{HEIGHT - 8}" text-anchor="middle">{escape(label)}</text>')
        if score is not None:
            y = _y(score)
            parts.append(f'<circle class="trend-point" cx="{x[i]:.1f}" cy="{y:.1f}" r="4"><title>{escape(label)}: {score}</title></circle>'
                         f'<text class="trend-value" x="{x[i]:.1f}" y="{y - 9:.1f}" text-anchor="middle">{score}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
