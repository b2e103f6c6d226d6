"""Server-side SVG charts: a weekly series with its interval band, and a p-chart.

Pure functions returning SVG text, so a page works offline, prints, and needs no script or
library. Every chart is an image to assistive technology (``role="img"`` with a <title> and
an ``aria-label`` that states what it shows); every label is escaped here, so callers may mark
the result safe. Colours are presentation attributes (static/css/charts.css only sizes the
charts), and what matters never depends on colour alone: out-of-control weeks are triangles,
ordinary weeks circles, the center line dashed, the limits solid steps. No ``xmlns`` is
written: inline SVG in HTML gets its namespace from the parser, and the text then holds no
URL at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from accounts.formats import percent as _percent

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 28, 44
INK, BAND, MUTED, GRID, ALERT = "#1f4e99", "#c9d7ee", "#555b66", "#e3e6eb", "#b3261e"
STEPS = (0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25)


@dataclass(frozen=True)
class SeriesPoint:
    """One x position: its label (a week) and, when known, a value with its interval (0–1)."""

    label: str
    value: float | None = None
    low: float | None = None
    high: float | None = None


def _y_range(values: Sequence[float]) -> tuple[float, float, float]:
    """(bottom, top, tick step) of a y axis zoomed to ``values``, on round steps within 0–1."""
    if not values:
        return 0.0, 1.0, 0.2
    low, high = max(0.0, min(values)), min(1.0, max(values))
    span = max(high - low, 0.01)
    step = next((s for s in STEPS if span / s <= 5), 0.25)
    bottom = max(0.0, math.floor(low / step - 0.25) * step)
    top = min(1.0, math.ceil(high / step + 0.25) * step)
    if top - bottom < step:
        bottom, top = max(0.0, top - step), max(step, top)
    return bottom, top, step


class _Frame:
    """Maps slots (x) and rates (y) to the drawing area."""

    def __init__(self, count: int, bottom: float, top: float):
        self.count, self.bottom, self.top = max(count, 1), bottom, top
        self.slot = (WIDTH - LEFT - RIGHT) / self.count

    def x(self, i: float) -> float:
        return round(LEFT + (i + 0.5) * self.slot, 1)

    def y(self, value: float) -> float:
        share = (value - self.bottom) / ((self.top - self.bottom) or 1)
        return round(TOP + (1 - share) * (HEIGHT - TOP - BOTTOM), 1)


def _open(kind: str, title: str, summary: str) -> list[str]:
    return [
        f'<svg class="chart {kind}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(summary)}" preserveAspectRatio="xMidYMid meet" '
        f'font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(summary)}</desc>",
    ]


def _axes(frame: _Frame, labels: Sequence[str], step: float) -> list[str]:
    parts = ['<g class="axes">']
    ticks = round((frame.top - frame.bottom) / step)
    for k in range(ticks + 1):
        value = frame.bottom + k * step
        y = frame.y(value)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y}" y2="{y}" '
                     f'stroke="{GRID}" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end" fill="{MUTED}">'
                     f"{escape(_percent(value))}</text>")
    every = math.ceil(len(labels) / 12) or 1
    base = HEIGHT - BOTTOM
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}" '
                 f'stroke="{MUTED}" stroke-width="1"/>')
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            parts.append(f'<text class="x-label" x="{frame.x(i)}" y="{base + 16}" '
                         f'text-anchor="middle" fill="{MUTED}">{escape(label)}</text>')
    parts.append("</g>")
    return parts


def _runs(points: Sequence[SeriesPoint]) -> list[list[int]]:
    """Indexes of consecutive points that have a value (a missing week breaks the line)."""
    runs: list[list[int]] = []
    for i, point in enumerate(points):
        if point.value is None:
            continue
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _tooltip(point: SeriesPoint) -> str:
    if point.low is None or point.high is None:
        return f"{point.label}: {_percent(point.value)}"
    return (f"{point.label}: {_percent(point.value)} "
            f"({_percent(point.low)} – {_percent(point.high)})")


def _gaps(frame: _Frame, points: Sequence[SeriesPoint]) -> list[str]:
    """A small hollow tick on the axis under each week without a value, with its reason."""
    base = HEIGHT - BOTTOM
    return [
        f'<g class="gap"><title>{escape(point.label)}: too few audits</title>'
        f'<line x1="{frame.x(i)}" x2="{frame.x(i)}" y1="{base - 6}" y2="{base}" '
        f'stroke="{MUTED}" stroke-width="1" stroke-dasharray="2 2"/></g>'
        for i, point in enumerate(points) if point.value is None
    ]


def trend_chart(points: Sequence[SeriesPoint], *, title: str = "Accuracy by week",
                measure: str = "accuracy") -> str:
    """A line of the weekly estimate over a shaded band of its interval, y zoomed to the data
    (0–100 % at most). Weeks without a value break the line and get a dashed tick."""
    known = [p for p in points if p.value is not None]
    values = [v for p in known for v in (p.value, p.low, p.high) if v is not None]
    bottom, top, step = _y_range(values)
    frame = _Frame(len(points), bottom, top)
    summary = f"{title}: {len(points)} weeks"
    if points:
        summary += f" from {points[0].label} to {points[-1].label}"
    summary += f", {len(known)} with enough audits"
    if known:
        summary += f"; latest {measure} {_tooltip(known[-1])}"
    parts = _open("trend-chart", title, summary) + _axes(frame, [p.label for p in points], step)
    for run in _runs(points):
        banded = [i for i in run if points[i].low is not None and points[i].high is not None]
        if len(banded) > 1:
            upper = " L".join(f"{frame.x(i)},{frame.y(points[i].high)}" for i in banded)
            lower = " L".join(f"{frame.x(i)},{frame.y(points[i].low)}" for i in reversed(banded))
            parts.append(f'<path class="band" d="M{upper} L{lower} Z" fill="{BAND}" '
                         f'stroke="none"/>')
        for i in banded if len(banded) == 1 else ():
            parts.append(f'<line class="band" x1="{frame.x(i)}" x2="{frame.x(i)}" '
                         f'y1="{frame.y(points[i].low)}" y2="{frame.y(points[i].high)}" '
                         f'stroke="{BAND}" stroke-width="6"/>')
        if len(run) > 1:
            line = " L".join(f"{frame.x(i)},{frame.y(points[i].value)}" for i in run)
            parts.append(f'<path class="line" d="M{line}" fill="none" stroke="{INK}" '
                         f'stroke-width="2"/>')
    for i, point in enumerate(points):
        if point.value is not None:
            parts.append(f'<circle class="point" cx="{frame.x(i)}" cy="{frame.y(point.value)}" '
                         f'r="3.5" fill="{INK}"><title>{escape(_tooltip(point))}</title></circle>')
    parts += _gaps(frame, points)
    parts.append("</svg>")
    return "\n".join(parts)


def _steps(frame: _Frame, limits: Sequence[float | None]) -> list[str]:
    """Path pieces of a limit that changes per week: flat across each week's slot, a vertical
    step between weeks, broken where a week has no limit."""
    pieces, current = [], ""
    for i, limit in enumerate(limits):
        if limit is None:
            if current:
                pieces.append(current)
            current = ""
            continue
        left, right, y = round(frame.x(i) - frame.slot / 2, 1), round(frame.x(i) + frame.slot / 2,
                                                                       1), frame.y(limit)
        current += f" V{y} H{right}" if current else f"M{left},{y} H{right}"
    if current:
        pieces.append(current)
    return pieces


def _triangle(x: float, y: float, up: bool, size: float = 6.5) -> str:
    tip = y - size if up else y + size
    foot = y + size * 0.6 if up else y - size * 0.6
    return f"M{x},{tip} L{round(x + size, 1)},{foot} L{round(x - size, 1)},{foot} Z"


def _legend() -> list[str]:
    x, y = LEFT, 14
    return [
        '<g class="legend">',
        f'<circle cx="{x + 4}" cy="{y - 4}" r="3.5" fill="{INK}"/>',
        f'<text x="{x + 12}" y="{y}">week</text>',
        f'<path d="{_triangle(x + 64, y - 4, True, 5)}" fill="{ALERT}" stroke="#000" '
        f'stroke-width="0.8"/>',
        f'<text x="{x + 74}" y="{y}">out of control</text>',
        f'<line x1="{x + 170}" x2="{x + 194}" y1="{y - 4}" y2="{y - 4}" stroke="{MUTED}" '
        f'stroke-width="1.5" stroke-dasharray="6 4"/>',
        f'<text x="{x + 200}" y="{y}">center line</text>',
        f'<line x1="{x + 280}" x2="{x + 304}" y1="{y - 4}" y2="{y - 4}" stroke="{ALERT}" '
        f'stroke-width="1.5"/>',
        f'<text x="{x + 310}" y="{y}">3-sigma limits</text>',
        "</g>",
    ]


def p_chart_svg(points: Sequence[SeriesPoint], center: float | None,
                lcl: Sequence[float | None], ucl: Sequence[float | None],
                flagged: Sequence[bool], *, title: str = "Error rate p-chart") -> str:
    """A p-chart: each week's rate (``points[i].value``), the dashed center line, the upper
    and lower 3-sigma limits as steps (they move with each week's sample size) and the
    weeks outside them (``flagged[i]`` truthy) drawn as triangles pointing the way they left
    the limits. ``lcl``, ``ucl`` and ``flagged`` run parallel to ``points``."""
    if not len(points) == len(lcl) == len(ucl) == len(flagged):
        raise ValueError("points, lcl, ucl and flagged must have the same length")
    known = [p for p in points if p.value is not None]
    values = [p.value for p in known] + [v for v in (*lcl, *ucl) if v is not None]
    values += [center] if center is not None else []
    bottom, top, step = _y_range(values)
    frame = _Frame(len(points), bottom, top)
    out = [p.label for p, flag in zip(points, flagged, strict=True) if flag and p.value is not None]
    summary = f"{title}: {len(known)} weeks charted"
    if center is not None:
        summary += f", center line {_percent(center)}"
    summary += (f"; {len(out)} out of control: {', '.join(out)}" if out
                else "; no week out of control")
    parts = _open("p-chart", title, summary) + _axes(frame, [p.label for p in points], step)
    parts += _legend()
    if center is not None:
        parts.append(f'<line class="center-line" x1="{LEFT}" x2="{WIDTH - RIGHT}" '
                     f'y1="{frame.y(center)}" y2="{frame.y(center)}" stroke="{MUTED}" '
                     f'stroke-width="1.5" stroke-dasharray="6 4"/>')
    for name, limits in (("ucl", ucl), ("lcl", lcl)):
        for piece in _steps(frame, limits):
            parts.append(f'<path class="limit {name}" d="{piece}" fill="none" '
                         f'stroke="{ALERT}" stroke-width="1.5"/>')
    for run in _runs(points):
        if len(run) > 1:
            line = " L".join(f"{frame.x(i)},{frame.y(points[i].value)}" for i in run)
            parts.append(f'<path class="line" d="M{line}" fill="none" stroke="{INK}" '
                         f'stroke-width="1.5"/>')
    for i, point in enumerate(points):
        if point.value is None:
            continue
        x, y, tip = frame.x(i), frame.y(point.value), escape(_tooltip(point))
        if flagged[i]:
            up = center is None or point.value >= center
            parts.append(f'<path class="point flagged" d="{_triangle(x, y, up)}" '
                         f'fill="{ALERT}" stroke="#000" stroke-width="1">'
                         f"<title>{tip}: out of control</title></path>")
        else:
            parts.append(f'<circle class="point" cx="{x}" cy="{y}" r="3.5" fill="{INK}">'
                         f"<title>{tip}</title></circle>")
    parts += _gaps(frame, points)
    parts.append("</svg>")
    return "\n".join(parts)
