"""The dashboards' program (``bench/_dashboard_data.py``, which bench/dashboards.py and
bench/load.py load) is written in SQL by hand, so a new NOT NULL column can break it with no
other test noticing: one did (the strata's ``ai_model``), and both benches stopped loading.
A small program is loaded here against today's schema and read back through the rollups.
PostgreSQL only, as the benches are."""

from pathlib import Path

import pytest
from django.db import connection  # noqa: F401 (read by the skipif condition below)

from audits.models import Audit
from rollups.models import AuditCell
from rollups.writer import rebuild_rollups
from sampling.models import SampledTicket, SampleStratum
from tickets.models import Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the loader commits table by table, as the benches do
    pytest.mark.skipif("connection.vendor != 'postgresql'",
                       reason="the benches load PostgreSQL only"),
]


def test_the_dashboards_program_loads_and_its_rollups_rebuild(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent.parent / "bench"))
    import _dashboard_data

    _dashboard_data.load(tickets=4000, audits=400)
    rebuild_rollups()

    assert Ticket.objects.count() == 4000
    assert SampleStratum.objects.exists()
    assert SampledTicket.objects.count() >= Audit.objects.count() > 0
    assert AuditCell.objects.exists()
