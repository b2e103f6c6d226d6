"""A plan's schedule, mirrored into a django_celery_beat PeriodicTask.

The plan is the source of truth (its schedule fields); the PeriodicTask named
``sampling-plan-<pk>`` is derived from it by ``sync_plan_schedule``, which views, admin and
commands call after saving a plan. An explicit call rather than a post_save signal: the plan's
many-to-many fields are saved after the row, and a reader should see where beat entries come
from. The crontab is in the plan's timezone, the same zone its window is resolved in.
"""

from __future__ import annotations

import json

from django.db import transaction
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from .models import SamplingPlan

TASK = "sampling.tasks.draw_scheduled_plan"
Schedule = SamplingPlan.Schedule


class PlanHasRuns(Exception):
    """A plan with sample runs cannot be deleted: the runs are the audit trail."""


def periodic_task_name(plan: SamplingPlan) -> str:
    return f"sampling-plan-{plan.pk}"


def crontab_fields(plan: SamplingPlan) -> dict[str, str] | None:
    """The plan's schedule as crontab fields, or None for a manual plan."""
    if plan.schedule == Schedule.MANUAL:
        return None
    if plan.schedule == Schedule.CRON:
        minute, hour, day_of_month, month_of_year, day_of_week = plan.schedule_cron.split()
    else:
        minute, hour = str(plan.schedule_time.minute), str(plan.schedule_time.hour)
        day_of_month = month_of_year = "*"
        # cron counts weekdays from Sunday = 0; the plan from Monday = 0.
        day_of_week = (
            str((plan.schedule_weekday + 1) % 7) if plan.schedule == Schedule.WEEKLY else "*"
        )
    return {
        "minute": minute,
        "hour": hour,
        "day_of_month": day_of_month,
        "month_of_year": month_of_year,
        "day_of_week": day_of_week,
    }


@transaction.atomic
def sync_plan_schedule(plan: SamplingPlan) -> PeriodicTask | None:
    """Create, update or delete the plan's beat entry to match its schedule; returns it.

    The entry is disabled while the plan is inactive, and removed for a manual plan.
    """
    name = periodic_task_name(plan)
    fields = crontab_fields(plan)
    if fields is None:
        PeriodicTask.objects.filter(name=name).delete()
        return None
    crontab = CrontabSchedule.objects.filter(**fields, timezone=plan.window_timezone).first()
    if crontab is None:
        crontab = CrontabSchedule.objects.create(**fields, timezone=plan.window_timezone)
    task, _ = PeriodicTask.objects.update_or_create(
        name=name,
        defaults={
            "task": TASK,
            "crontab": crontab,
            "interval": None,
            "args": json.dumps([plan.pk]),
            "kwargs": "{}",
            "enabled": plan.active,
            "description": f"Draw the next window of sampling plan “{plan.name}”.",
        },
    )
    return task


@transaction.atomic
def delete_plan(plan: SamplingPlan) -> None:
    """Delete a plan that has never been drawn, with its beat entry.

    A plan with runs raises PlanHasRuns: its runs and assignments are the audit trail;
    deactivate it instead (that stops its schedule).
    """
    runs = plan.runs.count()
    if runs:
        raise PlanHasRuns(
            f"“{plan.name}” has {runs} sample run(s), which must be kept; deactivate the plan "
            "instead to stop its schedule."
        )
    PeriodicTask.objects.filter(name=periodic_task_name(plan)).delete()
    plan.delete()


def describe_schedule(plan: SamplingPlan) -> str:
    """The schedule in words, e.g. "Weekly on Monday at 06:30 (Europe/Madrid)"."""
    zone = plan.window_timezone
    if plan.schedule == Schedule.MANUAL:
        return "Manual"
    if plan.schedule == Schedule.CRON:
        return f"Cron “{plan.schedule_cron}” ({zone})"
    at = plan.schedule_time.strftime("%H:%M")
    if plan.schedule == Schedule.WEEKLY:
        day = SamplingPlan.Weekday(plan.schedule_weekday).label
        return f"Weekly on {day} at {at} ({zone})"
    return f"Daily at {at} ({zone})"
