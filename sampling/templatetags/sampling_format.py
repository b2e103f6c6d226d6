"""How sampling pages write proportions, identically to static/js/planner.js."""

from django import template

register = template.Library()


@register.filter
def percent(value, digits: int = 2) -> str:
    """0.02873 -> "2.87 %"; None -> "—" (a margin that cannot be stated)."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{int(digits)}f} %"


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
