"""Grade the grader: a re-audit plan draws finalised audits stratified by auditor, each is
scored again blind by someone else, and never counts for the vendor."""

import pytest
from django.db import IntegrityError, transaction

from accounts.models import User
from audits import lifecycle
from audits.assignments import reassign_audit, reassignable_auditors, skip_audit
from audits.models import Audit, AuditStatus
from sampling import stats
from sampling.models import SampledTicket, SamplingPlan
from sampling.population import window_exclusions
from tests.audits.reaudit_helpers import (
    draw_reaudits,
    finalised_program,
    finalised_window,
    reaudit_plan,
)
from tests.conftest import rows_for_every_test
from tests.factories import UserFactory
from tests.sampling.conftest import WINDOW

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def program(django_db_setup, django_db_blocker):
    """A ticket sample of at most forty-five audits, scored by three auditors and finalised by
    the lead, built once for the module (each through the real lifecycle); every test draws its
    own re-audits."""
    yield from rows_for_every_test(django_db_blocker, finalised_program)


def test_a_reaudit_run_draws_each_auditors_finalised_audits_as_a_stratum_sized_by_the_plan(
    program,
):
    plan = reaudit_plan(program.auditors + [program.lead])

    run = draw_reaudits(plan, finalised_window())

    assert run.status == "done", run.failure_reason
    by_auditor = program.by_auditor()
    strata = {s.auditor_id: s for s in run.strata.all()}
    assert set(strata) == set(by_auditor)
    for auditor_id, audits in by_auditor.items():
        stratum = strata[auditor_id]
        assert stratum.population == len(audits)
        # Each auditor on their own: n_h = sample_size(e, confidence, p, N_h).
        assert stratum.allocated == stats.sample_size(0.2, 0.9, 0.1, population=len(audits))
    reaudits = Audit.objects.filter(sampled_ticket__run=run).select_related(
        "reaudit_of", "sampled_ticket__stratum")
    assert reaudits.count() == run.sample_size == sum(s.allocated for s in strata.values())
    for reaudit in reaudits:
        original = reaudit.reaudit_of
        assert original.status == AuditStatus.FINAL
        assert reaudit.sampled_ticket.stratum.auditor_id == original.auditor_id
        assert reaudit.ticket_id == original.ticket_id
        assert reaudit.form_version_id == original.form_version_id
        assert reaudit.status == AuditStatus.ASSIGNED


def test_a_redraw_of_the_same_run_is_the_same_sample_and_a_second_run_never_reaudits_twice(
    program,
):
    plan = reaudit_plan(program.auditors, margin_of_error="0.3000")
    window = finalised_window()
    first = draw_reaudits(plan, window, seed=5)
    drawn_first = set(Audit.objects.filter(sampled_ticket__run=first)
                      .values_list("reaudit_of", flat=True))

    second = draw_reaudits(plan, window, seed=6)
    other_plan = draw_reaudits(reaudit_plan(program.auditors, name="Second opinion"), window)

    drawn_second = set(Audit.objects.filter(sampled_ticket__run=second)
                       .values_list("reaudit_of", flat=True))
    drawn_third = set(Audit.objects.filter(sampled_ticket__run=other_plan)
                      .values_list("reaudit_of", flat=True))
    assert drawn_first and drawn_second
    assert not drawn_first & drawn_second
    assert not (drawn_first | drawn_second) & drawn_third
    # The second run's population is the first's less the audits it drew.
    assert second.population_size == first.population_size - len(drawn_first)
    # And the database refuses a second re-audit of one audit, whatever the code does.
    reaudit = Audit.objects.filter(sampled_ticket__run=first).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Audit.objects.create(
            ticket=reaudit.ticket, form_version=reaudit.form_version,
            sampled_ticket=SampledTicket.objects.filter(run=second).first(),
            reaudit_of=reaudit.reaudit_of,
        )


def test_the_ticket_drawn_once_rule_neither_blocks_a_reaudit_nor_is_moved_by_one(program):
    ticket_plan = program.run.plan
    before = window_exclusions(ticket_plan, WINDOW)

    run = draw_reaudits(reaudit_plan(program.auditors), finalised_window())

    # Every ticket re-audited was drawn by the original run, by design.
    drawn = set(SampledTicket.objects.filter(run=run).values_list("ticket_id", flat=True))
    assert drawn
    assert drawn <= set(program.run.sampled_tickets.values_list("ticket_id", flat=True))
    # A ticket sample over the same week sees the same left-out tickets as before.
    assert window_exclusions(ticket_plan, WINDOW) == before


