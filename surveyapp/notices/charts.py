"""Charts of the notice (ranking, monthly trend), drawn with the shared SVG helpers of :mod:`surveyapp.charts`:
the same markup goes into the page and the PDF."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from markupsafe import Markup, escape

from surveyapp.assessment.results import display
from surveyapp.charts import FONT, GRID, INK, band_colour, line_chart, num, svg, text

#: Up to this many halls the ranking chart has one labelled horizontal bar per hall.
LABELLED_BARS = 40
#: Above that, columns: this many at the top and at the bottom of the ranking are named under their column.
NAMED_COLUMNS = 5
#: A trend needs this many months with a score; with fewer the notice says the figures in a sentence.
TREND_POINTS = 3


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    band: str | None
    redline: bool = False
    #: The value as printed (half-up, one decimal), from the exact score.
    text: str = ""


def ranking_chart(bars: Sequence[Bar], bands: Sequence[tuple[str, float]], title: str) -> Markup:
    """The month's scores by rank: labelled horizontal bars for a few halls, thin columns for many.
    ``bands`` are the policy's (name, minimum), drawn as reference lines."""
    names = [b for b, _ in bands]
    if not bars:
        return svg(600, 40, [text(300, 24, "–", 12, "middle")], title)
    if len(bars) <= LABELLED_BARS:
        return _horizontal(bars, bands, names, title)
    return _columns(bars, bands, names, title)


def _horizontal(bars: Sequence[Bar], bands: Sequence[tuple[str, float]], names: list[str], title: str) -> Markup:
    row, left, right, top = 16, 150, 40, 16
    width, height = 640, top + row * len(bars) + 20
    span = width - left - right
    body = []
    for name, minimum in bands:
        if 0 < minimum < 100:
            x = left + span * minimum / 100
            body.append(f'<line x1="{num(x)}" x2="{num(x)}" y1="{top - 4}" y2="{height - 16}" stroke="{GRID}" '
                        f'stroke-dasharray="3 2"/>')
            body.append(text(x, top - 6, f"{name} ≥ {num(minimum)}", 8, "middle"))
    for n, bar in enumerate(bars):
        y = top + n * row
        body.append(text(left - 6, y + 11, bar.label, 9, "end"))
        length = max(0.5, span * max(0.0, min(bar.value, 100.0)) / 100)
        body.append(f'<rect x="{left}" y="{y + 2}" width="{num(length)}" height="{row - 5}" '
                    f'fill="{band_colour(bar.band, names)}"/>')
        body.append(text(left + length + 4, y + 11, (bar.text or num(bar.value)) + (" !" if bar.redline else ""), 8.5))
    body.append(_axis(left, span, height - 14))
    return svg(width, height, body, title)


def _axis(left: float, span: float, y: float) -> str:
    parts = [f'<line x1="{left}" x2="{num(left + span)}" y1="{num(y - 4)}" y2="{num(y - 4)}" stroke="{INK}" stroke-width=".6"/>']
    for value in range(0, 101, 20):
        parts.append(text(left + span * value / 100, y + 8, str(value), 8, "middle"))
    return "".join(parts)


def _columns(bars: Sequence[Bar], bands: Sequence[tuple[str, float]], names: list[str], title: str) -> Markup:
    left, top, bottom, width, height = 30, 10, 96, 640, 300
    span_x, span_y = width - left - 10, height - top - bottom
    step = span_x / len(bars)
    body = []
    for value in range(0, 101, 20):
        y = top + span_y * (1 - value / 100)
        body.append(f'<line x1="{left}" x2="{width - 10}" y1="{num(y)}" y2="{num(y)}" stroke="{GRID}" stroke-width=".5"/>')
        body.append(text(left - 4, y + 3, str(value), 8, "end"))
    # One path per band rather than a rect per hall: a thousand halls stay a handful of SVG elements.
    paths: dict[str, list[str]] = {}
    for n, bar in enumerate(bars):
        x = left + n * step
        h = span_y * max(0.0, min(bar.value, 100.0)) / 100
        paths.setdefault(band_colour(bar.band, names), []).append(
            f"M{num(x)} {num(top + span_y)}h{max(step * .8, .3):.2f}v{-h:.1f}h{-max(step * .8, .3):.2f}z")
    for colour, parts in paths.items():
        body.append(f'<path d="{"".join(parts)}" fill="{colour}"/>')
    for name, minimum in bands:
        if 0 < minimum < 100:
            y = top + span_y * (1 - minimum / 100)
            body.append(f'<line x1="{left}" x2="{width - 10}" y1="{num(y)}" y2="{num(y)}" stroke="{INK}" '
                        f'stroke-dasharray="4 3" stroke-width=".6"/>')
            body.append(text(width - 12, y - 2, f"{name} ≥ {num(minimum)}", 8, "end"))
    body.extend(_column_names(bars, left, step, top + span_y))
    return svg(width, height, body, title)


def _column_names(bars: Sequence[Bar], left: float, step: float, base: float) -> list[str]:
    """The first and last halls of the ranking named under their columns (read upwards), with an ellipsis
    between: who leads and who trails is what a reader looks for."""
    shown = sorted(set(range(min(NAMED_COLUMNS, len(bars)))) | set(range(max(0, len(bars) - NAMED_COLUMNS), len(bars))))
    parts = []
    for n in shown:
        x, y = left + (n + .4) * step + 2.5, base + 4
        parts.append(f'<text x="{num(x)}" y="{num(y)}" font-size="7" text-anchor="end" fill="{INK}" '
                     f'font-family="{FONT}" transform="rotate(-90 {num(x)} {num(y)})">{escape(bars[n].label)}</text>')
    if len(shown) < len(bars):
        middle = left + (NAMED_COLUMNS + (len(bars) - 2 * NAMED_COLUMNS) / 2) * step
        parts.append(text(middle, base + 14, "…", 10, "middle"))
    return parts


def trend_chart(points: Sequence[tuple[str, Fraction | None]], title: str) -> Markup | None:
    """Mean score by month as a line with its values; months without a score leave a gap. ``None`` with
    fewer than :data:`TREND_POINTS` months scored: a dot or two in an empty frame says nothing."""
    if sum(1 for _, v in points if v is not None) < TREND_POINTS:
        return None
    return line_chart([(p, None if v is None else float(v), str(display(v))) for p, v in points], title)
