"""How scorecard pages write a domain's rate and a table's rows: in Python, because a
breakdown or a table view repeats them hundreds of times per page."""

import datetime as dt
from html import escape

from django import template
from django.utils.safestring import mark_safe

from accounts.formats import day, moment, percent
from rollups.estimates import MIN_AUDITS
from sampling.templatetags.sampling_format import interval_bar

register = template.Library()


@register.simple_tag
def domain_rate(estimate, audits, label: str = "") -> str:
    """One domain rate: the estimate, its interval as numbers and as a bar, and the audits
    behind it; or, with no estimate (fewer than MIN_AUDITS audits), a plain "too few audits"
    instead of a number. Only the label is text to escape (``interval_bar`` does)."""
    audits = int(audits or 0)
    if not estimate:
        return mark_safe(
            f'<span class="estimate too-few muted" title="Fewer than {MIN_AUDITS} audits: no '
            f'rate is shown">too few audits (n {audits})</span>')
    return mark_safe(
        f'<span class="estimate"><strong>{percent(estimate.p, 1)}</strong> <span class='
        f'"interval">{percent(estimate.low, 1)} – {percent(estimate.high, 1)}</span> '
        f'{interval_bar(estimate, label)} <span class="muted">n {audits}</span></span>')


@register.simple_tag
def assisted_rate(rate) -> str:
    """A domain's AI-assisted estimate (``rollups.assisted.AssistedRate``) under its classical
    one: the estimate and its interval; nothing when the domain has none."""
    if not rate:
        return ""
    estimate = rate.estimate
    return mark_safe(
        f'<div class="assisted small"><span class="label">AI-assisted</span> <strong>'
        f'{percent(estimate.p, 1)}</strong> <span class="interval">{percent(estimate.low, 1)}'
        f' – {percent(estimate.high, 1)}</span></div>')


def _shown(value) -> str:
    if isinstance(value, dt.datetime):
        return moment(value)
    if isinstance(value, dt.date):
        return day(value)
    return str(value)


@register.simple_tag
def table_rows(table) -> str:
    """A ``scorecards.tables.Table``'s rows as <tr> elements (None as an empty cell), every
    value escaped."""
    return mark_safe("".join(
        "<tr>" + "".join(f"<td>{'' if value is None else escape(_shown(value))}</td>"
                         for value in row.values()) + "</tr>"
        for row in table.rows))
