"""Drawing a stratified sample in the database: the counts, the probabilities, the seed."""

import datetime as dt
from collections import Counter, defaultdict

import pytest

from sampling import drawing
from sampling.assignment import assign_tickets
from sampling.drawing import draw_sample, seed_coefficients, ticket_rank
from sampling.models import SampledTicket, SampleRun, SampleStratum
from sampling.population import Window
from sampling.tasks import request_run

from .conftest import WINDOW, forget_run


def draw(plan, seed=7, window=WINDOW) -> SampleRun:
    run = request_run(plan, window=window, seed=seed, enqueue=False)
    return draw_sample(run.pk)


def drawn_ids(run) -> set[int]:
    return set(SampledTicket.objects.filter(run=run).values_list("ticket_id", flat=True))


def expected_sample(tickets, run) -> set[int]:
    """The draw recomputed in Python: per stratum, the n_h tickets with the lowest seeded rank
    (ties by source, external_id), the same arithmetic the database does in SQL."""
    by_stratum = defaultdict(list)
    for t in tickets:
        by_stratum[(t.vendor_id, t.workflow_id)].append(t)
    chosen = set()
    for stratum in run.strata.all():
        members = by_stratum[(stratum.vendor_id, stratum.workflow_id)]
        members.sort(key=lambda t: (ticket_rank(t.sample_key, run.seed), t.source, t.external_id))
        chosen |= {t.pk for t in members[: stratum.allocated]}
    return chosen


def test_each_stratum_records_its_population_and_draws_exactly_its_allocation(
    population, make_plan
):
    plan = make_plan(margin_of_error="0.0300", minimum_per_stratum=5)

    run = draw(plan)

    assert run.status == SampleRun.Status.DONE, run.failure_reason
    in_window = population.in_window()
    sizes = Counter((t.vendor_id, t.workflow_id) for t in in_window)
    strata = list(run.strata.all())
    assert {(s.vendor_id, s.workflow_id): s.population for s in strata} == sizes
    assert run.population_size == len(in_window)
    for stratum in strata:
        assert stratum.drawn == stratum.allocated >= min(5, stratum.population)
        assert stratum.sampled_tickets.count() == stratum.allocated
    assert run.sample_size == sum(s.allocated for s in strata) == drawn_ids(run).__len__()
    assert run.progress == 100 and run.finished_at is not None


def test_each_drawn_ticket_carries_its_strata_inclusion_probability(population, make_plan):
    run = draw(make_plan())

    rows = SampledTicket.objects.filter(run=run).select_related("stratum", "ticket")
    for row in rows:
        assert row.inclusion_probability == pytest.approx(
            row.stratum.allocated / row.stratum.population
        )
        assert (row.ticket.vendor_id, row.ticket.workflow_id) == (
            row.stratum.vendor_id,
            row.stratum.workflow_id,
        )
        assert WINDOW.start <= row.ticket.handled_at < WINDOW.end
    # Weights N_h / n_h add back up to the population.
    assert sum(1 / row.inclusion_probability for row in rows) == pytest.approx(run.population_size)


def test_the_database_draws_exactly_the_set_recomputed_in_python(population, make_plan):
    """The cross-database property: whichever database runs this (SQLite locally, PostgreSQL
    in CI) must pick the set that plain integer arithmetic on sample_key picks."""
    run = draw(make_plan(), seed=123456789)

    assert drawn_ids(run) == expected_sample(population.in_window(), run)


def test_same_seed_draws_the_same_tickets_and_a_different_seed_others(population, make_plan):
    first = draw(make_plan(), seed=42)
    chosen = drawn_ids(first)
    # Each draw is then forgotten, so the next one draws from the whole window again (a ticket
    # drawn by any run is left out of later populations).
    forget_run(first)
    same = draw(make_plan(), seed=42)
    same_ids = drawn_ids(same)
    forget_run(same)
    other = draw(make_plan(), seed=43)

    assert same_ids == chosen
    assert len(drawn_ids(other)) == len(chosen)
    # Independent samples of ~10% overlap in ~10% of their tickets, far from all of them.
    assert len(chosen & drawn_ids(other)) < len(chosen) / 2


