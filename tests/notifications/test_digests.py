"""The weekly digest: each program manager and vendor POC gets one email per ISO week with the
numbers and intervals of the pages, a POC only their own vendor's, and nobody who opted out.

The program here (frozen on Monday 16 March 2026, 06:30 UTC; the digest reports on the last
complete week, ISO week 2026-W11, 9–15 March):

- Acme audited 20 tickets handled on 10 March (12 passed; stratum of 400 tickets); its
  contract asks for at least 95 % accuracy on hate speech: significantly below.
- Borealis audited 20 (19 passed; stratum of 300); its contract asks for at least 70 %
  overall: met.
- Acme has an open dispute past its SLA; Borealis an overdue coaching action.
"""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from accounts.models import Role
from audits.models import Audit, AuditStatus
from notifications import digests
from notifications.models import EmailPreference, WeeklyDigest
from notifications.tasks import send_weekly_digests
from qa_program.celery import app
from rollups.periods import period_of
from rollups.writer import rebuild_rollups
from sampling.models import SampleStratum
from scorecards.overview import program_overview
from scorecards.query import PageQuery
from scorecards.scorecard import vendor_scorecard
from tests.audits.workspace_helpers import published_form, sample_run
from tests.factories import AgentFactory, ContractTargetFactory, UserFactory
from tests.rollups.rollup_helpers import sampled_audits
from tests.scorecards.dispute_helpers import open_dispute, vendor_action

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 16, 6, 30, tzinfo=dt.UTC)
HANDLED = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
WEEK = dt.date(2026, 3, 9)
SITE = "https://qa.example.com"


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.QA_SITE_URL = SITE
    with time_machine.travel(NOW, tick=False):
        yield


def audited(run, auditor, workflow, site, *, passed: int, population: int) -> list[Audit]:
    audits = sampled_audits(run, auditor, workflow, AgentFactory(site=site), [HANDLED] * 20)
    SampleStratum.objects.filter(pk=audits[0].sampled_ticket.stratum_id).update(
        population=population)
    for i, audit in enumerate(audits):
        Audit.objects.filter(pk=audit.pk).update(
            status=AuditStatus.FINAL, passed=i < passed, score=100 if i < passed else 0,
            submitted_at=HANDLED, finalised_at=HANDLED, time_spent_seconds=300, auditor=auditor)
    return audits


@pytest.fixture
def program(auditor, manager, workflow, site_a, site_b, poc_a, poc_b):
    published_form(workflow, by=manager)
    run = sample_run()
    acme = audited(run, auditor, workflow, site_a, passed=12, population=400)
    audited(run, auditor, workflow, site_b, passed=19, population=300)
    ContractTargetFactory(vendor=site_a.vendor, workflow=workflow, target="0.9500")
    ContractTargetFactory(vendor=site_b.vendor, workflow=None, target="0.7000")
    open_dispute(acme[15], poc_a, NOW - dt.timedelta(days=5))
    action = vendor_action(site_b.vendor, manager, NOW.date() - dt.timedelta(days=2))
    action.title = "Borealis escalation refresher"
    action.save(update_fields=["title"])
    rebuild_rollups()


def sent_to(email: str):
    found = [m for m in mail.outbox if m.to == [email]]
    assert len(found) == 1, f"{len(found)} digests to {email}"
    message = found[0]
    html = message.alternatives[0][0]
    return message.body, html


def test_each_manager_and_poc_gets_one_digest_and_a_second_run_sends_nothing(program):
    first = digests.send_digests()

    assert first.week == WEEK
    assert sorted(first.sent) == ["manager@example.com", "poc@acme.example",
                                  "poc@borealis.example"]
    assert WeeklyDigest.objects.filter(week=WEEK, sent_at__isnull=False).count() == 3

    assert send_weekly_digests.delay().get() == 0  # the beat's task, the same week
    call_command("send_digests", "--week", "2026-W11", stdout=open("/dev/null", "w"))
    assert len(mail.outbox) == 3
    assert digests.send_digests().already == 3


