"""In a real browser: a program manager uploads a ticket file, fixes it, and sees the
tickets counted by vendor."""

import pytest
from playwright.sync_api import expect

from tests.tickets.conftest import good_row

pytestmark = pytest.mark.browser


def test_a_manager_fixes_a_rejected_file_and_sees_the_tickets_counted(
    page, log_in, manager, program, ticket_csv, media_root
):
    bad = ticket_csv([good_row("T-1"), good_row("T-2", site="bogota")], name="week-9.csv")
    good = ticket_csv(
        [
            good_row("T-1"),
            good_row("T-2", agent="ag-2"),
            good_row("T-3", vendor="borealis", site="bogota"),
        ],
        name="week-9-fixed.csv",
    )
    log_in(manager)

    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_text("Audits", exact=True).click()
    nav.get_by_role("link", name="Import tickets").click()
    page.set_input_files("input[type=file]", str(bad))
    page.get_by_role("button", name="Upload and import").click()

    report = page.locator("#import-report")
    expect(report).to_contain_text("1 problem in 1 row of 2; nothing was imported.")
    expect(report).to_contain_text("row 3, field site: site 'bogota' belongs to vendor 'borealis'")

    page.get_by_role("link", name="Import", exact=True).click()  # the breadcrumb
    page.set_input_files("input[type=file]", str(good))
    page.fill("input[name=source]", "zendesk")
    page.get_by_role("button", name="Upload and import").click()

    expect(page.locator("#import-report")).to_contain_text("3 rows read; 3 new tickets")
    expect(page.locator("[data-count=agents-created]")).to_have_text("3")
    page.get_by_role("link", name="All vendors").click()
    expect(page.locator("[data-vendor-tickets=acme]")).to_have_text("2")
    expect(page.locator("[data-vendor-tickets=borealis]")).to_have_text("1")
