"""`seed_demo` is quiet: the notifications its domain functions raise land in the demo
inboxes, but no email is printed (the console backend of development) or sent.

Committed for real (``transaction=True``): the notifications' emails are queued when the
seed's transaction commits, which a test wrapped in a transaction never does."""

import io

import pytest
from django.core import mail
from django.core.management import call_command

from notifications.models import Notification

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.django_db(transaction=True)
def test_seeding_fills_the_inboxes_and_prints_no_email(settings, capsys):
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = FAST_HASHER
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    mail.outbox = []

    out = io.StringIO()
    call_command("seed_demo", tickets=300, stdout=out)

    printed = capsys.readouterr().out + out.getvalue()
    assert "Subject:" not in printed and "From: " not in printed
    assert Notification.objects.filter(recipient__email="manager@demo.qa").exists()
    assert Notification.objects.filter(recipient__email__startswith="poc@").exists()
    assert mail.outbox == []
