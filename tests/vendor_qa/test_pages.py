"""The pages: a QA lead uploads a vendor's QA and reads the gap on the vendor's scorecard and
as a red flag on the overview; the vendor's POC and QA analyst upload theirs in the portal
and see their own numbers only."""

import pytest
from django.urls import reverse

from tests.conftest import answered_from_the_program
from tests.people_and_places import CONFTESTS_OWN
from tests.vendor_qa.conftest import MARCH_QUERY, csv_file
from vendor_qa.models import VendorQAUpload, VendorTicketResult

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

UPLOAD = "/vendor-qa/"
PORTAL = "/portal/vendor-qa/"


manager, auditor, workflow, vendor_a, site_a, vendor_b, site_b = answered_from_the_program(
    *CONFTESTS_OWN
)


def rates_csv(workflow, audited=500, passed=490):
    return csv_file(f"workflow,week,audited,passed\n{workflow.slug},2026-03-09,{audited},"
                    f"{passed}\n", "acme-weekly.csv")


def tickets_csv(program):
    verdicts = ["yes"] * 30 + ["yes"] * 8 + ["no"] * 2  # ours: 30 passed, then 10 failed
    rows = "".join(f"{t.external_id},{v}\n" for t, v in zip(program.tickets, verdicts,
                                                             strict=True))
    return csv_file("ticket,passed\n" + rows, "acme-tickets.csv")


def test_a_manager_uploads_and_the_scorecard_and_overview_show_the_gap(
        program, client_as, manager, vendor_a, workflow):
    client = client_as(manager)
    page = client.post(UPLOAD, {"vendor": vendor_a.slug, "file": rates_csv(workflow)})
    assert page.status_code == 200
    assert "acme-weekly.csv: 1 row read; 1 new weekly rate, 0 replaced." in page.content.decode()
    client.post(UPLOAD, {"vendor": vendor_a.slug, "file": tickets_csv(program)})
    assert VendorTicketResult.objects.count() == 40

    card = client.get(reverse("scorecards:scorecard", args=[vendor_a.slug]), MARCH_QUERY)
    text = card.content.decode()
    assert 'id="vendor-qa"' in text
    assert "Vendor reports 98.0% (n 500); our estimate 75.0%" in text
    assert "the gap of 23.0 points is significant" in text
    vqa = card.context["vqa"]
    assert (vqa.paired.both_passed, vqa.paired.they_passed_we_failed,
            vqa.paired.both_failed) == (30, 8, 2)

    overview = client.get(reverse("scorecards:overview"), MARCH_QUERY)
    flags = [f for f in overview.context["overview"].red_flags if f.kind == "vendor_qa"]
    assert len(flags) == 1 and flags[0].text.startswith("Acme Moderation: Vendor reports 98.0%")
    assert flags[0].url.startswith(f"/scorecards/vendors/{vendor_a.slug}/?")
    assert "flag-vendor_qa" in overview.content.decode()


def test_the_scorecard_says_so_when_the_vendor_reported_nothing(program, client_as, manager,
                                                                vendor_a):
    card = client_as(manager).get(reverse("scorecards:scorecard", args=[vendor_a.slug]),
                                  MARCH_QUERY)
    assert 'id="vendor-qa-none"' in card.content.decode()


def test_a_bad_file_is_a_400_listing_its_rows(program, client_as, manager, vendor_a):
    page = client_as(manager).post(UPLOAD, {"vendor": vendor_a.slug, "file": csv_file(
        "ticket,passed\nBOR-SECRET-1,yes\n\xff,no\n")})
    assert page.status_code == 400
    text = page.content.decode()
    assert "row 2, field ticket: no ticket &#x27;BOR-SECRET-1&#x27; for this vendor" in text
    assert not VendorQAUpload.objects.exists()


def test_raw_bytes_that_are_not_utf8_are_a_400(program, client_as, manager, vendor_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = client_as(manager).post(UPLOAD, {"vendor": vendor_a.slug, "file": SimpleUploadedFile(
        "x.csv", b"ticket,passed\n\xff\xfe,\x00yes\n")})
    assert page.status_code == 400 and "not UTF-8" in page.content.decode()


def test_the_upload_page_is_for_managers(client_as, auditor, poc_a):
    assert client_as(auditor).get(UPLOAD).status_code == 403
    assert client_as(poc_a).get(UPLOAD).status_code == 404


def test_the_poc_uploads_in_the_portal_and_sees_the_gap(program, client_as, poc_a, workflow):
    client = client_as(poc_a)
    page = client.post(f"{PORTAL}?period=month&date=2026-03-01",
                       {"file": rates_csv(workflow)})
    assert page.status_code == 200
    text = page.content.decode()
    assert "1 new weekly rate" in text
    assert "Vendor reports 98.0% (n 500); our estimate 75.0%" in text
    assert "Your QA against ours" in text
    assert "Your QA" in client.get(reverse("portal:home"), MARCH_QUERY).content.decode()


def test_an_analyst_uploads_per_ticket_results_in_the_portal(program, client_as, analyst_a):
    client = client_as(analyst_a)
    page = client.post(f"{PORTAL}?period=month&date=2026-03-01", {"file": tickets_csv(program)})
    assert page.status_code == 200
    assert page.context["vqa"].paired.n == 40
    assert "analyst@acme.example" in page.content.decode()  # who sent it
    assert VendorQAUpload.objects.get().uploaded_by == analyst_a


def test_another_vendors_poc_sees_none_of_it(program, client_as, manager, vendor_a, poc_b,
                                            workflow):
    client_as(manager).post(UPLOAD, {"vendor": vendor_a.slug, "file": rates_csv(workflow)})
    page = client_as(poc_b).get(PORTAL, {**MARCH_QUERY, "vendor": vendor_a.slug})
    text = page.content.decode()
    assert page.status_code == 200
    assert page.context["vqa"].overall is None and not page.context["uploads"]
    assert "98.0%" not in text and "acme-weekly.csv" not in text and "Acme" not in text
    # The uploader is a QA-team member: vendors are never told who.
    assert "manager@example.com" not in text


def test_a_vendor_sees_our_uploads_as_from_the_qa_team(program, client_as, manager, poc_a,
                                                       vendor_a, workflow):
    client_as(manager).post(UPLOAD, {"vendor": vendor_a.slug, "file": rates_csv(workflow)})
    text = client_as(poc_a).get(PORTAL, MARCH_QUERY).content.decode()
    assert "acme-weekly.csv" in text and "QA team" in text
    assert "manager@example.com" not in text
