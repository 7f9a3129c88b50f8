"""Charts drawn on the server as SVG: the same markup goes into pages and PDFs (notices, insight).

No script and no ``style`` attribute (the pages' CSP forbids them); colours and fonts are SVG presentation
attributes. Every text is escaped. Inline SVG in WeasyPrint does not inherit the page's font, so each text
names the CJK font family. Callers pass numbers as floats and the labels already formatted (exact scores are
rounded by their owner, e.g. ``assessment.display``).
"""
from __future__ import annotations

from collections.abc import Sequence

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


def svg(width: int, height: int, body: list[str], title: str) -> Markup:
    """The chart: scalable, announced as one image named ``title``."""
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart" '
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
               bands: Sequence[tuple[str, float]] = ()) -> Markup:
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
    return svg(width, height, body, title)
