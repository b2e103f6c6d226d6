"""`manage.py draw_sample` draws from the shell and prints the population and sample."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sampling.models import SampledTicket, SampleRun


def run_command(*args) -> str:
    out = StringIO()
    call_command("draw_sample", *map(str, args), stdout=out)
    return out.getvalue()


def test_the_command_draws_and_prints_each_stratum(population, make_plan):
    plan = make_plan()

    output = run_command(
        plan.pk, "--seed", 77, "--window-start", "2026-11-02", "--window-end", "2026-11-09"
    )

    run = SampleRun.objects.get(plan=plan, seed=77)
    assert run.status == SampleRun.Status.DONE
    assert run.trigger == SampleRun.Trigger.COMMAND
    assert f"Drew: run {run.pk}" in output
    for stratum in run.strata.all():
        line = next(row for row in output.splitlines() if row.startswith(stratum.label + " "))
        assert line.split()[-4:-1] == [
            str(stratum.population),
            str(stratum.allocated),
            str(stratum.drawn),
        ]
    total = next(row for row in output.splitlines() if row.startswith("Total "))
    # Total, N, sum of n_h, drawn.
    assert total.split()[1:] == [
        str(run.population_size),
        str(run.sample_size),
        str(run.sample_size),
    ]
    assert SampledTicket.objects.filter(run=run).count() == run.sample_size


def test_running_it_again_shows_the_existing_run(population, make_plan):
    plan = make_plan()
    args = (plan.pk, "--seed", 1, "--window-start", "2026-11-02", "--window-end", "2026-11-09")
    run_command(*args)

    output = run_command(*args)

    assert output.startswith("Already drawn")
    assert SampleRun.objects.filter(plan=plan).count() == 1


def test_naive_times_are_read_in_the_plans_timezone(make_plan):
    plan = make_plan(window_timezone="Asia/Manila")

    run_command(plan.pk, "--window-start", "2026-11-02T00:00", "--window-end", "2026-11-03")

    run = SampleRun.objects.get(plan=plan)
    assert run.window_start.isoformat() == "2026-11-01T16:00:00+00:00"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--window-start", "2026-11-02"), "both --window-start and --window-end"),
        (("--window-start", "yesterday", "--window-end", "2026-11-09"), "not an ISO date"),
        (("--window-start", "2026-11-09", "--window-end", "2026-11-02"), "must be after"),
        (("--seed", "-4"), "--seed must be between 0"),
    ],
)
def test_bad_arguments_get_a_clear_error(make_plan, args, message):
    plan = make_plan()

    with pytest.raises(CommandError, match=message):
        run_command(plan.pk, *args)
    assert not SampleRun.objects.exists()


def test_an_unknown_plan_id_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No sampling plan with id 999"):
        run_command(999)


def test_a_failed_draw_exits_with_its_reason(population, make_plan):
    plan = make_plan(minimum_per_stratum=50, max_sample_size=60)

    with pytest.raises(CommandError, match="failed: ValueError: The minimum of 50"):
        run_command(plan.pk, "--window-start", "2026-11-02", "--window-end", "2026-11-09")
