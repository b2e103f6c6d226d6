"""`seed_demo` is quiet: the notifications its domain functions raise land in the demo
inboxes, but no email is printed (the console backend of development) or sent, and the
Celery tasks it runs eagerly (without a worker, as `make demo` does) log no "Task …
succeeded" lines: the command prints its summary and the logins, nothing else.

Committed for real (``transaction=True``): the notifications' emails and the scorecard
refreshes are queued when the seed's transaction commits, which a test wrapped in a
transaction never does."""

import datetime as dt
import io
import logging

import pytest
from django.core import mail
from django.core.management import call_command

from notifications.models import Notification

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db(transaction=True)
def test_seeding_fills_the_inboxes_and_prints_only_its_summary(
    settings, capfd, caplog, time_machine
):
    time_machine.move_to(dt.datetime(2026, 11, 18, 12, tzinfo=dt.UTC), tick=False)
    settings.DEBUG = True  # as `make demo` runs it (DJANGO_DEBUG=1)
    settings.PASSWORD_HASHERS = FAST_HASHER
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    mail.outbox = []
    caplog.set_level(logging.INFO)

    out = io.StringIO()
    call_command("seed_demo", tickets=300, stdout=out)

    captured = capfd.readouterr()
    printed = captured.out + captured.err + out.getvalue()
    assert "Subject:" not in printed and "From: " not in printed
    assert Notification.objects.filter(recipient__email="manager@demo.qa").exists()
    assert Notification.objects.filter(recipient__email__startswith="poc@").exists()
    assert mail.outbox == []
    # The eager tasks ran (the refreshes and the emails of the notifications), silently.
    logged = [record.getMessage() for record in caplog.records]
    assert not [line for line in logged if line.startswith("Task ")]
    assert not [line for line in printed.splitlines() if line.startswith("Task ")]
    assert not any("hostname" in line for line in logged)
    assert out.getvalue().startswith("Demo program")
    assert logging.getLogger("celery.app.trace").level == logging.NOTSET  # restored
