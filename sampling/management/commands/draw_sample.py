"""python manage.py draw_sample PLAN_ID [--seed N] [--window-start ISO --window-end ISO]

Draws a plan's sample in this process (no worker needed) and prints each stratum's N_h and
n_h. Without a window the plan's own window as of now is used; naive ISO times are read in the
plan's timezone. Drawing the same plan, window and seed again shows the existing run.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError

from sampling.drawing import MAX_SEED, draw_sample
from sampling.models import SampleRun, SamplingPlan
from sampling.population import Window
from sampling.tasks import request_run


class Command(BaseCommand):
    help = "Draw a sampling plan's sample now and print the population and sample per stratum."

    def add_arguments(self, parser) -> None:
        parser.add_argument("plan_id", type=int, help="Id of the sampling plan.")
        parser.add_argument("--seed", type=int, help=f"0..{MAX_SEED}; default: fixed by window.")
        parser.add_argument("--window-start", help="ISO date or datetime (inclusive).")
        parser.add_argument("--window-end", help="ISO date or datetime (exclusive).")

    def handle(self, *args, **options) -> None:
        plan = SamplingPlan.objects.filter(pk=options["plan_id"]).first()
        if plan is None:
            raise CommandError(f"No sampling plan with id {options['plan_id']}.")
        window = self._window(plan, options["window_start"], options["window_end"])
        seed = options["seed"]
        if seed is not None and not 0 <= seed <= MAX_SEED:
            raise CommandError(f"--seed must be between 0 and {MAX_SEED}, not {seed}.")
        run = request_run(plan, window=window, seed=seed, trigger=SampleRun.Trigger.COMMAND,
                          enqueue=False)
        already = run.status == SampleRun.Status.DONE
        run = draw_sample(run.pk)
        if run.status == SampleRun.Status.FAILED:
            raise CommandError(f"Run {run.pk} failed: {run.failure_reason}")
        self._report(run, already)

    def _window(self, plan: SamplingPlan, start: str | None, end: str | None) -> Window | None:
        if start is None and end is None:
            return None
        if start is None or end is None:
            raise CommandError("Give both --window-start and --window-end, or neither.")
        zone = ZoneInfo(plan.window_timezone)
        start_at = _parse(start, "--window-start", zone)
        end_at = _parse(end, "--window-end", zone)
        if end_at <= start_at:
            raise CommandError(f"--window-end ({end}) must be after --window-start ({start}).")
        return Window(start_at, end_at)

    def _report(self, run: SampleRun, already: bool) -> None:
        write = self.stdout.write
        verb = "Already drawn" if already else "Drew"
        write(f"{verb}: run {run.pk} of “{run.plan.name}”, seed {run.seed}")
        write(f"Window: {run.window_start.isoformat()} → {run.window_end.isoformat()}")
        strata = list(run.strata.order_by("position"))
        width = max([len(s.label) for s in strata] + [7])
        write(f"{'Stratum':<{width}}  {'N_h':>10}  {'n_h':>8}  {'drawn':>8}  {'n_h/N_h':>8}")
        for stratum in strata:
            write(
                f"{stratum.label:<{width}}  {stratum.population:>10}  {stratum.allocated:>8}  "
                f"{stratum.drawn:>8}  {stratum.inclusion_probability:>8.4f}"
            )
        write(
            f"{'Total':<{width}}  {run.population_size or 0:>10}  "
            f"{sum(s.allocated for s in strata):>8}  {run.sample_size or 0:>8}"
        )
        if run.excluded_other_plans or run.excluded_same_plan:
            write(
                f"Left out of N, drawn before by another run: {run.excluded_other_plans or 0} "
                f"by other plans, {run.excluded_same_plan or 0} by this plan"
            )
        planned = f"±{run.planned_margin:.2%}" if run.planned_margin is not None else "n/a"
        achieved = f"±{run.achieved_margin:.2%}" if run.achieved_margin is not None else "n/a"
        write(f"Margin planned {planned}, achieved at the expected rates {achieved}")
        write(f"Unassigned tickets: {run.unassigned_count}")
        for note in run.parameters.get("notes", []):
            write(f"Note: {note}")


def _parse(value: str, option: str, zone: ZoneInfo) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(
            f"{option} {value!r} is not an ISO date or datetime (e.g. 2026-11-24 or "
            "2026-11-24T00:00+01:00)."
        ) from error
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment
