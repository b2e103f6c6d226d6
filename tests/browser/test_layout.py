"""In a real browser at 1280 px: the navigation fits on one line in groups, a group opens and
leads to its pages, and a table wider than the page scrolls inside its card with the row
names kept in view."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

WIDE_TABLE = """
const card = document.createElement('div');
card.className = 'card';
card.id = 'wide';
card.innerHTML = '<table class="data"><thead><tr><th>Vendor</th>'
  + Array.from({length: 30}, (_, i) => '<th>Workflow number ' + i + '</th>').join('')
  + '</tr></thead><tbody><tr><th scope="row">Acme Moderation</th>'
  + Array.from({length: 30}, () => '<td>97.2% (96.1% – 97.9%)</td>').join('')
  + '</tr></tbody></table>';
document.querySelector('main.content').appendChild(card);
"""


def test_the_navigation_fits_at_1280_px_and_groups_open_on_click(page, signed_in, manager):
    page.set_viewport_size({"width": 1280, "height": 800})
    signed_in(manager)
    page.goto("/")

    topbar = page.locator("header.topbar").bounding_box()
    assert topbar["height"] < 50, "the top bar wraps onto a second line"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Trends")).to_be_hidden()
    nav.get_by_text("Program", exact=True).click()
    nav.get_by_role("link", name="Trends").click()
    expect(page).to_have_url(re.compile(r"/scorecards/trends/"))

    # One group open at a time.
    nav.get_by_text("Audits", exact=True).click()
    expect(nav.get_by_role("link", name="My queue")).to_be_visible()
    nav.get_by_text("Manage", exact=True).click()
    expect(nav.get_by_role("link", name="My queue")).to_be_hidden()
    expect(nav.get_by_role("link", name="Workflows")).to_be_visible()


def test_a_wide_table_scrolls_inside_its_card_and_keeps_its_first_column(page, signed_in, manager):
    page.set_viewport_size({"width": 1280, "height": 800})
    signed_in(manager)
    page.goto("/")
    page.evaluate(WIDE_TABLE)

    card = page.locator("#wide")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert card.evaluate("c => c.scrollWidth > c.clientWidth")

    name = card.get_by_role("rowheader", name="Acme Moderation")
    before = name.bounding_box()["x"]
    card.evaluate("c => { c.scrollLeft = 800; }")
    assert card.evaluate("c => c.scrollLeft") == 800
    assert name.bounding_box()["x"] == pytest.approx(before, abs=1)
    first_workflow = card.get_by_role("columnheader", name="Workflow number 0", exact=True)
    expect(first_workflow).not_to_be_in_viewport()
