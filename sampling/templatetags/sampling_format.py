"""How sampling pages write proportions, identically to static/js/planner.js."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def percent(value, digits: int = 2) -> str:
    """0.02873 -> "2.87 %"; None -> "—" (a margin that cannot be stated)."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{int(digits)}f} %"


@register.filter
def points(value, digits: int = 1) -> str:
    """A difference of two proportions in percentage points, signed: 0.021 -> "+2.1 pts",
    -0.004 -> "-0.4 pts"; None -> "—"."""
    if value is None or value == "":
        return "—"
    shown = round(float(value) * 100, int(digits)) + 0.0  # + 0.0: no "-0.0"
    return f"{shown:+.{int(digits)}f} pts"


@register.filter
def plusminus(value, digits: int = 2) -> str:
    """A margin of error: 0.02873 -> "± 2.87 %"."""
    if value is None or value == "":
        return "—"
    return f"± {float(value) * 100:.{int(digits)}f} %"


@register.filter
def pct(value) -> str:
    """A setting as typed: Decimal("0.9500") -> "95 %", 0.025 -> "2.5 %"."""
    if value is None or value == "":
        return "—"
    return f"{round(float(value) * 100, 4):g} %"


@register.simple_tag
def interval_bar(estimate, label: str = "") -> str:
    """An estimate's confidence interval as a bar on a 0–100 % scale, with a tick at the
    point estimate (a ``stats.Estimate``; ``label`` names it for screen readers). Written in
    Python, not an included template: a breakdown draws hundreds of them. Only the label is
    text to escape; the rest are numbers this function writes."""
    low, high = percent(estimate.low, 1), percent(estimate.high, 1)
    return mark_safe(
        f'<span class="interval-bar" role="img" aria-label="{escape(label or "estimate")} '
        f'{percent(estimate.p, 1)}, interval {low} to {high}" title="{low} – {high}" '
        'style="position:relative;display:inline-block;width:8rem;height:.6rem;'
        'background:#eef0f3;border-radius:3px;vertical-align:middle;"><span style="'
        f'position:absolute;top:0;bottom:0;left:{round(estimate.low * 100)}%;'
        f'width:{round(estimate.margin * 200)}%;min-width:2px;background:#9db7e0;'
        'border-radius:3px;"></span><span style="position:absolute;top:-2px;bottom:-2px;'
        f'left:{round(estimate.p * 100)}%;width:2px;background:#1f4e99;"></span></span>'
    )
