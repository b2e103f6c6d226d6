"""Skipped sampled tickets are non-response; a replacement is the stratum's next ticket.

The story: a run is drawn over a generated population, a lead skips two audits (one with a
replacement), the auditors complete a few others. The run report counts the skips per
stratum, its estimates rest on the completed audits only and the page says so; the
replacement is the lowest-ranked undrawn ticket of the same stratum in the run's seeded
order, assigned to the same auditor.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from audits.assignments import skip_audit
from audits.lifecycle import submit_audit
from audits.models import Audit, AuditStatus
from audits.run_report import run_report
from sampling.drawing import draw_sample
from sampling.models import SampledTicket
from sampling.selection import ticket_rank
from sampling.tasks import request_run
from tests.audits.workspace_helpers import ALL_GOOD, published_form
from tickets.models import Ticket

from .conftest import WINDOW, make_population

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 18, 12, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def run(auditors, make_plan, manager):
    population = make_population(size=400)
    version = published_form(population.workflows[0], by=manager)
    version.form.workflows.set(population.workflows)
    plan = make_plan(
        auditors=auditors, allocation="equal", margin_of_error="0.2000", minimum_per_stratum=3
    )
    run = draw_sample(request_run(plan, window=WINDOW, seed=11, enqueue=False).pk)
    assert run.status == "done", run.failure_reason
    return run


def audits_of(stratum) -> list[Audit]:
    return list(
        Audit.objects.filter(sampled_ticket__stratum=stratum)
        .select_related("auditor", "sampled_ticket")
        .order_by("sampled_ticket__draw_rank")
    )


def test_a_replacement_is_the_next_undrawn_ticket_of_the_same_stratum(run, manager):
    stratum = run.strata.order_by("position").first()
    skipped = audits_of(stratum)[0]
    drawn_before = set(SampledTicket.objects.filter(run=run).values_list("ticket_id", flat=True))
    undrawn = [
        ticket
        for ticket in Ticket.objects.filter(
            vendor=stratum.vendor,
            workflow=stratum.workflow,
            handled_at__gte=WINDOW.start,
            handled_at__lt=WINDOW.end,
        )
        if ticket.pk not in drawn_before
    ]
    expected = min(
        undrawn, key=lambda t: (ticket_rank(t.sample_key, run.seed), t.source, t.external_id)
    )

    result = skip_audit(skipped, manager, "Transcript missing", replace=True)

    new = result.replacement
    assert new is not None and new.ticket_id == expected.pk
    assert new.status == AuditStatus.ASSIGNED and new.auditor == skipped.auditor
    assert new.sampled_ticket.stratum_id == stratum.pk and new.sampled_ticket.run_id == run.pk
    assert new.sampled_ticket.inclusion_probability == skipped.sampled_ticket.inclusion_probability
    assert new.sampled_ticket.draw_rank == max(
        a.sampled_ticket.draw_rank for a in audits_of(stratum)
    )
    event = Audit.objects.get(pk=skipped.pk).events.get(kind="skipped")
    assert event.details["replacement"] == new.pk
    stratum.refresh_from_db()
    assert stratum.drawn == stratum.allocated  # the plan's n_h is unchanged


def test_a_replacement_goes_to_another_auditor_when_the_first_is_conflicted(run, manager):
    stratum = run.strata.order_by("position").first()
    skipped = audits_of(stratum)[0]
    skipped.auditor.conflicted_vendors.add(stratum.vendor)

    new = skip_audit(skipped, manager, "Conflict found", replace=True).replacement

    assert new is not None and new.auditor not in (None, skipped.auditor)
    assert new.auditor in run.plan.auditors.all()


def test_the_run_report_counts_skips_per_stratum_and_estimates_from_completed_audits(
    run, manager, client_as
):
    first, second = run.strata.order_by("position")[:2]
    in_first, in_second = audits_of(first), audits_of(second)
    skip_audit(in_first[0], manager, "Content gone")
    skip_audit(in_first[1], manager, "Content gone", replace=True)
    for audit in in_first[2:] + in_second[:2]:
        submit_audit(audit, audit.auditor, answers=ALL_GOOD)
    completed = len(in_first[2:]) + 2

    report = run_report(run)

    rows = {row.key: row for row in report.strata}
    assert (rows[first.pk].skipped, rows[second.pk].skipped) == (2, 0)
    assert rows[first.pk].audits_done == len(in_first) - 2
    assert report.skipped == 2 and report.audits_done == completed
    assert report.accuracy.n == completed  # n_h counts completed audits, never the skipped
    assert rows[first.pk].accuracy.n == len(in_first) - 2

    page = client_as(manager).get(reverse("sampling:run_detail", args=[run.pk])).content.decode()
    assert (
        f"2 sampled tickets were skipped (non-response); estimates use the {completed} "
        "completed audits."
    ) in page
    assert 'id="run-skipped">2 skipped' in page


def test_the_run_page_lists_assignments_not_yet_submitted_with_a_way_to_move_them(
    run, manager, client_as
):
    stratum = run.strata.order_by("position").first()
    done, skipped, *pending = audits_of(stratum)
    submit_audit(done, done.auditor, answers=ALL_GOOD)
    skip_audit(skipped, manager, "Content gone")
    still_open = Audit.objects.filter(sampled_ticket__run=run, status=AuditStatus.ASSIGNED)

    page = client_as(manager).get(reverse("sampling:run_detail", args=[run.pk])).content.decode()

    listed = page.split('id="run-pending"')[1].split("</table>")[0]
    assert f"{still_open.count()} audits of this run are assigned or in progress" in page
    assert str(pending[0].ticket) in listed
    assert reverse("audits:audit_detail", args=[pending[0].pk]) in listed
    assert str(done.ticket) not in listed and str(skipped.ticket) not in listed
