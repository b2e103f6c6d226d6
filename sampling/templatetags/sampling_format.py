"""How sampling and scorecard pages write proportions (``accounts.formats``, as
static/js/planner.js does) and draw an interval bar."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from accounts.formats import day, percent, plus_minus, points, score, setting_percent

register = template.Library()


# The program's one set of formats (accounts.formats), under the names these pages use.
register.filter("percent", percent)
register.filter("points", points)
register.filter("pct", setting_percent)
register.filter("plusminus", plus_minus)
register.filter("day", day)
register.filter("score", score)


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
