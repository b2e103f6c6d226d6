"""XLSX downloads open in a spreadsheet whatever their table is called or their cells hold.

Excel refuses ``: / \\ ? * [ ]`` in a sheet title and titles over 31 characters, and openpyxl
refuses control characters in a cell: each used to turn a download into a 500.
"""

from __future__ import annotations

import io

import openpyxl
import pytest

from audits.exports import SHEET_TITLE_MAX, sheet_title, xlsx_bytes

FORBIDDEN = set(":/\\?*[]")


def workbook(content: bytes):
    return openpyxl.load_workbook(io.BytesIO(content))


@pytest.mark.parametrize(
    "title",
    [
        "Sample runs: audits done against planned",
        "Themes [by site] / week?",
        "a\\b*c",
        "'quoted'",
        "::::",
        "x" * 80,
        "Tone\x07 and\x1f bells",
    ],
)
def test_any_title_becomes_a_sheet_title_excel_accepts(title):
    clean = sheet_title(title)
    assert clean and len(clean) <= SHEET_TITLE_MAX
    assert not FORBIDDEN & set(clean) and not clean.startswith("'") and not clean.endswith("'")
    book = workbook(xlsx_bytes(["n"], [{"n": 1}], sheet=title))
    assert book.sheetnames == [clean]


def test_titles_are_made_unique_within_31_characters_ignoring_case():
    first = sheet_title("Accuracy by vendor and workflow, all weeks")
    second = sheet_title("ACCURACY BY VENDOR AND WORKFLOW, ALL WEEKS", taken=[first])
    third = sheet_title("accuracy by vendor and workflow, all weeks", taken=[first, second])
    assert len({first.casefold(), second.casefold(), third.casefold()}) == 3
    assert second.endswith(" (2)") and third.endswith(" (3)")
    assert max(map(len, (first, second, third))) <= SHEET_TITLE_MAX


def test_control_characters_in_a_cell_do_not_break_the_file():
    book = workbook(xlsx_bytes(["ticket"], [{"ticket": "T-1\x01\x02"}], sheet="Audits"))
    assert book.active["A2"].value == "T-1"


@pytest.mark.django_db
def test_the_overviews_runs_table_downloads_as_a_workbook(client_as, manager):
    """Its title, "Sample runs: audits done against planned", holds a colon."""
    response = client_as(manager).get("/scorecards/", {"format": "xlsx", "table": "runs"})
    assert response.status_code == 200
    book = workbook(response.content)
    assert book.sheetnames == ["Sample runs- audits done agains"]
    assert [cell.value for cell in book.active[1]][:3] == ["run", "plan", "status"]
