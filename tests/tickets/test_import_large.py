"""A large ticket file imports in one streaming pass without holding its rows in memory."""

import csv
import tracemalloc

import pytest

from tests.tickets.conftest import HEADER
from tickets.importing import import_tickets_from_path as import_file
from tickets.models import Ticket

pytestmark = pytest.mark.slow

ROWS = 100_000
# Holding 100,000 rows of ~20 cells as Python objects would take well over 100 MB; the
# import keeps one staging batch, the reference data and the agents first seen.
PEAK_PYTHON_MEMORY = 40 * 1024 * 1024


def write_large_file(path, rows: int) -> None:
    sites = [
        ("acme", "manila", "2026-03-01T{:02d}:{:02d}:00Z"),
        ("borealis", "bogota", "2026-03-01 {:02d}:{:02d}:00-05:00"),
    ]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([*HEADER, "policy", "language", "excerpt"])
        for i in range(rows):
            vendor, site, when = sites[i % 2]
            writer.writerow(
                [
                    f"T-{i:07d}",
                    vendor,
                    site,
                    f"{site}-agent-{i % 500}",
                    "hate-speech-en",
                    when.format(i % 24, i % 60),
                    "remove" if i % 3 else "approve",
                    "hate_speech",
                    "en",
                    f"Reported post number {i}, quoted in full for the auditor.",
                ]
            )


def test_a_hundred_thousand_rows_import_in_bounded_memory(program, tmp_path):
    path = tmp_path / "large.csv"
    write_large_file(path, ROWS)

    tracemalloc.start()
    try:
        report = import_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert report.ok, report.lines()[:5]
    assert (report.rows_read, report.created, report.agents_created) == (ROWS, ROWS, 500)
    assert Ticket.objects.count() == ROWS
    assert Ticket.objects.filter(vendor=program["vendor_b"]).count() == ROWS // 2
    assert peak < PEAK_PYTHON_MEMORY, f"peak traced memory {peak / 2**20:.0f} MiB"