def test_draw_order_within_a_stratum_follows_the_seeded_rank(population, make_plan):
    run = draw(make_plan(), seed=5)
    stratum = run.strata.order_by("-allocated").first()

    rows = list(stratum.sampled_tickets.order_by("draw_rank").select_related("ticket"))
    ranks = [ticket_rank(row.ticket.sample_key, run.seed) for row in rows]
    assert [row.draw_rank for row in rows] == list(range(1, len(rows) + 1))
    assert ranks == sorted(ranks)


def test_the_seeded_hash_is_frozen_so_old_runs_stay_reproducible():
    # Changing these numbers would silently change which tickets every past seed selects.
    assert seed_coefficients(7) == FROZEN_SEED_7
    assert ticket_rank(0, 7) == FROZEN_SEED_7[1]
    assert ticket_rank(2**31 - 2, 7) == (FROZEN_SEED_7[0] * (2**31 - 2) + FROZEN_SEED_7[1]) % (
        2**31 - 1
    )
    with pytest.raises(ValueError, match="seed"):
        seed_coefficients(-1)


FROZEN_SEED_7 = (891167922, 1744643583)


def test_a_ticket_drawn_under_the_plan_is_not_drawn_again_by_another_seed(population, make_plan):
    plan = make_plan()
    first = draw(plan, seed=1)
    second = draw(plan, seed=2)

    assert drawn_ids(first).isdisjoint(drawn_ids(second))
    before = {s.label: s for s in first.strata.all()}
    for stratum in second.strata.all():
        # The second run's population is what the first left behind.
        assert stratum.population == before[stratum.label].population - before[stratum.label].drawn


def test_an_overlapping_window_of_the_same_plan_excludes_its_drawn_tickets(population, make_plan):
    plan = make_plan()
    first = draw(plan, seed=1)
    shifted = Window(WINDOW.start + dt.timedelta(days=3), WINDOW.end + dt.timedelta(days=1))
    second = draw(plan, seed=1, window=shifted)
    other_plan = draw(make_plan(), seed=1)

    assert second.status == SampleRun.Status.DONE
    assert drawn_ids(first).isdisjoint(drawn_ids(second))
    # Another plan over the same tickets excludes them too: a ticket is audited only once,
    # whichever plan drew it first (issue 11), even with the seed that would have chosen them.
    assert other_plan.status == SampleRun.Status.DONE and drawn_ids(other_plan)
    assert drawn_ids(other_plan).isdisjoint(drawn_ids(first) | drawn_ids(second))
    assert other_plan.excluded_same_plan == 0
    assert other_plan.excluded_other_plans == len(
        {t.pk for t in population.in_window()} & (drawn_ids(first) | drawn_ids(second))
    )


def test_drawing_a_done_run_again_changes_nothing(population, make_plan, auditors):
    plan = make_plan(auditors=auditors)
    run = draw(plan)
    rows = list(SampledTicket.objects.filter(run=run).values_list("pk", "ticket_id", "auditor_id"))

    again = draw_sample(run.pk)

    assert again.status == SampleRun.Status.DONE
    assert (
        list(SampledTicket.objects.filter(run=run).values_list("pk", "ticket_id", "auditor_id"))
        == rows
    )
    assert SampleStratum.objects.filter(run=run).count() == run.strata_count


def test_asking_twice_for_a_plans_window_finds_the_same_run(population, make_plan):
    plan = make_plan()

    first = request_run(plan, window=WINDOW, enqueue=False)
    second = request_run(plan, window=WINDOW, enqueue=False)

    assert first.pk == second.pk
    assert SampleRun.objects.filter(plan=plan).count() == 1


def test_a_run_left_half_written_by_a_dead_worker_is_redrawn_cleanly(population, make_plan):
    plan = make_plan()
    run = request_run(plan, window=WINDOW, seed=9, enqueue=False)
    # What a crash could leave if writes were not atomic: a stray stratum and ticket.
    stray_ticket = population.in_window()[0]
    stratum = SampleStratum.objects.create(
        run=run,
        position=0,
        label="stray",
        population=1,
        allocated=1,
        drawn=1,
        expected_rate=0.1,
        stddev=0.3,
    )
    SampledTicket.objects.create(
        run=run, stratum=stratum, ticket=stray_ticket, draw_rank=1, inclusion_probability=1.0
    )
    SampleRun.objects.filter(pk=run.pk).update(status=SampleRun.Status.RUNNING, progress=40)

    run = draw_sample(run.pk)

    assert run.status == SampleRun.Status.DONE
    assert not run.strata.filter(label="stray").exists()
    assert drawn_ids(run) == expected_sample(population.in_window(), run)


