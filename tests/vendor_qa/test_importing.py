"""A vendor's QA results come in as a CSV: all of a file or none of it, every bad row named,
the same ticket or week sent again replaces what was there, and another vendor's ticket is
"no ticket X for this vendor" — never a write to it, never a hint that it exists."""

import io

import pytest
import time_machine

from tests.vendor_qa.conftest import MARCH_WEEK
from vendor_qa.importing import MAX_ROWS, UploadRefused, import_file, import_rows
from vendor_qa.models import VendorQAUpload, VendorRate, VendorTicketResult

pytestmark = pytest.mark.django_db


def run(text: str | bytes, user, vendor, name="acme-qa.csv"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return import_file(io.BytesIO(data), user=user, vendor=vendor, file_name=name)


def test_a_per_ticket_file_is_stored_with_who_sent_it(tickets, manager, vendor_a):
    first, second, third = tickets.tickets[:3]
    report = run(f"ticket,passed,score\n{first.external_id},yes,96.5\n"
                 f"{second.external_id},fail,\n{third.external_id},PASS,100\n", manager, vendor_a)
    assert report.ok, report.lines()
    assert (report.kind, report.rows_read, report.created, report.replaced) == ("tickets", 3, 3, 0)
    stored = {r.ticket_id: (r.passed, r.score) for r in VendorTicketResult.objects.all()}
    assert stored == {first.pk: (True, pytest.approx(96.5)), second.pk: (False, None),
                      third.pk: (True, 100)}
    upload = VendorQAUpload.objects.get()
    assert (upload.vendor, upload.kind, upload.file_name, upload.rows, upload.uploaded_by) == (
        vendor_a, "tickets", "acme-qa.csv", 3, manager)
    assert report.summary() == "acme-qa.csv: 3 rows read; 3 new ticket results, 0 replaced."


def test_weekly_rates_store_the_monday_of_the_week_named(tickets, poc_a, vendor_a, workflow):
    report = run("workflow,week,audited,passed\n"
                 f"{workflow.slug},2026-03-12,120,118\n"      # a Thursday
                 f"{workflow.slug},2026-W12,80,80\n", poc_a, vendor_a)
    assert report.ok, report.lines()
    rates = list(VendorRate.objects.values_list("week", "audited", "passed"))
    assert rates == [(MARCH_WEEK, 120, 118), (dt_date(2026, 3, 16), 80, 80)]
    assert VendorQAUpload.objects.get().uploaded_by == poc_a


def dt_date(*args):
    import datetime as dt

    return dt.date(*args)


def test_sending_the_same_ticket_and_week_again_replaces_the_earlier_value(
        tickets, poc_a, analyst_a, vendor_a, workflow):
    ticket = tickets.tickets[0].external_id
    run(f"ticket,passed\n{ticket},no\n", poc_a, vendor_a, "first.csv")
    again = run(f"ticket,passed,score\n{ticket},yes,88\n", analyst_a, vendor_a, "second.csv")
    assert (again.created, again.replaced) == (0, 1)
    result = VendorTicketResult.objects.get()
    assert (result.passed, result.score, result.upload.file_name,
            result.upload.uploaded_by) == (True, 88, "second.csv", analyst_a)
    run(f"workflow,week,audited,passed\n{workflow.slug},2026-03-09,10,9\n", poc_a, vendor_a)
    twice = run(f"workflow,week,audited,passed\n{workflow.slug},2026-03-15,12,12\n", poc_a,
                vendor_a)
    assert (twice.created, twice.replaced) == (0, 1)
    assert list(VendorRate.objects.values_list("week", "audited", "passed")) == [
        (MARCH_WEEK, 12, 12)]
    # The record of who sent what keeps every upload.
    assert VendorQAUpload.objects.count() == 4


def test_another_vendors_ticket_is_a_row_error_worded_like_an_unknown_one(
        tickets, poc_a, manager, vendor_a):
    own = tickets.tickets[0].external_id
    text = f"ticket,passed\n{own},yes\nBOR-SECRET-1,yes\nNO-SUCH-TICKET,no\n"
    for user in (poc_a, manager):  # a manager choosing Acme cannot write to Borealis either
        report = run(text, user, vendor_a)
        assert not report.ok
        assert [str(e) for e in report.errors] == [
            "row 3, field ticket: no ticket 'BOR-SECRET-1' for this vendor",
            "row 4, field ticket: no ticket 'NO-SUCH-TICKET' for this vendor",
        ]
    assert not VendorTicketResult.objects.exists()
    assert not VendorQAUpload.objects.exists()


def test_a_vendor_user_cannot_upload_for_another_vendor(tickets, poc_a, vendor_b):
    with pytest.raises(UploadRefused):
        run("ticket,passed\nBOR-SECRET-1,yes\n", poc_a, vendor_b)
    assert not VendorTicketResult.objects.exists()


def test_auditors_do_not_upload_vendor_qa(tickets, auditor, vendor_a):
    with pytest.raises(UploadRefused):
        run(f"ticket,passed\n{tickets.tickets[0].external_id},yes\n", auditor, vendor_a)


BAD_TICKET_ROWS = [
    ("{t},maybe,", "row 2, field passed: 'maybe' is not one of yes/no, true/false, pass/fail, 1/0"),
    ("{t},yes,101", "row 2, field score: '101' is not a number from 0 to 100"),
    ("{t},yes,-0.5", "row 2, field score: '-0.5' is not a number from 0 to 100"),
    ("{t},yes,NaN", "row 2, field score: 'NaN' is not a number from 0 to 100"),
    ("{t},yes,Infinity", "row 2, field score: 'Infinity' is not a number from 0 to 100"),
    ("{t},yes,1e400", "row 2, field score: '1e400' is not a number from 0 to 100"),
    ("{t},yes," + "9" * 5000, "row 2, field score: '" + "9" * 79 + "…' is not a number"),
    ("{t},yes,ninety", "row 2, field score: 'ninety' is not a number from 0 to 100"),
    (",yes,", "row 2, field ticket: is empty; a ticket id is required"),
    ("{t},yes", "row 2, field (row): has 2 cells; the header has 3"),
    ("{t},y\x00es,", "row 2, field passed: contains a NUL character"),
]


@pytest.mark.parametrize(("row", "problem"), BAD_TICKET_ROWS)
def test_every_kind_of_bad_ticket_row_is_named_and_nothing_is_written(
        tickets, poc_a, vendor_a, row, problem):
    good = tickets.tickets[1].external_id
    text = "ticket,passed,score\n" + row.format(t=tickets.tickets[0].external_id) + \
        f"\n{good},yes,90\n"
    report = run(text, poc_a, vendor_a)
    assert not report.ok
    assert str(report.errors[0]).startswith(problem), report.lines()
    assert report.summary().endswith("nothing was imported.")
    assert not VendorTicketResult.objects.exists() and not VendorQAUpload.objects.exists()


def test_a_ticket_twice_in_one_file_is_refused(tickets, poc_a, vendor_a):
    t = tickets.tickets[0].external_id
    report = run(f"ticket,passed\n{t},yes\n{t},no\n", poc_a, vendor_a)
    assert [str(e) for e in report.errors] == [f"row 3, field ticket: '{t}' is also on row 2"]


BAD_RATE_ROWS = [
    ("hate-speech-em,2026-03-09,10,9",
     "row 2, field workflow: unknown workflow 'hate-speech-em'; did you mean 'hate-speech-en'?"),
    ("{w},2026-13-01,10,9", "row 2, field week: '2026-13-01' is not a date"),
    ("{w},1999-12-31,10,9", "row 2, field week: '1999-12-31' is outside 1 Jan 2000 to "),
    ("{w},9999-12-31,10,9", "row 2, field week: '9999-12-31' is outside 1 Jan 2000 to "),
    ("{w},0001-01-01,10,9", "row 2, field week: '0001-01-01' is outside 1 Jan 2000 to "),
    ("{w},2026-03-09T10:00:00,10,9", "row 2, field week: '2026-03-09T10:00:00' is not a date"),
    ("{w},2026-03-09,-3,0", "row 2, field audited: '-3' is not a whole number of 0 or more"),
    ("{w},2026-03-09,1.5,1", "row 2, field audited: '1.5' is not a whole number of 0 or more"),
    ("{w},2026-03-09,99999999999,1", "row 2, field audited: '99999999999' is larger than "
     "2,147,483,647"),
    ("{w},2026-03-09," + "9" * 400 + ",1", "row 2, field audited: '" + "9" * 79 + "…' is not a"),
    ("{w},2026-03-09,10,11", "row 2, field passed: 11 is more than the 10 audited"),
    ("{w},2026-03-09,10,", "row 2, field passed: '' is not a whole number of 0 or more"),
]


@pytest.mark.parametrize(("row", "problem"), BAD_RATE_ROWS)
def test_every_kind_of_bad_rate_row_is_named_and_nothing_is_written(
        tickets, poc_a, vendor_a, workflow, row, problem):
    text = ("workflow,week,audited,passed\n" + row.format(w=workflow.slug)
            + f"\n{workflow.slug},2026-03-16,10,9\n")
    with time_machine.travel("2026-12-06 12:00Z", tick=False):
        report = run(text, poc_a, vendor_a)
    assert not report.ok
    assert str(report.errors[0]).startswith(problem), report.lines()
    assert not VendorRate.objects.exists() and not VendorQAUpload.objects.exists()


def test_a_week_not_begun_is_refused_and_the_current_one_accepted(tickets, poc_a, vendor_a,
                                                                   workflow):
    with time_machine.travel("2026-12-06 12:00Z", tick=False):  # a Sunday
        report = run(f"workflow,week,audited,passed\n{workflow.slug},2026-12-07,5,5\n",
                     poc_a, vendor_a)
        assert [str(e) for e in report.errors] == [
            "row 2, field week: '2026-12-07' is outside 1 Jan 2000 to 6 Dec 2026 "
            "(no week before 2000 or in the future)"]
        assert run(f"workflow,week,audited,passed\n{workflow.slug},2026-12-06,5,5\n",
                   poc_a, vendor_a).ok
    assert VendorRate.objects.get().week == dt_date(2026, 11, 30)


def test_two_days_of_the_same_week_are_one_week_twice(tickets, poc_a, vendor_a, workflow):
    report = run(f"workflow,week,audited,passed\n{workflow.slug},2026-03-09,5,5\n"
                 f"{workflow.slug},2026-03-13,6,6\n", poc_a, vendor_a)
    assert [str(e) for e in report.errors] == [
        "row 3, field week: the week of 2026-03-09 for this workflow is also on row 2"]


@pytest.mark.parametrize(("header", "problem"), [
    ("", "row 1, field (header): the file is empty"),
    ("id,verdict", "row 1, field (header): names neither shape"),
    ("ticket,score", "row 1, field passed: column is missing from the header"),
    ("ticket,passed,agent", "row 1, field agent: is not a column of per-ticket results"),
    ("ticket,passed,passed", "row 1, field passed: column appears more than once"),
    ("workflow,week,audited", "row 1, field passed: column is missing from the header"),
])
def test_a_header_that_names_no_shape_is_refused(tickets, poc_a, vendor_a, header, problem):
    report = run(header + ("\n" if header else ""), poc_a, vendor_a)
    assert str(report.errors[0]).startswith(problem), report.lines()


def test_bytes_that_are_not_utf8_are_a_row_error_not_a_crash(tickets, poc_a, vendor_a):
    t = tickets.tickets[0].external_id.encode()
    report = run(b"ticket,passed\n" + t + b",\xff\xfeyes\n", poc_a, vendor_a)
    assert [str(e) for e in report.errors] == [
        "row 2, field passed: has bytes that are not UTF-8 (save the file as UTF-8)"]
    header = run(b"tick\xe9t,passed\n", poc_a, vendor_a)
    assert "not UTF-8" in str(header.errors[0])


def test_a_byte_order_mark_and_blank_lines_are_fine(tickets, poc_a, vendor_a):
    t = tickets.tickets[0].external_id
    report = run(f"\ufeffTicket , Passed\n\n{t},1\n\n", poc_a, vendor_a)
    assert report.ok and report.created == 1


def test_api_rows_follow_the_same_rules(tickets, poc_a, vendor_a, workflow):
    t = tickets.tickets[0].external_id
    report = import_rows([{"ticket": t, "passed": True, "score": 75.25}, {"ticket": t},
                          "nonsense", {"ticket": "x", "passed": "yes", "colour": "red"}],
                         user=poc_a, vendor=vendor_a, kind="tickets")
    assert [str(e) for e in report.errors] == [
        "row 2, field passed: is missing; a value is required",
        "row 3, field (row): is not an object of ticket, passed, score, source",
        "row 4, field colour: is not a field of per-ticket results",
    ]
    good = import_rows([{"ticket": t, "passed": True, "score": 75.25}], user=poc_a,
                       vendor=vendor_a, kind="tickets")
    assert good.ok and VendorTicketResult.objects.get().score == pytest.approx(75.25)
    assert VendorQAUpload.objects.get().channel == "api"


def test_a_file_beyond_the_row_limit_is_refused_whole(tickets, poc_a, vendor_a, monkeypatch):
    monkeypatch.setattr("vendor_qa.importing.MAX_ROWS", 3)
    t = tickets.tickets
    rows = "".join(f"{ticket.external_id},yes\n" for ticket in t[:4])
    report = run("ticket,passed\n" + rows, poc_a, vendor_a)
    assert "more than 3 rows" in str(report.errors[-1])
    assert not VendorTicketResult.objects.exists()
    assert MAX_ROWS == 100_000
