"""Charts drawn on the server as SVG: the same markup goes into pages and PDFs (notices, insight).

No script and no ``style`` attribute (the pages' CSP forbids them); colours and fonts are SVG presentation
attributes. Every text is escaped. Inline SVG in WeasyPrint does not inherit the page's font, so each text
names the CJK font family. Callers pass numbers as floats and the labels already formatted (exact scores are
rounded by their owner, e.g. ``assessment.display``).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from surveyapp import print_font

#: The PDFs' fonts (static/css/pdf.css): inline SVG does not inherit the page's font.
FONT = f"{print_font.FAMILY}, {print_font.SOURCE_FAMILY}, WenQuanYi Micro Hei, sans-serif"
BAND_COLOURS = ("#1e7a3c", "#1f5fa8", "#b42318", "#7a4e1e", "#5f6b7a")
GRID = "#c9d1dc"
INK = "#4a5565"
LINE = "#1f5fa8"


def num(value: float) -> str:
    """A coordinate, short: 12.0 → ``12``, 12.25 → ``12.2``."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def text(x: float, y: float, content: str, size: float = 9, anchor: str = "start", fill: str = INK) -> str:
    """An escaped ``<text>`` element in the charts' font."""
    return (f'<text x="{num(x)}" y="{num(y)}" font-size="{num(size)}" text-anchor="{anchor}" fill="{fill}" '
            f'font-family="{FONT}">{escape(content)}</text>')


def svg(width: int, height: int, body: list[str], title: str, css_class: str = "chart") -> Markup:
    """The chart: scalable, announced as one image named ``title``; ``css_class`` sizes it in a page."""
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="{css_class}" '
                  f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(body)}</svg>')


def empty(title: str, width: int = 640) -> Markup:
    """A chart with nothing to draw: a dash."""
    return svg(width, 40, [text(width / 2, 24, "–", 12, "middle")], title)


def band_colour(band: str | None, bands: Sequence[str]) -> str:
    """The colour of a band (policy order), grey for none."""
    if band is None or band not in bands:
        return BAND_COLOURS[-1]
    return BAND_COLOURS[min(bands.index(band), len(BAND_COLOURS) - 2)]


def line_chart(points: Sequence[tuple[str, float | None, str]], title: str,
               bands: Sequence[tuple[str, float]] = (), css_class: str = "chart") -> Markup:
    """Values by month as a line: ``points`` are (month, value or ``None``, the value as printed); months without
    a value leave a gap. ``bands`` (name, minimum) are drawn as dashed reference lines."""
    left, right, top, bottom, width, height = 36, 20, 16, 26, 640, 170
    span_x, span_y = width - left - right, height - top - bottom
    known = [v for _, v, _ in points if v is not None] + [m for _, m in bands if 0 < m < 100]
    low = max(0.0, (min(known) // 10) * 10 - 10) if known else 0.0
    high = 100.0
    step = span_x / max(1, len(points) - 1)

    def y_of(value: float) -> float:
        return top + span_y * (1 - (value - low) / (high - low))

    body = []
    for value in range(int(low), 101, 10):
        y = y_of(value)
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{num(y)}" y2="{num(y)}" stroke="{GRID}" stroke-width=".5"/>')
        body.append(text(left - 4, y + 3, str(value), 8, "end"))
    for name, minimum in bands:
        if low < minimum < high:
            y = y_of(minimum)
            body.append(f'<line x1="{left}" x2="{width - right}" y1="{num(y)}" y2="{num(y)}" stroke="{INK}" '
                        f'stroke-dasharray="4 3" stroke-width=".7"/>')
            body.append(text(width - right - 2, y - 3, f"{name} ≥ {num(minimum)}", 8, "end"))
    segment: list[str] = []
    segments: list[list[str]] = []
    for n, (period, value, label) in enumerate(points):
        x = left + n * step if len(points) > 1 else left + span_x / 2
        body.append(text(x, height - 8, period, 9, "middle"))
        if value is None:
            segments.append(segment)
            segment = []
            continue
        y = y_of(value)
        segment.append(f"{num(x)},{num(y)}")
        body.append(f'<circle cx="{num(x)}" cy="{num(y)}" r="2.6" fill="{LINE}"/>')
        body.append(text(x, y - 6, label, 9, "middle", "#1d2430"))
    segments.append(segment)
    for line in segments:
        if len(line) > 1:
            body.insert(0, f'<polyline points="{" ".join(line)}" fill="none" stroke="{LINE}" stroke-width="1.6"/>')
    return svg(width, height, body, title, css_class)


#: Up to this many halls the ranking chart has one labelled horizontal bar per hall.
LABELLED_BARS = 40
#: Above that, columns: this many at the top and at the bottom of the ranking are named under their column.
NAMED_COLUMNS = 5


@dataclass(frozen=True)
class Bar:
    """One hall's bar in a ranking chart."""

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
