"""Every chart's table: shown under the chart, downloaded as CSV or XLSX with the same numbers.

A page builds one ``Table`` per chart from its estimates; ``table_response`` answers
``?format=csv`` / ``?format=xlsx`` (``&table=NAME`` when a page has several) with the file, and
the template renders the same rows. Cells go through ``audits.exports``, so text is made
spreadsheet-safe (no formula injection) and numbers stay numbers. Rates are exported as
proportions with four decimals, exactly as rounded on the page's percentages' source.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse
from django.utils.text import slugify

from audits import exports

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


@dataclass
class Table:
    """Named columns and rows of plain values (str, int, float, date, datetime, None): a
    page prints a day as "6 Dec 2026", a file writes it ISO 8601."""

    name: str
    title: str
    columns: list[str]
    rows: list[dict] = field(default_factory=list)

    def add(self, **values) -> None:
        missing = set(self.columns) - set(values)
        if missing:
            raise ValueError(f"table {self.name}: row lacks {sorted(missing)}")
        self.rows.append({name: values[name] for name in self.columns})


def rate(value: float | None) -> float | None:
    """A proportion as exported (four decimals), or None."""
    return None if value is None else round(value, 4)


def interval_columns(name: str, estimate) -> dict:
    """An estimate as three exported columns, ``name``, ``name_low`` and ``name_high`` (all
    blank without one)."""
    return {name: rate(estimate and estimate.p), f"{name}_low": rate(estimate and estimate.low),
            f"{name}_high": rate(estimate and estimate.high)}


def table_response(
    request: HttpRequest, tables: list[Table], file_stem: str
) -> HttpResponse | None:
    """The requested table as a file when ``format`` is csv or xlsx, else None (render the
    page). ``table`` picks one by name; the first is the default."""
    kind = request.GET.get("format")
    if kind not in FORMATS:
        return None
    wanted = request.GET.get("table") or tables[0].name
    table = next((t for t in tables if t.name == wanted), None)
    if table is None:
        return HttpResponse(f"table: no table named {wanted!r} on this page",
                            status=400, content_type="text/plain; charset=utf-8")
    name = slugify(f"{file_stem}-{table.name}")
    if kind == "csv":
        response = HttpResponse("".join(exports.csv_lines(table.columns, table.rows)),
                                content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(exports.xlsx_bytes(table.columns, table.rows,
                                                   sheet=table.title or "Table"),
                                content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response
