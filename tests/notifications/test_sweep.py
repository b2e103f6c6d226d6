"""The daily sweep: pending coaching actions due within two days get a reminder, overdue
ones a warning, each once per due date; done and cancelled actions are left alone."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from audit_forms.models import ErrorCategory
from coaching import actions
from coaching.models import CoachingAction
from notifications.events import sweep_coaching_deadlines
from notifications.models import Kind, Notification
from notifications.tasks import sweep_coaching_deadlines as sweep_task

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def open_action(version, manager):
    category = ErrorCategory.objects.get(slug="policy-error")

    def make(vendor, due, owner=None, title="Reclaimed slurs"):
        return actions.open_action(
            manager, category=category, title=title, vendor=vendor, due_date=due, owner=owner
        )

    return make


def keys():
    return sorted((n.recipient.email, n.event_key) for n in Notification.objects.all())


def test_due_soon_and_overdue_actions_are_announced_to_their_people(
    open_action, vendor_a, vendor_b, poc_a, poc_a2, poc_b
):
    due = open_action(vendor_a, TODAY + dt.timedelta(days=2), owner=poc_a)
    late = open_action(vendor_b, TODAY - dt.timedelta(days=1))
    open_action(vendor_a, TODAY + dt.timedelta(days=3))  # not yet

    sweep_coaching_deadlines(TODAY)

    assert keys() == [
        ("poc@acme.example", f"coaching_due:{due.pk}:2026-03-12"),
        ("poc@borealis.example", f"coaching_overdue:{late.pk}:2026-03-09"),
    ]
    assert Notification.objects.get(kind=Kind.COACHING_OVERDUE).subject.startswith("Overdue")


def test_a_second_sweep_repeats_nothing_but_a_moved_due_date_is_announced_again(
    open_action, vendor_a, poc_a
):
    action = open_action(vendor_a, TODAY + dt.timedelta(days=1), owner=poc_a)
    sweep_coaching_deadlines(TODAY)
    sweep_coaching_deadlines(TODAY)
    assert Notification.objects.count() == 1

    CoachingAction.objects.filter(pk=action.pk).update(due_date=TODAY + dt.timedelta(days=2))
    sweep_coaching_deadlines(TODAY)
    sweep_coaching_deadlines(TODAY + dt.timedelta(days=3))  # now overdue

    assert [key for _, key in keys()] == [
        f"coaching_due:{action.pk}:2026-03-11",
        f"coaching_due:{action.pk}:2026-03-12",
        f"coaching_overdue:{action.pk}:2026-03-12",
    ]


def test_completed_and_cancelled_actions_are_not_chased(open_action, vendor_a, poc_a, manager):
    done = open_action(vendor_a, TODAY, owner=poc_a)
    actions.complete(done, poc_a, "Two sessions with the team.")
    dropped = open_action(vendor_a, TODAY - dt.timedelta(days=5), owner=poc_a)
    actions.cancel(dropped, manager, "Opened by mistake.")

    assert sweep_coaching_deadlines(TODAY) == 0
    assert not Notification.objects.exists()


def test_the_sweep_is_a_daily_beat_task(open_action, vendor_a, poc_a):
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-coaching-deadlines"]
    assert entry["task"] == sweep_task.name == "notifications.tasks.sweep_coaching_deadlines"
    assert entry["schedule"].hour == {7} and entry["schedule"].minute == {0}

    open_action(vendor_a, timezone.localdate(), owner=poc_a)
    assert sweep_task.delay().get() == 1
