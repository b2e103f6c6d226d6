"""Drawn tickets become assignments: balanced by open load, never to a conflicted auditor."""

from collections import Counter

import pytest

from accounts.models import Role
from sampling.assignment import assign_run
from sampling.drawing import draw_sample
from sampling.models import SampledTicket, SampleRun
from sampling.tasks import request_run
from tests.factories import UserFactory

from .conftest import WINDOW, forget_run


def draw(plan, seed=3):
    return draw_sample(request_run(plan, window=WINDOW, seed=seed, enqueue=False).pk)


def loads(run) -> Counter:
    return Counter(SampledTicket.objects.filter(run=run).values_list("auditor__email", flat=True))


def test_tickets_are_spread_evenly_across_the_pool(population, make_plan, auditors):
    run = draw(make_plan(auditors=auditors, audit_due_days=2))

    per_auditor = loads(run)
    assert set(per_auditor) == {a.email for a in auditors}
    assert max(per_auditor.values()) - min(per_auditor.values()) <= 1
    assert run.unassigned_count == 0
    row = SampledTicket.objects.filter(run=run).first()
    assert (row.due_at - row.assigned_at).days == 2


def test_auditors_with_open_work_get_less_of_the_new_run(population, make_plan, auditors):
    busy, *others = auditors
    first = draw(make_plan(auditors=[busy]))
    backlog = SampledTicket.objects.filter(run=first).count()

    second = draw(make_plan(auditors=auditors), seed=4)

    new = loads(second)
    others_new = [new[a.email] for a in others]
    # Greedy least-loaded: the busy auditor only gets work once the others have caught up
    # with the backlog, and the others share the run evenly.
    assert new[busy.email] < min(others_new)
    assert max(others_new) - min(others_new) <= 1
    if second.sample_size <= 3 * backlog:
        assert new[busy.email] == 0


def test_completed_audits_do_not_count_as_open_load(population, make_plan, auditors):
    busy = auditors[0]
    first = draw(make_plan(auditors=[busy]))
    SampledTicket.objects.filter(run=first).update(completed_at=first.finished_at)

    second = draw(make_plan(auditors=auditors), seed=4)

    per_auditor = loads(second)
    assert max(per_auditor.values()) - min(per_auditor.values()) <= 1


def test_an_auditor_never_gets_a_ticket_of_a_vendor_they_are_conflicted_with(
    population, make_plan, auditors
):
    conflicted = auditors[0]
    acme = population.vendors[0]
    conflicted.conflicted_vendors.add(acme)

    run = draw(make_plan(auditors=auditors))

    assert not SampledTicket.objects.filter(
        run=run, auditor=conflicted, ticket__vendor=acme
    ).exists()
    assert SampledTicket.objects.filter(run=run, auditor=conflicted).exists()
    assert run.unassigned_count == 0


def test_tickets_no_one_may_audit_stay_unassigned_and_the_run_says_so(
    population, make_plan, auditors
):
    acme = population.vendors[0]
    for auditor in auditors:
        auditor.conflicted_vendors.add(acme)

    run = draw(make_plan(auditors=auditors))

    unassigned = SampledTicket.objects.filter(run=run, auditor__isnull=True)
    assert run.status == SampleRun.Status.DONE
    assert run.unassigned_count == unassigned.count() > 0
    assert set(unassigned.values_list("ticket__vendor", flat=True)) == {acme.pk}
    assert any("unassigned" in note for note in run.parameters["notes"])


def test_inactive_or_non_auditor_members_of_the_pool_get_nothing(population, make_plan):
    active = UserFactory(email="active@example.com", role=Role.QA_AUDITOR)
    gone = UserFactory(email="gone@example.com", role=Role.QA_AUDITOR, is_active=False)
    manager = UserFactory(email="pm@example.com", role=Role.PROGRAM_MANAGER)

    run = draw(make_plan(auditors=[active, gone, manager]))

    assert set(loads(run)) == {active.email}


def test_a_plan_without_auditors_leaves_the_whole_run_unassigned(population, make_plan):
    run = draw(make_plan())

    assert run.unassigned_count == run.sample_size > 0


@pytest.mark.parametrize("seed", [3, 99])
def test_assignment_is_deterministic_for_a_seed(population, make_plan, auditors, seed):
    by_ticket = []
    for _ in range(2):
        run = draw(make_plan(auditors=auditors), seed=seed)
        by_ticket.append(
            dict(SampledTicket.objects.filter(run=run).values_list("ticket_id", "auditor_id"))
        )
        # Forget the run, so the second draws the same tickets (no run has taken them) from
        # the same open loads (none).
        forget_run(run)

    assert by_ticket[0] and by_ticket[0] == by_ticket[1]


def test_leftovers_are_assigned_once_someone_eligible_joins_the_pool(
    population, make_plan, auditors
):
    acme = population.vendors[0]
    for auditor in auditors:
        auditor.conflicted_vendors.add(acme)
    plan = make_plan(auditors=auditors)
    run = draw(plan)
    leftovers = run.unassigned_count
    newcomer = UserFactory(email="newcomer@example.com", role=Role.QA_AUDITOR)
    plan.auditors.add(newcomer)

    result = assign_run(run)

    run.refresh_from_db()
    assert (result.assigned, result.unassigned, run.unassigned_count) == (leftovers, 0, 0)
    assert loads(run)[newcomer.email] == leftovers
