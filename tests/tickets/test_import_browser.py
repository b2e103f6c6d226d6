"""In a real browser: a program manager uploads a ticket file, fixes it, and sees the
tickets counted by vendor; while a worker imports, the page's bar follows its progress."""

import re

import pytest
from django.core.files import File
from django.urls import reverse
from playwright.sync_api import expect

from accounts.progress import ProgressReporter
from tests.browser import POLLED, keep_a_picture
from tests.tickets.conftest import good_row
from tickets.importing import PROGRESS_KIND, run_ticket_import
from tickets.models import TicketImport

pytestmark = pytest.mark.browser


def test_a_manager_fixes_a_rejected_file_and_sees_the_tickets_counted(
    page, signed_in, manager, program, ticket_csv, media_root
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
    signed_in(manager)
    page.goto("/")

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


def test_the_upload_page_moves_its_bar_as_the_worker_reports_then_shows_the_report(
    page, signed_in, manager, program, ticket_csv, media_root
):
    path = ticket_csv([good_row("T-1"), good_row("T-2", agent="ag-2")], name="week-10.csv")
    upload = TicketImport(original_name=path.name, uploaded_by=manager)
    with path.open("rb") as file:
        upload.file.save(path.name, File(file))
    signed_in(manager)

    page.goto(reverse("audits:ticket_import_status", args=[upload.pk]))
    bar = page.get_by_role("progressbar")
    expect(page.locator("#job-text")).to_have_text("Waiting for a worker to pick up the file…")
    expect(bar).not_to_have_attribute("value", re.compile("."))  # no total yet: indeterminate
    keep_a_picture(page, "import-queued")

    # The worker starts and reports its first chunk; the open page follows without a reload.
    TicketImport.objects.filter(pk=upload.pk).update(status=TicketImport.Status.RUNNING)
    worker = ProgressReporter(PROGRESS_KIND, upload.pk, min_interval=0)  # every report kept
    worker.phase("checking rows", 2, "rows checked")
    worker.update(1)
    expect(page.locator("#job-text")).to_contain_text("1 of 2 rows checked", timeout=POLLED)
    expect(bar).to_have_attribute("value", "50")
    expect(page.locator("#job-phase")).to_have_text("Checking rows")
    expect(page.locator("h1 [data-job-status]")).to_have_text("Running")
    keep_a_picture(page, "import-running")

    run_ticket_import(upload.pk)  # the worker finishes: the page reloads into the report

    expect(page.locator("#import-report")).to_contain_text("2 rows read; 2 new tickets",
                                                        timeout=POLLED)
    expect(page.locator("#job-progress")).to_have_count(0)
