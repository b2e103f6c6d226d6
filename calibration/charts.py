"""A sparkline for the reliability page: values over time, each with its interval as a whisker.

Pure, returning SVG text (no script, prints, works offline), an image to assistive technology
with a label that states what it shows and a <title> per point; every label is escaped here,
so callers may mark the result safe. Like ``scorecards.charts``, which sits above this app.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

INK, BAND, ALERT = "#1f4e99", "#9db3d9", "#b3261e"


@dataclass(frozen=True)
class Point:
    label: str  # what the point is (a month, a session) and its value, for its <title>
    value: float
    low: float | None = None
    high: float | None = None
    alert: bool = False  # drawn as a red square, not only in colour


def sparkline(points: Sequence[Point], *, label: str, bottom: float = 0.0, top: float = 1.0,
              width: int = 180, height: int = 44) -> str:
    """``points`` oldest first on a y axis from ``bottom`` to ``top``; empty text when none."""
    if not points:
        return ""
    pad = 5
    step = (width - 2 * pad) / max(len(points) - 1, 1)

    def x(i: int) -> float:
        return pad + i * step if len(points) > 1 else width / 2

    def y(v: float) -> float:
        v = min(max(v, bottom), top)
        return pad + (top - v) / (top - bottom) * (height - 2 * pad)

    parts = [f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="{escape(label)}">'
             f"<title>{escape(label)}</title>"]
    for i, p in enumerate(points):
        if p.low is not None and p.high is not None:
            parts.append(f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{y(p.low):.1f}" '
                         f'y2="{y(p.high):.1f}" stroke="{BAND}" stroke-width="2"/>')
    if len(points) > 1:
        line = " ".join(f"{x(i):.1f},{y(p.value):.1f}" for i, p in enumerate(points))
        parts.append(f'<polyline points="{line}" fill="none" stroke="{INK}" stroke-width="1.5"/>')
    for i, p in enumerate(points):
        if p.alert:
            parts.append(f'<rect x="{x(i) - 3:.1f}" y="{y(p.value) - 3:.1f}" width="6" height="6" '
                         f'fill="{ALERT}"><title>{escape(p.label)}</title></rect>')
        else:
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(p.value):.1f}" r="2.5" fill="{INK}">'
                         f"<title>{escape(p.label)}</title></circle>")
    parts.append("</svg>")
    return "".join(parts)
