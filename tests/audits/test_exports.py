"""Audit lists leave the program as CSV and XLSX, and analysts read a SQL view.

The world is the security walk's (tests/security_fixtures.py): vendor A (Acme) has a
submitted and a final audit, vendor B (Borealis) one audit in every status, both with
internal notes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.utils import timezone

from audits import exports, lifecycle
from audits.models import Audit
from tests.security_fixtures import INTERNAL_NOTE_A, INTERNAL_NOTE_B
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

BAD_ANSWERS = {"right_action": "no", "policy_cited": "pass", "tone": "4", "escalation": "missed"}


def read_csv(response) -> list[dict]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 byte order mark for Excel"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(response) -> pd.DataFrame:
    return pd.read_excel(io.BytesIO(response.content), dtype=object, keep_default_na=False)


# ----- spreadsheet safety -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://evil")', "+41 22", "-2+3", "@SUM(A1)", "\tindented", "\rreturned"]
)
def test_text_a_spreadsheet_would_run_gets_a_leading_quote(text):
    assert exports.spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("value", ["acme", "T-0001", "", None, -5, -2.5, Decimal("-1.25"), True, 0])
def test_plain_text_and_numbers_are_left_alone(value):
    assert exports.spreadsheet_safe(value) == value


def test_negative_numbers_stay_numbers_in_xlsx_while_formula_text_stays_text():
    data = exports.xlsx_bytes(
        ["n", "d", "t", "f"], [{"n": -5, "d": Decimal("-1.25"), "t": "-5", "f": "=1+1"}]
    )
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    n, d, t, f = (sheet.cell(row=2, column=c) for c in range(1, 5))
    assert (n.value, n.data_type) == (-5, "n")
    assert (d.value, d.data_type) == (-1.25, "n")
    assert (t.value, t.data_type) == ("'-5", "s")
    assert (f.value, f.data_type) == ("'=1+1", "s")


def test_a_hostile_ticket_id_reaches_csv_and_xlsx_as_inert_text(client_as, world, manager):
    ticket = world.a.final_audit.ticket
    ticket.external_id = "=cmd|' /C calc'!A0"
    ticket.source = "@evil"
    ticket.save()
    client = client_as(manager)

    [row] = [
        r
        for r in read_csv(client.get("/audits/export.csv"))
        if r["audit_id"] == str(world.a.final_audit.pk)
    ]
    assert row["ticket_external_id"] == "'=cmd|' /C calc'!A0"
    assert row["source"] == "'@evil"

    sheet = openpyxl.load_workbook(io.BytesIO(client.get("/audits/export.xlsx").content)).active
    header = [c.value for c in sheet[1]]
    cells = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    cell = cells[world.a.final_audit.pk][header.index("ticket_external_id")]
    assert (cell.value, cell.data_type) == ("'=cmd|' /C calc'!A0", "s")


# ----- what QA staff download ---------------------------------------------------------------


def test_qa_csv_holds_every_audit_with_its_auditor_and_sample(client_as, world, manager, auditor):
    Ticket.objects.filter(pk=world.a.final_audit.ticket_id).update(
        ai_score=0.125, ai_model="llm-grader-v3")
    response = client_as(manager).get("/audits/export.csv")
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"] == (
        f'attachment; filename="audits-{timezone.localdate():%Y%m%d}.csv"'
    )
    rows = read_csv(response)

    assert [int(r["audit_id"]) for r in rows] == sorted(Audit.objects.values_list("pk", flat=True))
    final = next(r for r in rows if r["audit_id"] == str(world.a.final_audit.pk))
    assert final["vendor"] == world.a.vendor.slug
    assert final["status"] == "final" and final["score"] == "100.00"
    assert final["passed"] == "TRUE" and final["critical_failed"] == "FALSE"
    assert final["auditor_email"] == auditor.email
    assert final["sample_run_id"] == str(world.run.pk)
    assert final["handled_at"].endswith("+00:00")
    assert final["form_version"] == "1" and final["unsampled"] == "FALSE"
    assert (final["ai_score"], final["ai_model"]) == ("0.125", "llm-grader-v3")
    assert {r["ai_score"] for r in rows if r is not final} == {""}
    body = "".join(str(v) for r in rows for v in r.values())
    assert INTERNAL_NOTE_A not in body and INTERNAL_NOTE_B not in body


def test_error_categories_are_semicolon_joined(client_as, world, auditor, manager):
    audit = lifecycle.submit_audit(world.b.audits["in_progress"], auditor, answers=BAD_ANSWERS)
    rows = read_csv(client_as(manager).get("/audits/export.csv", {"status": "submitted"}))
    [row] = [r for r in rows if r["audit_id"] == str(audit.pk)]
    assert row["error_categories"] == "policy-error;procedural"
    assert row["critical_failed"] == "TRUE" and row["passed"] == "FALSE"


def test_csv_and_xlsx_read_back_equal_the_export_rows(client_as, world, manager):
    client = client_as(manager)
    rows = list(exports.audit_export_rows(manager, {}))
    columns = list(rows[0])

    assert read_csv(client.get("/audits/export.csv")) == [
        {k: exports._csv_cell(v) for k, v in row.items()} for row in rows
    ]

    response = client.get("/audits/export.xlsx")
    assert response["Content-Disposition"].endswith('.xlsx"')
    frame = read_xlsx(response)
    assert list(frame.columns) == columns

    def as_read(value):
        if value is None:
            return ""
        if isinstance(value, Decimal):
            return float(value)
        return value

    assert frame.to_dict("records") == [{k: as_read(v) for k, v in row.items()} for row in rows]


def test_filters_are_the_apis(client_as, world, manager):
    client = client_as(manager)
    by_vendor = read_csv(client.get("/audits/export.csv", {"vendor": world.b.vendor.pk}))
    assert {r["vendor"] for r in by_vendor} == {world.b.vendor.slug}
    assert len(by_vendor) == len(world.b.audits)
    finals = read_csv(
        client.get(
            "/audits/export.csv", {"status": ["final", "submitted"], "site": world.a.site.pk}
        )
    )
    assert sorted(int(r["audit_id"]) for r in finals) == sorted(
        a.pk for a in world.a.audits.values()
    )
    later = read_csv(client.get("/audits/export.csv", {"submitted_after": "2999-01-01T00:00:00Z"}))
    assert later == []


def test_a_filter_that_does_not_parse_is_refused_not_ignored(client_as, world, manager):
    client = client_as(manager)
    for path in ("/audits/export.csv", "/audits/export.xlsx"):
        response = client.get(path, {"submitted_after": "last tuesday"})
        assert response.status_code == 400
        assert "submitted" in response.content.decode()


def test_xlsx_above_the_cap_points_to_csv(client_as, world, manager, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)
    response = client_as(manager).get("/audits/export.xlsx")
    assert response.status_code == 400
    message = response.content.decode()
    assert "CSV" in message and "3 rows" in message and "analyst_audits" in message
    narrowed = client_as(manager).get("/audits/export.xlsx", {"vendor": world.a.vendor.pk})
    assert narrowed.status_code == 200 and len(read_xlsx(narrowed)) == 2


def test_rows_are_a_stream_not_a_list(world, manager):
    assert isinstance(exports.audit_export_rows(manager, {}), Iterator)


# ----- what a vendor POC downloads ----------------------------------------------------------


def test_vendor_poc_gets_only_their_final_audits_without_auditor_or_notes(
    client_as, world, poc_a, auditor
):
    Ticket.objects.filter(pk=world.a.final_audit.ticket_id).update(
        ai_score=0.875, ai_model="llm-grader-v3")
    client = client_as(poc_a)
    rows = read_csv(client.get("/audits/export.csv"))
    assert [int(r["audit_id"]) for r in rows] == [world.a.final_audit.pk]
    assert not {"auditor_email", "stratum", "ai_score", "ai_model"} & set(rows[0])
    assert rows[0]["inclusion_probability"] == "0.25"

    body = b"".join(client.get("/audits/export.csv").streaming_content).decode("utf-8-sig")
    for secret in (auditor.email, INTERNAL_NOTE_A, INTERNAL_NOTE_B, world.b.vendor.slug,
                   "llm-grader-v3", "0.875"):
        assert secret not in body

    frame = read_xlsx(client.get("/audits/export.xlsx"))
    assert list(frame["audit_id"]) == [world.a.final_audit.pk]
    assert "auditor_email" not in frame.columns


def test_vendor_poc_filtering_by_another_vendor_gets_an_empty_file(client_as, world, poc_a):
    client = client_as(poc_a)
    assert read_csv(client.get("/audits/export.csv", {"vendor": world.b.vendor.pk})) == []
    assert read_csv(client.get("/audits/export.csv", {"site": world.b.site.pk})) == []
    frame = read_xlsx(client.get("/audits/export.xlsx", {"vendor": world.b.vendor.pk}))
    assert frame.empty and "audit_id" in frame.columns


def test_vendor_poc_cannot_filter_by_auditor(client_as, world, poc_a, auditor):
    response = client_as(poc_a).get("/audits/export.csv", {"auditor": auditor.pk})
    assert response.status_code == 400
    assert "auditor" in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    for path in ("/audits/export.csv", "/audits/export.xlsx"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


# ----- the analyst view ---------------------------------------------------------------------


def test_the_analyst_view_agrees_with_the_orm(world, manager):
    adhoc = lifecycle.start_adhoc_audit(world.a.tickets[-1], world.version, manager)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT audit_id, vendor, site, workflow, agent_external_id, form, form_version,"
            " status, score, passed, unsampled, sample_run_id, stratum_id,"
            " stratum_population, stratum_allocated, inclusion_probability"
            " FROM analyst_audits ORDER BY audit_id"
        )
        names = [c[0] for c in cursor.description]
        viewed = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    audits = Audit.objects.order_by("pk").values(
        "pk",
        "ticket__vendor__slug",
        "ticket__site__slug",
        "ticket__workflow__slug",
        "ticket__agent__external_id",
        "form_version__form__slug",
        "form_version__number",
        "status",
        "score",
        "passed",
        "unsampled",
        "sampled_ticket__run_id",
        "sampled_ticket__stratum_id",
        "sampled_ticket__stratum__population",
        "sampled_ticket__stratum__allocated",
        "sampled_ticket__inclusion_probability",
    )
    expected = [dict(zip(names, row.values(), strict=True)) for row in audits]

    def same(row):  # SQLite hands back 1/0 and floats where PostgreSQL has bool/Decimal
        return {
            k: (
                None
                if v is None
                else float(v)
                if k == "score"
                else bool(v)
                if k in ("passed", "unsampled")
                else v
            )
            for k, v in row.items()
        }

    assert [same(r) for r in viewed] == [same(r) for r in expected]
    assert len(viewed) == Audit.objects.count() == len(world.a.audits) + len(world.b.audits) + 1
    row = next(r for r in viewed if r["audit_id"] == adhoc.pk)
    assert row["sample_run_id"] is None and row["stratum_population"] is None
    assert same(row)["unsampled"] is True


def test_the_analyst_view_has_no_internal_note():
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM analyst_audits WHERE 1 = 0")
        columns = [c[0] for c in cursor.description]
    assert "internal_note" not in columns
    assert {"stratum_population", "stratum_allocated", "inclusion_probability"} <= set(columns)


def test_the_queue_page_links_to_both_downloads(client_as, auditor):
    page = client_as(auditor).get("/audits/queue/").content.decode()
    assert 'href="/audits/export.csv"' in page and 'href="/audits/export.xlsx"' in page
