"""Downloading the audit list: /audits/export.csv (streamed) and /audits/export.xlsx.

Thin: the rows, scoping and cell safety are ``audits.exports``; these views turn the query
string into filters and the rows into a file. Both take the API's audit filters (vendor,
site, workflow, auditor, status, unsampled, submitted_after, submitted_before), where vendor,
site and workflow are the slugs of the page URLs (``vendor=acme&site=manila``) or ids, and
``answers=1`` adds every question's answer and comment. File names carry only the date,
never a vendor's name.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import exports

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _file_name(extension: str) -> str:
    return f"audits-{timezone.localdate():%Y%m%d}.{extension}"


def _bad_filters(error: exports.ExportFiltersInvalid) -> HttpResponse:
    return HttpResponseBadRequest(f"These filters could not be read: {error}",
                                  content_type="text/plain; charset=utf-8")


@require_GET
@login_required
def audits_csv(request: HttpRequest) -> HttpResponse:
    try:
        # Validate now, so a bad filter is a 400 rather than an error mid-stream.
        audits = exports.exported_audits(request.user, request.GET)
        columns = exports.export_column_names(request.user, request.GET, audits)
    except exports.ExportFiltersInvalid as error:
        return _bad_filters(error)
    rows = exports.audit_export_rows(request.user, request.GET.copy())
    response = StreamingHttpResponse(
        exports.csv_lines(columns, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_file_name("csv")}"'
    return response


@require_GET
@login_required
def audits_xlsx(request: HttpRequest) -> HttpResponse:
    try:
        audits = exports.exported_audits(request.user, request.GET)
        count = audits.count()
    except exports.ExportFiltersInvalid as error:
        return _bad_filters(error)
    cap = exports.XLSX_MAX_ROWS
    if count > cap:
        return HttpResponseBadRequest(
            f"These filters match {count:,} audits; XLSX files are built in memory and "
            f"limited to {cap:,} rows. Narrow the filters, download the CSV instead "
            "(/audits/export.csv takes the same filters and has no limit), or query the "
            "analyst_audits view.",
            content_type="text/plain; charset=utf-8",
        )
    columns = exports.export_column_names(request.user, request.GET, audits)
    rows = exports.audit_export_rows(request.user, request.GET, limit=cap)
    response = HttpResponse(exports.xlsx_bytes(columns, rows), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_file_name("xlsx")}"'
    return response
