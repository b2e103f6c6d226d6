"""Each notification is emailed once: the task claims a row before sending, so running it
twice (a retry, a redelivered message, two workers) sends nothing more; a refused email
gives the claim back for the retry. One test runs the task on a real Celery worker."""

import time

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from notifications.models import Kind, Notification
from notifications.sending import notify, send_emails
from notifications.tasks import send_notification_emails

pytestmark = pytest.mark.django_db


def tell(people, key="dispute_resolved:42"):
    return notify(
        key,
        Kind.DISPUTE_RESOLVED,
        people,
        "Dispute #42 resolved",
        "Your dispute is decided.",
        "/audits/disputes/42/",
    )


def test_notifying_emails_each_recipient_once_after_the_commit(
    poc_a, poc_a2, django_capture_on_commit_callbacks, settings
):
    settings.QA_SITE_URL = "https://qa.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        tell([poc_a, poc_a2])

    assert sorted(m.to[0] for m in mail.outbox) == ["poc@acme.example", "second-poc@acme.example"]
    message = mail.outbox[0]
    assert message.subject == "Dispute #42 resolved"
    assert "Your dispute is decided." in message.body
    assert "https://qa.example.com/audits/disputes/42/" in message.body
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


def test_the_same_event_twice_is_one_row_and_one_email(poc_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tell([poc_a])
    with django_capture_on_commit_callbacks(execute=True):
        tell([poc_a, poc_a])

    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_running_the_email_task_twice_sends_once(poc_a):
    ids = tell([poc_a])  # not committed in this test: the task is run by hand below

    assert send_notification_emails.delay(ids).get() == 1
    assert send_notification_emails.delay(ids).get() == 0
    assert len(mail.outbox) == 1


def test_the_database_refuses_a_second_row_for_the_same_person_and_event(poc_a):
    tell([poc_a])
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            recipient=poc_a,
            kind=Kind.DISPUTE_RESOLVED,
            event_key="dispute_resolved:42",
            subject="again",
            body="",
        )


def test_a_refused_email_is_tried_again_by_the_retry(poc_a, monkeypatch):
    ids = tell([poc_a])

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("notifications.sending.send_mail", refuse)
    with pytest.raises(ConnectionRefusedError):
        send_emails(ids)
    assert Notification.objects.get().emailed_at is None

    monkeypatch.undo()
    assert send_emails(ids) == 1
    assert len(mail.outbox) == 1


def test_inactive_people_are_not_told(poc_a, poc_a2):
    poc_a2.is_active = False
    tell([poc_a, poc_a2])

    assert [n.recipient for n in Notification.objects.all()] == [poc_a]


def test_a_link_must_stay_inside_the_program(poc_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            recipient=poc_a,
            kind=Kind.FINDING,
            event_key="x",
            subject="s",
            body="b",
            link="//evil.example/",
        )


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_emails_each_notification_once(
    live_celery_worker, poc_a, poc_a2, settings
):
    """The task runs in a worker process: its email backend is its own, so what it sent is
    read from the rows it claimed, and from its log."""
    ids = tell([poc_a, poc_a2])  # autocommit: queued to Redis at once

    deadline = time.monotonic() + 60
    while Notification.objects.filter(emailed_at__isnull=True).exists():
        assert time.monotonic() < deadline, live_celery_worker.log()
        time.sleep(0.2)
    # The same ids again (a redelivered message): the worker sends nothing more.
    assert send_notification_emails.delay(ids).get(timeout=60) == 0
    log = live_celery_worker.log()
    assert "notifications.tasks.send_notification_emails" in log
    # The console email backend prints each email in the worker's log: two, not four.
    assert log.count("Subject: Dispute #42 resolved") == 2
    assert Notification.objects.filter(emailed_at__isnull=False).count() == 2
