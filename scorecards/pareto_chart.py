"""A Pareto chart of error themes as inline SVG, drawn on the server.

Bars are the categories' rates in descending order, each with its confidence interval as a
whisker; a line with points carries the cumulative share, read on the right-hand axis. The
chart is a pure function of its bars, so it can be tested as text and printed anywhere: no
script, no stylesheet or font to fetch, black strokes on a light grey fill so it survives a
black-and-white printer, and a <title> plus an aria-label that say what it shows in words.
Labels are escaped here; the only links are the optional ``href`` of each bar (the page's own
"audits behind this theme" URL).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

from accounts.formats import percent as _percent

# Layout, in SVG user units (the chart scales to its container through viewBox).
HEIGHT = 320
TOP = 40
BOTTOM = 112
LEFT = 58
RIGHT = 58
SLOT = 64
MIN_WIDTH = 480
LABEL_CHARS = 26
CHAR_WIDTH = 6  # about, for an 11-unit sans-serif font
# Candidate tick steps for the rate axis: the first giving at most five ticks wins.
STEPS = (0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0)


@dataclass(frozen=True)
class Bar:
    """One theme: its label, its rate (0–1) with optional interval, and the cumulative share
    of the summed rates up to and including it (0–1)."""

    label: str
    rate: float
    cumulative: float
    low: float | None = None
    high: float | None = None
    href: str | None = None


def _scale_top(bars: Sequence[Bar]) -> tuple[float, float]:
    """The rate axis' top and tick step: a round value at or above every whisker."""
    peak = max([bar.high if bar.high is not None else bar.rate for bar in bars] + [0.001])
    for step in STEPS:
        ticks = -(-peak // step)  # ceiling
        if ticks <= 5:
            return max(ticks, 1) * step, step
    return 1.0, 0.25


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def pareto_svg(bars: Sequence[Bar], title: str = "Error themes") -> SafeString:
    """The chart as an <svg> string (marked safe: every label is escaped here). ``bars``
    should already be in descending order of rate, as a Pareto chart reads."""
    summary = "; ".join(
        f"{bar.label} {_percent(bar.rate)} (cumulative {_percent(bar.cumulative)})"
        for bar in bars
    ) or "no errors found"
    label = f"{title}, Pareto chart: {summary}"
    # Slanted labels run down and to the left of their bar: leave room for the longest.
    longest = max((len(_short(bar.label)) for bar in bars), default=0)
    left = max(LEFT, round(longest * CHAR_WIDTH * 0.82 - SLOT / 2 + 8))
    width = max(MIN_WIDTH, left + RIGHT + SLOT * len(bars))
    slot = (width - left - RIGHT) / len(bars) if bars else SLOT
    bar_width = min(slot * 0.7, SLOT * 0.7)
    plot_height = HEIGHT - TOP - BOTTOM
    bottom = TOP + plot_height
    parts = [
        f'<svg class="pareto-chart" role="img" '
        f'viewBox="0 0 {width} {HEIGHT}" width="100%" '
        f'style="max-width:{width}px;height:auto" font-family="sans-serif" font-size="11" '
        f'aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
    ]
    if not bars:
        parts.append(f'<text x="{width / 2:g}" y="{HEIGHT / 2:g}" text-anchor="middle">'
                     "No errors found in this period.</text></svg>")
        return mark_safe("".join(parts))  # noqa: S308 - built from escaped text only

    top_rate, step = _scale_top(bars)

    def y_rate(value: float) -> float:
        return bottom - min(max(value, 0.0), top_rate) / top_rate * plot_height

    def y_share(value: float) -> float:
        return bottom - min(max(value, 0.0), 1.0) * plot_height

    right = left + slot * len(bars)
    # Legend: what the bars and the line mean, in shapes that need no colour.
    parts.append(
        '<g class="legend"><rect x="8" y="8" width="12" height="10" fill="#d9d9d9" '
        'stroke="#000"/><text x="24" y="17">rate with interval (left axis)</text>'
        '<line x1="208" y1="13" x2="232" y2="13" stroke="#000" '
        'stroke-width="1.5"/><circle cx="220" cy="13" r="3" fill="#fff" '
        'stroke="#000"/><text x="238" y="17">cumulative share (right axis)</text></g>'
    )
    # Axes and gridlines.
    parts.append('<g class="axes" stroke="#000">')
    parts.append(f'<line x1="{left}" y1="{TOP}" x2="{left}" y2="{bottom}"/>')
    parts.append(f'<line x1="{right:.1f}" y1="{TOP}" x2="{right:.1f}" y2="{bottom}"/>')
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{right:.1f}" y2="{bottom}"/></g>')
    ticks = round(top_rate / step)
    for i in range(ticks + 1):
        value = i * step
        y = y_rate(value)
        parts.append(
            f'<line x1="{left - 4}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" stroke="#bbb" '
            f'stroke-dasharray="2 3"/><text x="{left - 6}" y="{y + 4:.1f}" '
            f'text-anchor="end">{_percent(value, 1 if step < 0.01 else 0)}</text>'
        )
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = y_share(share)
        parts.append(
            f'<line x1="{right:.1f}" y1="{y:.1f}" x2="{right + 4:.1f}" y2="{y:.1f}" stroke="#000"/>'
            f'<text x="{right + 6:.1f}" y="{y + 4:.1f}">{_percent(share, 0)}</text>'
        )
    # Bars, whiskers, value labels and category labels.
    points = []
    for index, bar in enumerate(bars):
        x = left + slot * index
        centre = x + slot / 2
        y = y_rate(bar.rate)
        shape = (
            f'<g class="bar"><title>{escape(bar.label)}: {_percent(bar.rate)}'
            + (f", interval {_percent(bar.low)} – {_percent(bar.high)}"
               if bar.low is not None and bar.high is not None else "")
            + f'</title><rect x="{centre - bar_width / 2:.1f}" y="{y:.1f}" width="{bar_width:.1f}" '
            f'height="{bottom - y:.1f}" fill="#d9d9d9" stroke="#000"/>'
        )
        top_label = y
        if bar.low is not None and bar.high is not None:
            low, high = y_rate(bar.low), y_rate(bar.high)
            top_label = min(top_label, high)
            shape += (
                f'<path d="M{centre:.1f} {low:.1f}V{high:.1f}M{centre - 6:.1f} {low:.1f}'
                f'h12M{centre - 6:.1f} {high:.1f}h12" stroke="#000" fill="none"/>'
            )
        shape += (
            f'<text x="{centre:.1f}" y="{top_label - 4:.1f}" text-anchor="middle" '
            f'font-size="10">{_percent(bar.rate)}</text>'
            f'<text x="{centre:.1f}" y="{bottom + 14}" text-anchor="end" '
            f'transform="rotate(-35 {centre:.1f} {bottom + 14})">{escape(_short(bar.label))}'
            f"</text></g>"
        )
        if bar.href:
            shape = f'<a href="{escape(bar.href)}">{shape}</a>'
        parts.append(shape)
        points.append((centre, y_share(bar.cumulative)))
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    parts.append(f'<polyline class="cumulative" points="{path}" fill="none" stroke="#000" '
                 'stroke-width="1.5"/>')
    parts.extend(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#fff" stroke="#000" stroke-width="1.5"/>'
        for x, y in points
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - built from escaped text only
