"""Ticket content and dispute attachments expire after QA_CONTENT_RETENTION_DAYS; what the
program measured (audits, answers, scores, disputes' decisions, statistics) stays.

The clock is frozen: the program's work happens in September and November 2026, the purge
runs on 18 November 2026 with a 30-day retention.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from audits import lifecycle
from audits.disputes import raise_dispute
from audits.models import Audit, Dispute, DisputedQuestion
from audits.retention import Purged, purge_expired_content
from audits.tasks import purge_expired_content as purge_task
from tests.audits.workspace_helpers import ALL_GOOD, assigned_audits, published_form
from tickets.models import Ticket, TicketImport

pytestmark = pytest.mark.django_db

UTC = dt.UTC
EARLY = dt.datetime(2026, 9, 1, 9, tzinfo=UTC)  # 78 days before the purge
RECENT = dt.datetime(2026, 11, 10, 9, tzinfo=UTC)  # 8 days before
PURGE_DAY = dt.datetime(2026, 11, 18, 12, tzinfo=UTC)
DAYS = 30
OLD_EXCERPT = "Reported post: a threat against a named person (old)."
NEW_EXCERPT = "Reported post: spam link in a comment (recent)."


@pytest.fixture(autouse=True)
def retention(settings, tmp_path):
    settings.QA_CONTENT_RETENTION_DAYS = DAYS
    settings.MEDIA_ROOT = tmp_path / "media"


def final_audit_disputed(auditor, manager, poc, workflow, site, *, at: dt.datetime, excerpt: str):
    """A ticket handled just before ``at`` with content, its final audit and a dispute of
    it raised at ``at`` with an attachment."""
    with time_machine.travel(at, tick=False):
        audit = assigned_audits(auditor, workflow, site=site)[0]
        Ticket.objects.filter(pk=audit.ticket_id).update(
            handled_at=at - dt.timedelta(days=1),
            excerpt=excerpt,
            content_url="https://tool.example/content/1",
            extra={"queue": "escalations"},
        )
        audit = lifecycle.submit_audit(audit, auditor, answers={**ALL_GOOD, "tone": "1"})
        audit = lifecycle.finalise_audit(audit, manager)
        evidence = SimpleUploadedFile(
            "screenshot of the post.png", b"\x89PNG evidence", content_type="image/png"
        )
        raise_dispute(audit, poc, {"tone": "The tone was fine."}, {"tone": evidence})
    return Audit.objects.get(pk=audit.pk)


@pytest.fixture
def program(auditor, manager, poc_a, workflow, site_a):
    with time_machine.travel(EARLY - dt.timedelta(days=1), tick=False):
        published_form(workflow, by=manager)
    old = final_audit_disputed(
        auditor, manager, poc_a, workflow, site_a, at=EARLY, excerpt=OLD_EXCERPT
    )
    new = final_audit_disputed(
        auditor, manager, poc_a, workflow, site_a, at=RECENT, excerpt=NEW_EXCERPT
    )
    return old, new


def what_was_measured() -> dict:
    """Everything retention must leave alone."""
    return {
        "audits": list(
            Audit.objects.order_by("pk").values(
                "pk",
                "status",
                "score",
                "passed",
                "critical_failed",
                "answers",
                "comments",
                "error_categories",
                "submitted_at",
                "finalised_at",
            )
        ),
        "disputes": list(
            Dispute.objects.order_by("pk").values(
                "pk", "status", "score_before", "score_after", "raised_at"
            )
        ),
        "questions": list(
            DisputedQuestion.objects.order_by("pk").values(
                "pk", "question_key", "reason", "original_answer", "decision"
            )
        ),
        "tickets": list(
            Ticket.objects.order_by("pk").values(
                "pk", "external_id", "decision", "policy_label", "handled_at", "agent_id"
            )
        ),
    }


def attachment_file(question: DisputedQuestion) -> Path:
    return Path(question.attachment.path)


@time_machine.travel(PURGE_DAY, tick=False)
def test_content_older_than_the_retention_is_removed_and_newer_content_kept(
    program, django_capture_on_commit_callbacks
):
    old, new = program
    old_question = DisputedQuestion.objects.get(dispute__audit=old)
    new_question = DisputedQuestion.objects.get(dispute__audit=new)
    old_file, new_file = attachment_file(old_question), attachment_file(new_question)
    assert old_file.exists() and new_file.exists()
    measured = what_was_measured()

    with django_capture_on_commit_callbacks(execute=True):
        purged = purge_expired_content()

    assert purged == Purged(tickets=1, attachments=1, ticket_files=0)
    old_ticket, new_ticket = (
        Ticket.objects.get(pk=old.ticket_id),
        Ticket.objects.get(pk=new.ticket_id),
    )
    assert (old_ticket.excerpt, old_ticket.content_url, old_ticket.extra) == ("", "", {})
    assert old_ticket.content_purged_at == PURGE_DAY
    assert new_ticket.excerpt == NEW_EXCERPT and new_ticket.extra == {"queue": "escalations"}
    assert new_ticket.content_purged_at is None

    old_question.refresh_from_db()
    new_question.refresh_from_db()
    assert not old_file.exists(), "the expired attachment is deleted from MEDIA_ROOT"
    assert (old_question.attachment.name, old_question.attachment_name) == ("", "")
    assert old_question.attachment_purged_at == PURGE_DAY
    # The dispute's history no longer names the file either.
    assert not old_question.history.exclude(attachment="").exists()
    assert new_file.exists() and new_question.attachment_name == "screenshot of the post.png"

    assert what_was_measured() == measured


@time_machine.travel(PURGE_DAY, tick=False)
def test_a_second_purge_removes_nothing_more(program, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        purge_expired_content()
    with django_capture_on_commit_callbacks(execute=True):
        assert purge_expired_content() == Purged()


def test_the_retention_is_counted_from_the_setting(
    program, settings, django_capture_on_commit_callbacks
):
    settings.QA_CONTENT_RETENTION_DAYS = 100  # the September ticket is 78 days old
    with (
        time_machine.travel(PURGE_DAY, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert purge_expired_content() == Purged()
    assert Ticket.objects.filter(content_purged_at__isnull=False).count() == 0


@time_machine.travel(PURGE_DAY, tick=False)
def test_pages_say_the_content_was_removed_for_retention(
    program, client_as, manager, django_capture_on_commit_callbacks
):
    old, new = program
    with django_capture_on_commit_callbacks(execute=True):
        purge_expired_content()
    client = client_as(manager)
    note = f"Content removed after {DAYS} days (retention)."

    ticket_page = client.get(f"/audits/tickets/{old.ticket_id}/").content.decode()
    assert note in ticket_page and OLD_EXCERPT not in ticket_page
    audit_page = client.get(f"/audits/{old.pk}/").content.decode()
    assert note in audit_page and OLD_EXCERPT not in audit_page
    dispute = Dispute.objects.get(audit=old)
    dispute_page = client.get(f"/audits/disputes/{dispute.pk}/").content.decode()
    assert f"Attachment removed after {DAYS} days (retention)." in dispute_page
    assert "screenshot of the post" not in dispute_page

    recent = client.get(f"/audits/tickets/{new.ticket_id}/").content.decode()
    assert NEW_EXCERPT in recent and "retention" not in recent


def test_uploaded_ticket_files_expire_too(manager, django_capture_on_commit_callbacks):
    with time_machine.travel(EARLY, tick=False):
        upload = TicketImport(
            original_name="week-35.csv", uploaded_by=manager, status=TicketImport.Status.SUCCEEDED
        )
        upload.file.save("week-35.csv", ContentFile(b"external_id,excerpt\nT-1,old text\n"))
        path = Path(upload.file.path)
    with time_machine.travel(RECENT, tick=False):
        fresh = TicketImport(
            original_name="week-45.csv", uploaded_by=manager, status=TicketImport.Status.SUCCEEDED
        )
        fresh.file.save("week-45.csv", ContentFile(b"external_id\nT-2\n"))
    assert path.exists()
    with time_machine.travel(PURGE_DAY, tick=False):
        assert purge_expired_content().ticket_files == 1
    upload.refresh_from_db()
    fresh.refresh_from_db()
    assert not path.exists() and upload.file.name == "" and upload.original_name == "week-35.csv"
    assert Path(fresh.file.path).exists()


def test_the_purge_is_a_daily_beat_task(settings):
    from qa_program.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["purge-expired-content"]
    assert entry["task"] == "audits.tasks.purge_expired_content"
    assert entry["task"] in app.tasks
    assert entry["schedule"].hour == {3}


@time_machine.travel(PURGE_DAY, tick=False)
def test_the_task_purges_and_reports_what_it_removed(program, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = purge_task.apply().get()
    assert result == {"tickets": 1, "attachments": 1, "ticket_files": 0}
