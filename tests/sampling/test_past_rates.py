"""Neyman allocation learns each stratum's error rate from the plan's past audits."""

import datetime as dt

import pytest
from django.utils import timezone

from audit_forms.catalog import publish_version
from audits.models import Audit
from sampling.allocation import PRIOR_AUDITS, past_error_rates
from sampling.drawing import draw_sample
from sampling.models import SampledTicket
from sampling.population import Window, filtered_tickets, stratum_counts
from sampling.tasks import request_run
from tests.audit_forms.forms_helpers import build_small_form

from .conftest import WINDOW


def score(rows, version, *, failed: int) -> None:
    """Finalise audits of ``rows``, the first ``failed`` of them failed, and record their
    verdicts on the sampled tickets as the audit lifecycle does when it scores one
    (tests/audits/test_sampled_verdicts.py follows the lifecycle itself)."""
    now = timezone.now()
    Audit.objects.bulk_create(
        Audit(
            ticket_id=row.ticket_id,
            sampled_ticket=row,
            form_version=version,
            auditor=row.auditor,
            status="final",
            passed=i >= failed,
            score=0 if i < failed else 100,
            submitted_at=now,
            finalised_at=now,
        )
        for i, row in enumerate(rows)
    )
    for i, row in enumerate(rows):
        SampledTicket.objects.filter(pk=row.pk).update(completed_at=now, passed=i >= failed)


@pytest.fixture
def version(manager):
    return publish_version(build_small_form(manager), by=manager)


def test_past_audits_give_each_stratum_its_own_shrunk_error_rate(
    population, make_plan, auditors, version
):
    plan = make_plan(auditors=auditors, allocation="neyman", expected_rate="0.1000")
    first = draw_sample(request_run(plan, window=WINDOW, seed=1, enqueue=False).pk)
    weak, clean, *_ = first.strata.order_by("-allocated")
    weak_rows = list(SampledTicket.objects.filter(stratum=weak)[:20])
    clean_rows = list(SampledTicket.objects.filter(stratum=clean)[:20])
    score(weak_rows, version, failed=10)
    score(clean_rows, version, failed=0)

    strata = stratum_counts(filtered_tickets(window=WINDOW), plan.strata_keys)
    rates = past_error_rates(plan, strata, as_of=WINDOW.end + dt.timedelta(days=1))

    weak_key = (("vendor", weak.vendor_id), ("workflow", weak.workflow_id))
    clean_key = (("vendor", clean.vendor_id), ("workflow", clean.workflow_id))
    assert rates[weak_key] == pytest.approx((10 + PRIOR_AUDITS * 0.1) / (20 + PRIOR_AUDITS))
    assert rates[clean_key] == pytest.approx((0 + PRIOR_AUDITS * 0.1) / (20 + PRIOR_AUDITS))
    assert len(rates) == 2  # strata without audits plan at the expected rate
    # Audits of runs older than the look-back, or not yet ended, do not count.
    assert past_error_rates(plan, strata, as_of=WINDOW.end + dt.timedelta(days=120)) == {}
    assert past_error_rates(plan, strata, as_of=WINDOW.end - dt.timedelta(days=1)) == {}


def test_the_next_neyman_draw_gives_the_error_prone_stratum_more_audits(
    population, make_plan, auditors, version
):
    plan = make_plan(auditors=auditors, allocation="neyman", expected_rate="0.0500")
    first = draw_sample(request_run(plan, window=WINDOW, seed=1, enqueue=False).pk)
    weak = first.strata.order_by("-allocated").first()
    rows = list(SampledTicket.objects.filter(stratum=weak))
    score(rows, version, failed=len(rows) // 2)

    next_week = Window(WINDOW.start + dt.timedelta(days=7), WINDOW.end + dt.timedelta(days=2))
    second = draw_sample(request_run(plan, window=next_week, seed=2, enqueue=False).pk)

    by_label = {s.label: s for s in second.strata.all()}
    again = by_label[weak.label]
    assert again.expected_rate > 0.3
    share_before = weak.allocated / first.sample_size
    share_after = again.allocated / second.sample_size
    assert share_after > share_before