def test_the_manager_digest_shows_the_vendor_below_target_with_its_interval(program, vendor_a):
    digests.send_digests()
    text, html = sent_to("manager@example.com")
    overview_flag = next(flag for flag in program_overview(
        PageQuery(period=period_of("week", WEEK))).red_flags if flag.kind == "target")

    assert "Week 11, 2026" in text
    assert overview_flag.text.startswith("Acme Moderation: accuracy on Hate speech (EN) is 60.0%")
    assert overview_flag.text in text  # the overview's own words and interval
    assert "below target (significant at 95%)" in text
    assert "Borealis Support: accuracy" not in text  # met: not a flag
    assert "Acme Moderation: 1 of 1 open disputes overdue" in text
    assert "Borealis Support: 1 of 1 coaching actions overdue" in text
    assert f"{SITE}/scorecards/?period=week&date=2026-03-09" in text
    assert f'href="{SITE}/scorecards/vendors/acme/' in html
    assert f"{SITE}/inbox/preferences/" in text


def test_the_poc_digest_holds_their_vendors_scorecard_and_nothing_of_the_other(
        program, vendor_a, poc_a):
    digests.send_digests()
    text, html = sent_to("poc@acme.example")
    card = vendor_scorecard(PageQuery(period=period_of("week", WEEK), vendor=vendor_a))
    accuracy = card.headlines[0].estimate

    expected = digests.rate_text(accuracy, 20)
    assert expected.startswith("60.0% (") and "), n 20" in expected
    assert f"Accuracy: {expected}" in text
    assert ("Accuracy on Hate speech (EN): " + expected
            + "; target at least 95.0%: below target (significant at 95%)") in text
    assert "Dispute #" in text and "(overdue)" in text
    assert f"{SITE}/portal/?period=week&date=2026-03-09" in text
    for other in ("Borealis", "borealis", "95.0% (", "escalation refresher", "70.0%"):
        assert other not in text.replace("target at least 95.0%", ""), other
        assert other not in html.replace("target at least 95.0%", ""), other


def test_the_other_poc_sees_their_own_coaching_action_not_acmes_dispute(program):
    digests.send_digests()
    text, _ = sent_to("poc@borealis.example")

    assert "Borealis Support: QA digest" in text
    assert "Borealis escalation refresher: open" in text and "(overdue)" in text
    assert "meets target" in text
    assert "Acme" not in text and "Dispute #" not in text


def test_opting_out_in_the_preferences_page_stops_the_digest(program, poc_a, client_as):
    client = client_as(poc_a)
    page = client.get("/inbox/preferences/")
    assert 'name="weekly_digest" id="id_weekly_digest" checked' in page.content.decode()

    assert client.post("/inbox/preferences/", {}).status_code == 302  # unticked
    assert EmailPreference.objects.get(user=poc_a).weekly_digest is False

    run = digests.send_digests()
    assert "poc@acme.example" not in run.sent
    assert not WeeklyDigest.objects.filter(recipient=poc_a).exists()

    client.post("/inbox/preferences/", {"weekly_digest": "on"})
    assert digests.send_digests().sent == ["poc@acme.example"]


def test_inactive_users_users_without_email_and_other_roles_get_nothing(program, vendor_a):
    UserFactory(email="gone@example.com", role=Role.PROGRAM_MANAGER, is_active=False)
    UserFactory(email="analyst@acme.example", role=Role.VENDOR_QA_ANALYST, vendor=vendor_a)
    nameless = UserFactory(email="x@example.com", role=Role.PROGRAM_MANAGER)
    type(nameless).objects.filter(pk=nameless.pk).update(email="")

    sent = digests.send_digests().sent

    assert sorted(sent) == ["manager@example.com", "poc@acme.example", "poc@borealis.example"]
    assert not WeeklyDigest.objects.exclude(recipient__email__in=sent).exists()


def test_a_dry_run_sends_and_records_nothing_and_a_bad_week_is_named(program, capsys):
    call_command("send_digests", "--dry-run")
    out = capsys.readouterr().out
    assert "would send: poc@acme.example" in out
    assert "2026-W11: 3 would be sent" in out
    assert mail.outbox == [] and not WeeklyDigest.objects.exists()

    with pytest.raises(Exception, match="week: '2026-53' is not an ISO week"):
        call_command("send_digests", "--week", "2026-53")


def test_a_refused_email_gives_the_week_back_for_a_later_run(program, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: refused

    with pytest.raises(OSError):
        digests.send_digests()
    assert not WeeklyDigest.objects.filter(sent_at__isnull=False).exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert len(digests.send_digests().sent) == 3


def test_beat_runs_the_digest_task_daily_and_the_task_is_registered(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-weekly-digests"]
    assert entry["task"] == "notifications.tasks.send_weekly_digests"
    assert entry["task"] in app.tasks
