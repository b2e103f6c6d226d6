"""A model's calibration plot as inline SVG (a reliability diagram): for each bin of scores,
the mean score (x) against the share of those tickets that failed QA (y), with that share's
Wilson interval as a whisker and the diagonal a perfectly calibrated model would follow. Drawn
for the model card (out-of-fold scores) and the model-monitoring page (a period's audits,
``scorecards.model_views``). It follows scorecards.charts' conventions (an image to assistive
technology, presentation attributes, no script), drawn here because scorecards sits above
this app.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

SIZE, LEFT, BOTTOM, TOP, RIGHT = 320, 44, 40, 12, 12
INK, MUTED, GRID, DIAGONAL = "#1f4e99", "#555b66", "#e3e6eb", "#8a8f98"
TICKS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def _x(value: float) -> float:
    return round(LEFT + value * (SIZE - LEFT - RIGHT), 1)


def _y(value: float) -> float:
    return round(SIZE - BOTTOM - value * (SIZE - BOTTOM - TOP), 1)


def calibration_svg(bins: Sequence, *, title: str, name: str = "calibration-chart") -> str:
    """``bins``: objects with ``low``, ``high``, ``mean_score``, ``observed``,
    ``observed_low``, ``observed_high`` and ``count`` (risk_model.models.CalibrationBin rows,
    sampling.stats.CalibrationBin); ``name`` is the svg's class beside ``chart``."""
    summary = "; ".join(
        f"scores near {b.mean_score:.0%}: {b.observed:.0%} failed of {b.count}" for b in bins
    )
    parts = [
        f'<svg class="chart {name}" viewBox="0 0 {SIZE} {SIZE}" role="img" '
        f'aria-label="{escape(title)}: {escape(summary)}">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in TICKS:
        parts.append(
            f'<line x1="{_x(0)}" x2="{_x(1)}" y1="{_y(tick)}" y2="{_y(tick)}" stroke="{GRID}"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{_y(tick) + 4}" text-anchor="end" '
            f'font-size="11" fill="{MUTED}">{tick:.0%}</text>'
        )
        parts.append(
            f'<text x="{_x(tick)}" y="{SIZE - BOTTOM + 16}" text-anchor="middle" '
            f'font-size="11" fill="{MUTED}">{tick:.0%}</text>'
        )
    parts.append(
        f'<line x1="{_x(0)}" y1="{_y(0)}" x2="{_x(1)}" y2="{_y(1)}" '
        f'stroke="{DIAGONAL}" stroke-dasharray="4 4"/>'
    )
    parts.append(
        f'<text x="{(_x(0) + _x(1)) / 2}" y="{SIZE - 6}" text-anchor="middle" '
        f'font-size="12" fill="{MUTED}">Predicted risk (mean score of the bin)</text>'
    )
    parts.append(
        f'<text transform="translate(12 {(_y(0) + _y(1)) / 2}) rotate(-90)" '
        f'text-anchor="middle" font-size="12" fill="{MUTED}">Observed failure rate'
        "</text>"
    )
    largest = max((b.count for b in bins), default=1)
    for b in bins:
        x = _x(b.mean_score)
        radius = round(3 + 4 * (b.count / largest) ** 0.5, 1)
        parts.append(
            f'<g class="bin"><title>Scores {b.low:.0%}–{b.high:.0%}: {b.count} audited tickets, '
            f"mean score {b.mean_score:.1%}, {b.observed:.1%} failed "
            f"({b.observed_low:.1%}–{b.observed_high:.1%})</title>"
            f'<line x1="{x}" x2="{x}" y1="{_y(b.observed_low)}" y2="{_y(b.observed_high)}" '
            f'stroke="{INK}" stroke-width="1.5"/>'
            f'<circle cx="{x}" cy="{_y(b.observed)}" r="{radius}" fill="{INK}" '
            'fill-opacity="0.8"/></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
