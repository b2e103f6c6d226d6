"""Fixtures for ticket import tests (the real Celery worker is in tests/live_worker.py)."""

import csv
from pathlib import Path

import pytest

from tests.factories import SiteFactory

HEADER = ["external_id", "vendor", "site", "agent", "workflow", "handled_at", "decision"]


@pytest.fixture
def new_york(vendor_a):
    """A site of vendor A whose clocks change for daylight saving."""
    return SiteFactory(
        vendor=vendor_a, name="New York", slug="new-york", country="US", timezone="America/New_York"
    )


@pytest.fixture
def program(vendor_a, site_a, vendor_b, site_b, workflow, new_york):
    """Two vendors with sites in three timezones and one workflow, ready to import into."""
    return {
        "vendor_a": vendor_a,
        "site_a": site_a,
        "vendor_b": vendor_b,
        "site_b": site_b,
        "workflow": workflow,
        "new_york": new_york,
    }


def good_row(external_id="T-1", **overrides) -> dict:
    row = {
        "external_id": external_id,
        "vendor": "acme",
        "site": "manila",
        "agent": "ag-1",
        "workflow": "hate-speech-en",
        "handled_at": "2026-03-01T10:00:00Z",
        "decision": "remove",
    }
    row.update(overrides)
    return row


@pytest.fixture
def ticket_csv(tmp_path):
    """``ticket_csv(rows, header=None)`` writes rows (dicts) to a CSV file and returns its path."""
    counter = iter(range(1_000_000))

    def write(rows, header=None, name=None) -> Path:
        columns = header or list(dict.fromkeys([*HEADER, *(k for row in rows for k in row)]))
        path = tmp_path / (name or f"tickets-{next(counter)}.csv")
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        return path

    return write
