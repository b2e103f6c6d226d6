"""The reliability diagram of a model's scores (docs/statistics.md#watching-the-model): each score
bin's mean score (x) against the share of its audits that failed (y), with the Wilson interval
as a vertical bar, over the diagonal a calibrated model lies on. SVG text, escaped here, drawn
like ``scorecards.charts`` (same frame, colours and accessibility)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from accounts.formats import percent as _percent
from sampling.stats import CalibrationBin

from .charts import GRID, INK, MUTED, _open

SIZE, MARGIN, TOP = 320, 44, 16


def _x(value: float) -> float:
    return round(MARGIN + value * (SIZE - MARGIN - 20), 1)


def _y(value: float) -> float:
    return round(TOP + (1 - value) * (SIZE - MARGIN - TOP), 1)


def reliability_svg(bins: Sequence[CalibrationBin], *, title: str) -> str:
    """A square 0–100 % × 0–100 % plot; the point's area grows with its audits."""
    summary = f"{title}: {len(bins)} score bins"
    if bins:
        summary += "; " + "; ".join(
            f"scored {_percent(b.mean_score)}, failed {_percent(b.observed)} of {b.count}"
            for b in bins
        )
    parts = _open("reliability-chart", title, summary)
    parts[0] = parts[0].replace('viewBox="0 0 720 280"', f'viewBox="0 0 {SIZE} {SIZE}"')
    parts.append('<g class="axes">')
    for k in range(6):
        v = k / 5
        parts.append(
            f'<line x1="{_x(0)}" x2="{_x(1)}" y1="{_y(v)}" y2="{_y(v)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{_x(0) - 6}" y="{_y(v) + 4}" text-anchor="end" '
            f'fill="{MUTED}">{_percent(v, 0)}</text>'
        )
        parts.append(
            f'<text x="{_x(v)}" y="{_y(0) + 16}" text-anchor="middle" '
            f'fill="{MUTED}">{_percent(v, 0)}</text>'
        )
    parts.append(
        f'<text x="{_x(0.5)}" y="{SIZE - 4}" text-anchor="middle" fill="{MUTED}">'
        "mean score (predicted failure)</text>"
    )
    parts.append(
        f'<text x="12" y="{_y(0.5)}" text-anchor="middle" fill="{MUTED}" '
        f'transform="rotate(-90 12 {_y(0.5)})">failed (observed)</text>'
    )
    parts.append("</g>")
    parts.append(
        f'<line class="diagonal" x1="{_x(0)}" y1="{_y(0)}" x2="{_x(1)}" y2="{_y(1)}" '
        f'stroke="{MUTED}" stroke-width="1.5" stroke-dasharray="6 4"/>'
    )
    largest = max((b.count for b in bins), default=1)
    for b in bins:
        x, tip = (
            _x(b.mean_score),
            escape(
                f"scores {_percent(b.low)}–{_percent(b.high)}: mean {_percent(b.mean_score)}, "
                f"{_percent(b.observed)} failed ({_percent(b.observed_low)} – "
                f"{_percent(b.observed_high)}) of {b.count} audits"
            ),
        )
        radius = round(3 + 4 * (b.count / largest) ** 0.5, 1)
        parts.append(
            f'<g class="bin"><title>{tip}</title>'
            f'<line x1="{x}" x2="{x}" y1="{_y(b.observed_low)}" '
            f'y2="{_y(b.observed_high)}" stroke="{INK}" stroke-width="1.5"/>'
            f'<circle cx="{x}" cy="{_y(b.observed)}" r="{radius}" fill="{INK}" '
            'fill-opacity="0.75"/></g>'
        )
    parts.append("</svg>")
    return "\n".join(parts)
