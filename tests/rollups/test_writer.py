"""The one writer: a lifecycle step notes its audit in its own transaction, and a flush a few
seconds later refreshes every noted audit together; what it writes is what a rebuild writes."""

import datetime as dt
import re
import time

import pytest
from django.db import transaction

from audits import lifecycle
from rollups.models import (
    AuditCell,
    AuditorDay,
    PendingRefresh,
    RunWeekSums,
    SiteCell,
    StratumTotal,
    VendorCell,
    WeekSums,
)
from rollups.writer import flush_pending, note_changed, rebuild_rollups
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits, sample_run
from tests.factories import AgentFactory
from tests.rollups.rollup_helpers import (
    CRITICAL_MISS,
    assert_week_sums_as_rebuilt,
    counted_from_audits,
    sampled_audits,
    stored_cells,
    submitted_in_bulk,
)

WAIT_SECONDS = 60


@pytest.mark.django_db
def test_a_step_that_rolls_back_queues_nothing(version, auditor, workflow):
    audit = assigned_audits(auditor, workflow)[0]

    with pytest.raises(RuntimeError), transaction.atomic():
        lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD)
        assert PendingRefresh.objects.filter(audit_id=audit.pk).exists()
        raise RuntimeError("the request failed after the submit")

    assert not PendingRefresh.objects.exists()


@pytest.mark.django_db
def test_without_a_broker_a_committed_step_is_flushed_at_once(step, version, auditor, workflow):
    audit = assigned_audits(auditor, workflow)[0]

    step(lifecycle.submit_audit, audit, auditor, answers=ALL_GOOD)

    assert not PendingRefresh.objects.exists()
    assert stored_cells(drop_zero_categories=True) == counted_from_audits()
    assert AuditorDay.objects.get().audits == 1


@pytest.mark.django_db
def test_a_flush_refreshes_every_pending_audit_in_batches_as_a_rebuild_would(
    version, auditor, workflow
):
    audits = assigned_audits(auditor, workflow, count=5)
    submitted_in_bulk(audits, [ALL_GOOD] * len(audits))  # no lifecycle step: no cell yet
    note_changed(audit.pk for audit in audits)
    note_changed([audits[0].pk, 10**9])  # noted twice, and an audit that no longer exists
    assert not AuditCell.objects.exists()

    assert flush_pending(batch=2) == 6

    assert not PendingRefresh.objects.exists()
    flushed = stored_cells()
    assert flushed and stored_cells(drop_zero_categories=True) == counted_from_audits()
    rebuild_rollups()
    assert stored_cells() == flushed
    assert flush_pending() == 0  # nothing left: a repeated flush writes nothing


def _rows_of(vendor) -> dict[str, list[tuple]]:
    """Every cell, stratum total, week-sums row and run part of ``vendor``, as stored: ids,
    values and the cells' ``updated_at``."""
    tables = {model: model.objects.filter(vendor=vendor)
              for model in (AuditCell, SiteCell, VendorCell, RunWeekSums, WeekSums)}
    tables[StratumTotal] = StratumTotal.objects.filter(
        stratum__in=VendorCell.objects.filter(vendor=vendor).values("stratum"))
    return {model.__name__: list(rows.order_by("pk").values_list(
                *(field.attname for field in model._meta.concrete_fields)))
            for model, rows in tables.items()}


@pytest.mark.django_db
def test_a_flush_for_one_vendors_audit_leaves_every_row_of_the_other_vendor_as_it_was(
    step, version, auditor, workflow, site_a, site_b, vendor_a, vendor_b
):
    """One weekly run with a stratum per vendor: a flush for an audit of vendor A recounts
    A's cells, its stratum's total, A's week sums and the program's, and rewrites no row of
    vendor B (same ids, same values); everything as a rebuild writes it."""
    run = sample_run("Week of 2 March")
    handled = [dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC) + dt.timedelta(hours=h) for h in range(3)]
    of_a = sampled_audits(run, auditor, workflow, AgentFactory(site=site_a), handled)
    of_b = sampled_audits(run, auditor, workflow, AgentFactory(site=site_b), handled)
    submitted_in_bulk(of_a[:-1] + of_b, [ALL_GOOD] * 5)
    rebuild_rollups()
    a_before, b_before = _rows_of(vendor_a), _rows_of(vendor_b)
    assert all(b_before.values())

    step(lifecycle.submit_audit, of_a[-1], auditor, answers=CRITICAL_MISS)

    assert _rows_of(vendor_b) == b_before
    assert all(_rows_of(vendor_a)[table] != rows for table, rows in a_before.items())
    assert WeekSums.objects.get(vendor=vendor_a).audits == 3
    assert WeekSums.objects.get(vendor=None).audits == 6
    assert stored_cells(drop_zero_categories=True) == counted_from_audits()
    kept = stored_cells()
    assert_week_sums_as_rebuilt()
    assert stored_cells() == kept


@pytest.mark.celery_worker
def test_audits_submitted_together_are_refreshed_by_one_flush_on_a_real_worker(
    live_celery_worker, settings, version, auditor, workflow
):
    settings.QA_ROLLUP_DEBOUNCE_SECONDS = 1.0
    audits = assigned_audits(auditor, workflow, count=3)

    for audit in audits:  # each its own committed step, within the debounce
        lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD)

    deadline = time.monotonic() + WAIT_SECONDS
    while PendingRefresh.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not PendingRefresh.objects.exists()
    assert sum(cell.audited for cell in AuditCell.objects.all()) == 3
    log = live_celery_worker.log_once_it_says("succeeded")
    assert len(re.findall(r"rollups\.tasks\.flush_rollups\[[^]]+\] succeeded", log)) == 1, log