def test_a_failure_marks_the_run_failed_with_the_reason_and_writes_nothing(
    population, make_plan, monkeypatch
):
    plan = make_plan()

    def broken_assignment(plan, seed, tickets):
        raise RuntimeError("the auditor directory is unreachable")

    monkeypatch.setattr(drawing, "assign_tickets", broken_assignment)
    run = draw(plan)

    assert run.status == SampleRun.Status.FAILED
    assert run.failure_reason == "RuntimeError: the auditor directory is unreachable"
    assert not SampledTicket.objects.filter(run=run).exists()
    assert not SampleStratum.objects.filter(run=run).exists()

    monkeypatch.undo()
    retried = draw_sample(run.pk)
    assert retried.status == SampleRun.Status.DONE
    assert retried.failure_reason == ""


def test_an_impossible_design_fails_with_a_clear_reason(population, make_plan):
    plan = make_plan(minimum_per_stratum=50, max_sample_size=100)

    run = draw(plan)

    assert run.status == SampleRun.Status.FAILED
    assert "minimum of 50 audits per stratum" in run.failure_reason
    assert "cap of 100" in run.failure_reason
    assert not SampledTicket.objects.filter(run=run).exists()


def test_a_cap_limits_the_sample_and_the_run_reports_the_wider_margin(population, make_plan):
    run = draw(make_plan(margin_of_error="0.0200", max_sample_size=200))

    assert run.sample_size == 200
    assert run.achieved_margin > run.planned_margin == pytest.approx(0.02)
    assert any("cap of 200" in note for note in run.parameters["notes"])


def test_an_empty_window_is_a_done_run_with_nothing_drawn(population, make_plan):
    empty = Window(dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.datetime(2020, 1, 2, tzinfo=dt.UTC))

    run = draw(make_plan(), window=empty)

    assert run.status == SampleRun.Status.DONE
    assert (run.population_size, run.sample_size, run.strata_count) == (0, 0, 0)


def test_without_strata_keys_the_draw_is_one_simple_random_sample(population, make_plan):
    run = draw(make_plan(strata_keys=[]), seed=11)

    (stratum,) = run.strata.all()
    assert stratum.population == len(population.in_window())
    members = sorted(
        population.in_window(),
        key=lambda t: (ticket_rank(t.sample_key, 11), t.source, t.external_id),
    )
    assert drawn_ids(run) == {t.pk for t in members[: stratum.allocated]}


def test_filters_restrict_the_population(population, make_plan):
    vendor = population.vendors[1]
    plan = make_plan(vendors=[vendor], decision_types=["remove"], automation="manual")

    run = draw(plan)

    expected = [
        t
        for t in population.in_window()
        if t.vendor_id == vendor.pk and t.decision == "remove" and not t.automated
    ]
    assert run.population_size == len(expected)
    assert drawn_ids(run) <= {t.pk for t in expected}


def test_a_polling_page_sees_the_steps_of_a_draw_in_progress(population, make_plan, monkeypatch):
    seen = []

    def watching_assignment(plan, seed, tickets):
        seen.append(SampleRun.objects.get(plan=plan).live_progress)
        return assign_tickets(plan, seed, tickets)

    monkeypatch.setattr(drawing, "assign_tickets", watching_assignment)
    run = draw(make_plan())

    assert seen == [(70, f"Assigning {run.sample_size} tickets to auditors")]
    assert run.live_progress == (100, f"Drew {run.sample_size} of {run.population_size} tickets")


def test_when_the_candidate_threshold_is_too_tight_the_draw_falls_back_to_the_same_set(
    population, make_plan, monkeypatch
):
    # With no slack at all most strata have fewer candidates than they need.
    monkeypatch.setattr("sampling.selection.THRESHOLD_FACTOR", 0.5)
    monkeypatch.setattr("sampling.selection.THRESHOLD_SLACK", 0)

    run = draw(make_plan(), seed=31)

    assert run.status == SampleRun.Status.DONE
    assert drawn_ids(run) == expected_sample(population.in_window(), run)