def test_reaudits_never_go_to_the_original_auditor(program):
    run = draw_reaudits(reaudit_plan(program.auditors), finalised_window())

    reaudits = Audit.objects.filter(sampled_ticket__run=run).select_related("reaudit_of")
    assert reaudits.exists()
    for reaudit in reaudits:
        assert reaudit.auditor_id is not None
        assert reaudit.auditor_id != reaudit.reaudit_of.auditor_id
        assert reaudit.sampled_ticket.auditor_id == reaudit.auditor_id


def test_reaudits_respect_conflicts_and_stay_unassigned_when_nobody_else_may_take_them(program):
    first, second, third = program.auditors
    vendor = program.population.vendors[0]
    second.conflicted_vendors.add(vendor)
    # The pool: the first two auditors only. The first's audits can only go to the second,
    # who may not take the conflicted vendor's tickets.
    run = draw_reaudits(reaudit_plan([first, second]), finalised_window())

    reaudits = list(Audit.objects.filter(sampled_ticket__run=run)
                    .select_related("reaudit_of", "ticket"))
    for reaudit in reaudits:
        if reaudit.auditor_id == second.pk:
            assert reaudit.ticket.vendor_id != vendor.pk
        assert reaudit.auditor_id != reaudit.reaudit_of.auditor_id
    stuck = [r for r in reaudits
             if r.reaudit_of.auditor_id == first.pk and r.ticket.vendor_id == vendor.pk]
    assert stuck and all(r.auditor_id is None for r in stuck)
    assert run.unassigned_count == sum(1 for r in reaudits if r.auditor_id is None)
    assert any("re-audited" in note for note in run.parameters["notes"])


def test_a_lead_in_the_pool_takes_reaudits_and_a_reassignment_never_picks_the_original(program):
    auditor = program.auditors[0]
    run = draw_reaudits(reaudit_plan([auditor, program.lead]), finalised_window())
    reaudit = Audit.objects.filter(sampled_ticket__run=run, auditor=program.lead).first()
    assert reaudit is not None

    choices = set(reassignable_auditors(reaudit))

    assert reaudit.reaudit_of.auditor not in choices
    assert program.lead not in choices  # the current one
    with pytest.raises(lifecycle.LifecycleError):
        reassign_audit(reaudit, program.lead, reaudit.reaudit_of.auditor, "try the original")
    with pytest.raises(lifecycle.LifecycleError, match="no replacement"):
        skip_audit(reaudit, program.lead, "gone", replace=True)


def test_a_reaudit_is_scored_but_never_finalised_or_disputed(program):
    run = draw_reaudits(reaudit_plan(program.auditors), finalised_window())
    reaudit = Audit.objects.filter(sampled_ticket__run=run).select_related("auditor").first()
    lifecycle.submit_audit(reaudit, reaudit.auditor, answers=dict(reaudit.reaudit_of.answers))

    with pytest.raises(lifecycle.LifecycleError, match="never finalised"):
        lifecycle.finalise_audit(reaudit, program.lead)
    with pytest.raises(lifecycle.LifecycleError, match="never disputed"):
        lifecycle.dispute_audit(reaudit, program.lead, "the vendor disagrees")
    with pytest.raises(IntegrityError), transaction.atomic():
        Audit.objects.filter(pk=reaudit.pk).update(status=AuditStatus.FINAL)


def test_a_ticket_sample_pool_refuses_leads_and_a_reaudit_form_ignores_ticket_strata(program):
    from sampling.forms import SamplingPlanForm

    data = {
        "name": "Mixed pool", "kind": "tickets", "active": "on", "automation": "any",
        "window_kind": "last_7_days", "window_timezone": "UTC", "strata_keys": ["vendor"],
        "confidence": "95", "margin_of_error": "5", "expected_rate": "10",
        "margin_applies_to": "overall", "allocation": "proportional",
        "minimum_per_stratum": "0", "audit_due_days": "3", "schedule": "manual",
        "auditors": [program.auditors[0].pk, program.lead.pk],
    }
    refused = SamplingPlanForm(data)
    assert not refused.is_valid()
    assert "lead@example.com" in str(refused.errors["auditors"])

    accepted = SamplingPlanForm({**data, "kind": "reaudit"})
    assert accepted.is_valid(), accepted.errors
    plan = accepted.save()
    assert plan.kind == SamplingPlan.Kind.REAUDIT
    assert plan.strata_keys == []
    assert plan.margin_applies_to == "each_stratum"


def test_an_inactive_auditors_audits_and_reaudits_are_left_out_of_the_population(program):
    gone = program.auditors[2]
    User.objects.filter(pk=gone.pk).update(is_active=False)  # the module's object stays as built
    UserFactory(email="spare@example.com")

    run = draw_reaudits(reaudit_plan(program.auditors[:2]), finalised_window())

    assert gone.pk not in set(run.strata.values_list("auditor_id", flat=True))
    assert not Audit.objects.filter(sampled_ticket__run=run, reaudit_of__reaudit_of__isnull=False)
