"""A plan's schedule lives in the database as a celery-beat entry that follows the plan."""

import datetime as dt
import json

import pytest
from django_celery_beat.models import PeriodicTask

from sampling.models import SampleRun
from sampling.scheduling import PlanHasRuns, delete_plan, describe_schedule, sync_plan_schedule
from sampling.tasks import draw_scheduled_plan, request_run

from .conftest import WINDOW


def beat_entry(plan) -> PeriodicTask:
    return PeriodicTask.objects.select_related("crontab").get(name=f"sampling-plan-{plan.pk}")


def test_a_daily_plan_gets_a_beat_entry_at_its_local_time(make_plan):
    plan = make_plan(schedule="daily", schedule_time=dt.time(6, 30), window_timezone="Asia/Manila")

    sync_plan_schedule(plan)

    entry = beat_entry(plan)
    assert entry.task == "sampling.tasks.draw_scheduled_plan"
    assert json.loads(entry.args) == [plan.pk]
    assert entry.enabled
    cron = entry.crontab
    assert (cron.minute, cron.hour, cron.day_of_week) == ("30", "6", "*")
    assert str(cron.timezone) == "Asia/Manila"
    assert describe_schedule(plan) == "Daily at 06:30 (Asia/Manila)"


def test_weekly_plans_count_weekdays_from_monday_and_cron_from_sunday(make_plan):
    plan = make_plan(schedule="weekly", schedule_time=dt.time(7, 0), schedule_weekday=0)

    sync_plan_schedule(plan)

    assert beat_entry(plan).crontab.day_of_week == "1"
    assert describe_schedule(plan) == "Weekly on Monday at 07:00 (UTC)"


def test_editing_the_schedule_updates_the_one_entry_and_manual_removes_it(make_plan):
    plan = make_plan(schedule="cron", schedule_cron="15 5 * * 1-5")
    sync_plan_schedule(plan)
    assert beat_entry(plan).crontab.day_of_week == "1-5"

    plan.schedule, plan.schedule_time = "daily", dt.time(23, 0)
    plan.save()
    sync_plan_schedule(plan)
    assert beat_entry(plan).crontab.hour == "23"
    assert PeriodicTask.objects.filter(name__startswith="sampling-plan-").count() == 1

    plan.schedule = "manual"
    plan.save()
    assert sync_plan_schedule(plan) is None
    assert not PeriodicTask.objects.filter(name=f"sampling-plan-{plan.pk}").exists()


def test_an_inactive_plans_entry_is_disabled(make_plan):
    plan = make_plan(schedule="daily", schedule_time=dt.time(1, 0), active=False)

    sync_plan_schedule(plan)

    assert not beat_entry(plan).enabled


def test_a_plan_without_runs_is_deleted_with_its_entry(make_plan):
    plan = make_plan(schedule="daily", schedule_time=dt.time(1, 0))
    sync_plan_schedule(plan)

    delete_plan(plan)

    assert not PeriodicTask.objects.filter(name__startswith="sampling-plan-").exists()


def test_a_plan_with_runs_cannot_be_deleted(make_plan):
    plan = make_plan()
    request_run(plan, window=WINDOW, enqueue=False)

    with pytest.raises(PlanHasRuns, match="deactivate"):
        delete_plan(plan)


def test_beat_firing_twice_for_the_same_window_draws_once(population, make_plan, monkeypatch):
    plan = make_plan(schedule="daily", schedule_time=dt.time(2, 0))
    # The beat task draws the window as of now; pin "now" to just after the test window.
    monkeypatch.setattr(
        "sampling.population.timezone.now", lambda: WINDOW.end + dt.timedelta(hours=2)
    )

    first = draw_scheduled_plan(plan.pk)
    second = draw_scheduled_plan(plan.pk)

    run = SampleRun.objects.get(plan=plan)
    assert first == second == run.pk
    assert run.status == SampleRun.Status.DONE
    assert run.trigger == SampleRun.Trigger.SCHEDULE
    assert run.window_end == WINDOW.end
    assert run.window_start == WINDOW.end - dt.timedelta(days=1)  # "yesterday"
    assert run.sample_size > 0


def test_an_inactive_plan_is_not_drawn_by_beat(make_plan):
    plan = make_plan(active=False)

    assert draw_scheduled_plan(plan.pk) is None
    assert not SampleRun.objects.exists()
