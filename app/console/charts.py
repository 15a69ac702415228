"""A scale over time as an SVG chart, drawn on the server: it works without script and prints.

Pure: a trend and its scale in, markup out. Points are joined in order; the scale's bands are
shaded and named (colour is never the only signal); a point reached by a reliable change is
drawn as a ring and says so in its tooltip. The same data goes in a table beside the chart.
A lone result is drawn larger, with its score and band written beside it, so the chart does
not look empty. Dates, numbers and words are in the page's locale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup, escape

from app.assessments.schemas import TrendRead
from app.console.texts import texts
from app.questionnaires.model import Scale
from app.questionnaires.schemas import localized
from app.web.formatting import number, short_day

WIDTH, HEIGHT = 600, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 190, 12, 36
#: A band name's line: about this many characters fit in the right margin at 11 px.
LABEL_CHARS, LINE = 30, 12


@dataclass(frozen=True)
class Plotted:
    """One point as drawn: where, and what its tooltip says."""

    x: float
    y: float
    reliable: bool
    label: str


def y_range(trend: TrendRead, scale: Scale) -> tuple[float, float]:
    """The score axis: the bands' span, else the scores' (never an empty range)."""
    if scale.bands:
        low, high = min(b.min for b in scale.bands), max(b.max for b in scale.bands)
    else:
        scores = [p.score for p in trend.points if p.score is not None] or [0.0]
        low, high = min(scores), max(scores)
    return (low, high) if high > low else (low, low + 1)


def plotted(
    trend: TrendRead, scale: Scale, locale: str = "en", t: Mapping[str, str] | None = None
) -> list[Plotted]:
    """The scored points in answer order, evenly spaced across the plot."""
    t = t or texts(locale)
    low, high = y_range(trend, scale)
    reliable_to = {c.to_assessment_id for c in trend.changes if c.change.reliable}
    scored = [p for p in trend.points if p.score is not None]
    span = WIDTH - LEFT - RIGHT
    step = span / (len(scored) - 1) if len(scored) > 1 else 0
    points = []
    for index, point in enumerate(scored):
        assert point.score is not None  # filtered above
        x = LEFT + (index * step if len(scored) > 1 else span / 2)
        y = _y(point.score, low, high)
        reliable = point.assessment_id in reliable_to
        label = f"{short_day(point.answered_at, locale)}: {number(point.score, locale)}"
        if point.band_label:
            label += f" ({point.band_label})"
        if reliable:
            label += f", {t['chart_reliable']}"
        points.append(Plotted(round(x, 1), round(y, 1), reliable, label))
    return points


def label_lines(label: str, width: int = LABEL_CHARS, most: int = 3) -> list[str]:
    """A band's name in lines that fit beside the plot (SVG text does not wrap by itself);
    Spanish names are often longer than the margin. Past `most` lines it ends in "…"."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > most:
        lines = [*lines[: most - 1], lines[most - 1][: width - 1] + "…"]
    return lines or [""]


def _y(score: float, low: float, high: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (score - low) / (high - low))


def chart_svg(
    trend: TrendRead,
    scale: Scale,
    chart_id: str,
    locale: str = "en",
    t: Mapping[str, str] | None = None,
) -> Markup:
    """The chart as an <svg> element labelled for screen readers (the table has the data)."""
    t = t or texts(locale)
    low, high = y_range(trend, scale)
    title = t["chart_title"].format(title=trend.title)
    desc = t["chart_desc"].format(count=len(trend.points))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    bands = sorted(scale.bands, key=lambda b: b.min)
    for index, band in enumerate(bands):
        # Up to the next band's start, so bands that tile at a step leave no gap between them.
        upper = bands[index + 1].min if index + 1 < len(bands) else band.max
        top, bottom = _y(upper, low, high), _y(band.min, low, high)
        label = localized(band.label, trend.locale, "en")
        parts.append(
            f'<rect class="band-{index % 4}" x="{LEFT}" y="{top:.1f}" '
            f'width="{WIDTH - LEFT - RIGHT}" height="{max(bottom - top, 1):.1f}"/>'
        )
        lines = label_lines(label)
        x, first_y = WIDTH - RIGHT + 6, (top + bottom) / 2 + 4 - (len(lines) - 1) * LINE / 2
        spans = "".join(
            f'<tspan x="{x}" y="{first_y + n * LINE:.1f}">{escape(line)}</tspan>'
            for n, line in enumerate(lines)
        )
        parts.append(f'<text class="band-label">{spans}</text>')
    parts.append(
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}"/>'
        f'<line class="axis" x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" '
        f'y2="{HEIGHT - BOTTOM}"/>'
        f'<text class="axis-label" x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end">'
        f"{number(high, locale)}</text>"
        f'<text class="axis-label" x="{LEFT - 6}" y="{HEIGHT - BOTTOM}" text-anchor="end">'
        f"{number(low, locale)}</text>"
    )
    points = plotted(trend, scale, locale, t)
    if len(points) > 1:
        joined = " ".join(f"{p.x},{p.y}" for p in points)
        parts.append(f'<polyline class="line" points="{joined}"/>')
    lone = len(points) == 1
    for point in points:
        kind = "point-reliable" if point.reliable else "point"
        radius = 7 if point.reliable or lone else 5
        parts.append(
            f'<circle class="{kind}" cx="{point.x}" cy="{point.y}" r="{radius}">'
            f"<title>{escape(point.label)}</title></circle>"
        )
    scored = [p for p in trend.points if p.score is not None]
    if not scored:  # every result had too few answers for a score: say so, not a blank plot
        parts.append(
            f'<text class="point-value" x="{LEFT + (WIDTH - LEFT - RIGHT) / 2}" '
            f'y="{(TOP + HEIGHT - BOTTOM) / 2}" text-anchor="middle">'
            f"{escape(t['chart_no_score'])}</text>"
        )
    if lone:
        # One result: its score (and band) beside the point, so the chart is not a blank plot.
        only = scored[0]
        value = number(only.score, locale)
        if only.band_label:
            value += f" ({only.band_label})"
        # Beside the point; just above it when the point sits on the axis (a score of 0).
        near_axis = points[0].y > HEIGHT - BOTTOM - 14
        y = points[0].y - 10 if near_axis else points[0].y + 5
        parts.append(
            f'<text class="point-value" x="{points[0].x + 12}" y="{y:.1f}">{escape(value)}</text>'
        )
    if scored:
        first, last = scored[0].answered_at, scored[-1].answered_at
        baseline = HEIGHT - BOTTOM + 18
        anchor = f'x="{points[0].x}" text-anchor="middle"' if lone else f'x="{LEFT}"'
        parts.append(
            f'<text class="axis-label" {anchor} y="{baseline}">{short_day(first, locale)}</text>'
        )
        if len(scored) > 1:
            parts.append(
                f'<text class="axis-label" x="{WIDTH - RIGHT}" y="{baseline}" '
                f'text-anchor="end">{short_day(last, locale)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above is escaped)
