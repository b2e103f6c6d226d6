"""The tags that write a domain's rate, its interval bar and a table view's rows
(scorecards/templatetags/scorecard_format.py, sampling/templatetags/sampling_format.py)."""

from django.template import Context, Template

from sampling.stats import domain_proportion
from scorecards.tables import Table


def render(source: str, **context) -> str:
    return Template("{% load sampling_format scorecard_format %}" + source).render(Context(context))


def test_a_rate_shows_the_estimate_its_interval_the_bar_and_the_audits():
    estimate = domain_proportion({"a": (1000, 100, 40, 30), "b": (500, 50, 50, 45)})
    html = render("{% domain_rate estimate 90 'accuracy' %}", estimate=estimate)
    low, high = f"{estimate.low * 100:.1f}%", f"{estimate.high * 100:.1f}%"
    assert f"<strong>{estimate.p * 100:.1f}%</strong>" in html
    assert f'<span class="interval">{low} – {high}</span>' in html
    assert f'aria-label="accuracy {estimate.p * 100:.1f}%, interval {low} to {high}"' in html
    # The bar spans low…high on a 0–100 scale, the tick sits at the estimate.
    assert f"left:{round(estimate.low * 100)}%;width:{round(estimate.margin * 200)}%" in html
    assert f"left:{round(estimate.p * 100)}%;width:2px" in html
    assert "n 90" in html


def test_without_an_estimate_the_page_says_too_few_audits():
    html = render("{% domain_rate None 4 %}")
    assert "too few audits (n 4)" in html and "Fewer than 10 audits" in html
    assert "interval-bar" not in html


def test_table_rows_escape_values_and_leave_none_empty():
    table = Table("t", "T", ["name", "rate"])
    table.add(name="<script>alert(1)</script>", rate=None)
    table.add(name="Kraków", rate=0.1234)
    html = render("{% table_rows table %}", table=table)
    assert html == (
        "<tr><td>&lt;script&gt;alert(1)&lt;/script&gt;</td><td></td></tr>"
        "<tr><td>Kraków</td><td>0.1234</td></tr>"
    )
