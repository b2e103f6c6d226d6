"""`seed_demo` builds a believable program a new user can log into, with forms, sample runs
and scored audits showing real patterns, and running it again changes nothing."""

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, demo_logins
from accounts.models import Role, User
from audits.demo import SOURCE, generate_tickets
from audits.models import SCORED_STATUSES, Audit, AuditForm, FormVersion, Ticket
from audits.scoring import score_audit
from sampling import demo as sampling_demo
from sampling.models import SamplingPlan
from sampling.reporting import run_report
from vendors.models import Agent, ContractTarget, Site, Vendor, Workflow

SMALL = 2000


@pytest.fixture
def seed_demo(settings):
    """Run the command the way `make demo` does (DEBUG on); returns what it printed."""
    settings.DEBUG = True
    # The demo logins are hashed on each first run; a fast hasher keeps the suite quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def run(tickets: int = SMALL) -> str:
        out = io.StringIO()
        call_command("seed_demo", tickets=tickets, stdout=out)
        return out.getvalue()

    return run


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.mark.django_db
def test_seeding_twice_leaves_every_table_as_the_first_run_left_it(seed_demo):
    seed_demo()
    first = row_counts()
    first_tickets = set(Ticket.objects.values_list("external_id", "agent_id", "decision"))

    seed_demo()

    assert row_counts() == first
    assert set(Ticket.objects.values_list("external_id", "agent_id", "decision")) == first_tickets
    assert first["audits.Ticket"] == SMALL


@pytest.mark.django_db
def test_asking_for_more_tickets_later_adds_only_the_missing_ones(seed_demo):
    seed_demo(tickets=1500)
    early = dict(Ticket.objects.values_list("external_id", "handled_at"))

    seed_demo(tickets=SMALL)

    assert Ticket.objects.filter(source=SOURCE).count() == SMALL
    kept = Ticket.objects.filter(external_id__in=early)
    assert dict(kept.values_list("external_id", "handled_at")) == early


@pytest.mark.django_db
def test_the_demo_program_has_vendors_with_sites_around_the_world(seed_demo):
    seed_demo()

    assert Vendor.objects.count() >= 5
    sites = list(Site.objects.all())
    assert len({site.country for site in sites}) >= 3
    continents = {site.timezone.split("/")[0] for site in sites}
    assert len(continents) >= 3
    for site in sites:
        ZoneInfo(site.timezone)  # a real IANA zone, or this raises
    assert not Vendor.objects.annotate(n=Count("sites")).filter(n=0).exists()


@pytest.mark.django_db
def test_hundreds_of_agents_are_known_only_by_pseudonymous_ids(seed_demo):
    seed_demo()

    assert Agent.objects.count() >= 300
    pattern = re.compile(r"^[A-Z]{3}-[A-Z]{3}-\d{4}$")
    external_ids = Agent.objects.values_list("external_id", flat=True)
    assert all(pattern.match(external_id) for external_id in external_ids)
    assert not Agent.objects.exclude(site__vendor=F("vendor")).exists()


@pytest.mark.django_db
def test_workflows_cover_moderation_and_support_in_several_languages(seed_demo):
    seed_demo()

    workflows = Workflow.objects.all()
    assert workflows.count() >= 12
    assert set(workflows.values_list("kind", flat=True)) == {"moderation", "support"}
    assert len(set(workflows.values_list("language", flat=True))) >= 4
    areas = set(workflows.values_list("policy_area", flat=True))
    assert {"Hate speech", "Child safety", "Spam", "Billing", "Account recovery"} <= areas


@pytest.mark.django_db
def test_tickets_spread_over_the_last_eight_weeks_with_busier_and_quieter_vendors(seed_demo):
    seed_demo()
    now = timezone.now()

    tickets = Ticket.objects.filter(source=SOURCE)
    assert not tickets.filter(handled_at__gt=now).exists()
    assert not tickets.filter(handled_at__lt=now - dt.timedelta(weeks=8)).exists()
    for week in range(8):
        newest = now - dt.timedelta(weeks=week)
        assert tickets.filter(
            handled_at__lte=newest, handled_at__gt=newest - dt.timedelta(weeks=1)
        ).exists(), f"no tickets {week} weeks ago"

    per_vendor = sorted(
        tickets.values("vendor").annotate(n=Count("id")).values_list("n", flat=True)
    )
    assert len(per_vendor) >= 5
    assert per_vendor[-1] >= 2 * per_vendor[0]
    # Decisions fit the kind of work, and every ticket has a stable sample key.
    moderation = set(tickets.filter(workflow__kind="moderation").values_list("decision", flat=True))
    support = set(tickets.filter(workflow__kind="support").values_list("decision", flat=True))
    assert moderation <= {"remove", "keep", "escalate", "age_restrict"}
    assert support <= {"resolved", "refunded", "escalated"}
    assert tickets.filter(automated=True).exists() and tickets.filter(automated=False).exists()
    assert not tickets.filter(sample_key=0).exists()


@pytest.mark.django_db
def test_every_vendor_has_contract_targets_for_the_work_it_does(seed_demo):
    seed_demo()

    for vendor in Vendor.objects.all():
        worked = set(Ticket.objects.filter(vendor=vendor).values_list("workflow", flat=True))
        targets = ContractTarget.objects.filter(vendor=vendor)
        assert worked <= set(targets.values_list("workflow", flat=True)), vendor
    accuracy = ContractTarget.objects.filter(metric=ContractTarget.Metric.ACCURACY)
    critical = ContractTarget.objects.filter(metric=ContractTarget.Metric.CRITICAL_ERROR_RATE)
    assert accuracy.exists() and critical.exists()
    assert not accuracy.exclude(direction="at_least").exists()
    assert not accuracy.filter(target__lt="0.95").exists()
    assert not critical.exclude(direction="at_most").exists()
    assert not critical.filter(target__gt="0.02").exists()


@pytest.mark.django_db
def test_every_demo_login_is_printed_and_works_with_the_printed_password(seed_demo):
    printed = seed_demo()

    assert DEMO_PASSWORD in printed
    assert "Serving on http://127.0.0.1:8000" in printed
    for login in demo_logins():
        assert login.email in printed
        user = User.objects.get(email=login.email)
        assert user.role == login.role
        assert user.check_password(DEMO_PASSWORD)
        assert EmailAddress.objects.filter(
            user=user, email=login.email, verified=True, primary=True
        ).exists()
    admin = User.objects.get(email="admin@demo.qa")
    assert admin.is_staff and admin.is_superuser
    pocs = User.objects.filter(role=Role.VENDOR_POC)
    assert pocs.count() == Vendor.objects.count()
    vendor_ids = set(Vendor.objects.values_list("pk", flat=True))
    assert set(pocs.values_list("vendor", flat=True)) == vendor_ids


@pytest.mark.django_db
def test_the_demo_manager_logs_in_by_email_and_sees_the_program(seed_demo, client, settings):
    seed_demo()
    settings.SECURE_SSL_REDIRECT = False

    response = client.post(
        "/accounts/login/", {"login": "manager@demo.qa", "password": DEMO_PASSWORD}, follow=True
    )

    assert response.status_code == 200
    assert response.wsgi_request.user.email == "manager@demo.qa"
    assert "Acme Moderation" in response.content.decode()


@pytest.mark.django_db
def test_a_demo_vendor_poc_is_asked_to_set_up_an_authenticator_first(seed_demo, client, settings):
    seed_demo()
    settings.SECURE_SSL_REDIRECT = False

    response = client.post(
        "/accounts/login/", {"login": "poc@acme.demo.qa", "password": DEMO_PASSWORD}, follow=True
    )
    if response.wsgi_request.path == reverse("account_reauthenticate"):
        # allauth asks for the password once more before a security change.
        response = client.post(
            response.redirect_chain[-1][0], {"password": DEMO_PASSWORD}, follow=True
        )

    assert response.wsgi_request.path == reverse("mfa_activate_totp")
    assert response.status_code == 200
    assert client.get(reverse("vendors:vendor_list")).url == reverse("mfa_activate_totp")


@pytest.mark.django_db
def test_the_demo_is_not_seeded_into_a_non_debug_deployment_by_accident(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        call_command("seed_demo", tickets=10, stdout=io.StringIO())

    assert not User.objects.exists()


def test_the_ticket_generator_is_reproducible_apart_from_the_window_it_ends():
    monday = dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)
    later = monday + dt.timedelta(days=10)

    first = list(generate_tickets(300, end=monday))
    again = list(generate_tickets(300, end=monday))
    shifted = list(generate_tickets(300, end=later))

    assert first == again
    assert [t.external_id for t in first] == [f"DEMO-{n:07d}" for n in range(1, 301)]
    def identity(tickets):
        return [(t.external_id, t.agent, t.workflow, t.decision, t.policy_label) for t in tickets]

    assert identity(first) == identity(shifted)
    assert all(later - dt.timedelta(weeks=8) <= t.handled_at <= later for t in shifted)


# --- audit forms, sampling runs and scored audits (issue 4) ---------------------------------


@pytest.mark.django_db
def test_each_workflow_kind_has_a_published_scorecard_with_a_critical_question(seed_demo):
    seed_demo()

    for slug, kind in (("moderation-scorecard", "moderation"), ("support-scorecard", "support")):
        form = AuditForm.objects.get(slug=slug)
        version = form.versions.published().get()
        assert set(form.workflows.values_list("kind", flat=True)) == {kind}
        questions = version.questions.all()
        assert questions.filter(key="correct_action", critical=True).exists()
        assert questions.filter(key="escalation", na_allowed=True).exists()
        assert not questions.filter(error_category__isnull=True, kind="yes_no").exists()
    support = FormVersion.objects.published().get(form__slug="support-scorecard")
    assert set(support.questions.values_list("kind", flat=True)) >= {"scale", "choice"}
    every_workflow = set(Workflow.objects.values_list("pk", flat=True))
    assert set(AuditForm.objects.values_list("workflows", flat=True)) == every_workflow


@pytest.mark.django_db
def test_plans_have_past_runs_whose_audits_are_scored_by_the_one_scoring_function(seed_demo):
    seed_demo()

    daily = SamplingPlan.objects.get(name="Daily vendor × workflow")
    weekly = SamplingPlan.objects.get(name="Weekly site review")
    assert daily.runs.filter(status="done").count() == sampling_demo.DAILY_RUNS
    assert weekly.runs.filter(status="done").count() == sampling_demo.WEEKLY_RUNS
    assert set(daily.auditors.values_list("email", flat=True)) == {
        "auditor1@demo.qa", "auditor2@demo.qa", "auditor3@demo.qa"
    }
    scored = Audit.objects.filter(status__in=SCORED_STATUSES)
    assert scored.count() >= 500
    assert not Audit.objects.filter(unsampled=True).exists()
    assert scored.filter(critical_failed=True).exists()
    assert scored.filter(status="final").exists() and scored.filter(status="submitted").exists()
    for audit in scored.select_related("form_version").order_by("?")[:50]:
        result = score_audit(audit.form_version.to_spec(), audit.answers)
        assert (audit.passed, audit.critical_failed) == (result.passed, result.critical_failed)
        assert float(audit.score) == pytest.approx(result.score, abs=0.005)
        assert audit.error_categories == result.error_categories
        assert audit.sampled_ticket.completed_at == audit.submitted_at
        assert audit.events.filter(kind="submitted").exists()
        assert audit.history.exists()
    # The run report shows stratified estimates for an older run.
    report = run_report(daily.runs.order_by("window_start").first())
    assert report.accuracy is not None and 0.8 < report.accuracy.p <= 1


@pytest.mark.django_db
def test_every_demo_auditor_has_work_waiting_and_one_audit_in_progress(seed_demo):
    seed_demo()

    for auditor in User.objects.filter(role=Role.QA_AUDITOR):
        mine = Audit.objects.filter(auditor=auditor)
        assert mine.filter(status="assigned").exists(), auditor
        assert mine.filter(status="in_progress").count() == 1, auditor


@pytest.mark.django_db
def test_borealis_is_weaker_on_hate_speech_and_nairobi_improves(seed_demo):
    seed_demo(tickets=12_000)

    scored = Audit.objects.filter(status__in=SCORED_STATUSES)
    hate = Q(ticket__workflow__policy_area="Hate speech")
    borealis = Q(ticket__vendor__slug="borealis")

    def accuracy(audits) -> float:
        counts = audits.aggregate(n=Count("pk"), ok=Count("pk", filter=Q(passed=True)))
        return counts["ok"] / counts["n"]

    assert accuracy(scored.filter(hate & borealis)) < 0.9
    assert accuracy(scored.exclude(hate & borealis)) > 0.93
    now = timezone.now()
    nairobi = scored.filter(ticket__site__slug="nairobi")
    early = nairobi.filter(ticket__handled_at__lt=now - dt.timedelta(days=28))
    late = nairobi.filter(ticket__handled_at__gte=now - dt.timedelta(days=14))
    assert 1 - accuracy(early) > 1 - accuracy(late)
    # The truth the generator draws from, stated plainly.
    assert sampling_demo.fail_rate("borealis", "bogota", "Hate speech", 3) == 0.15
    assert sampling_demo.fail_rate("savanna", "nairobi", "Spam", 56) == pytest.approx(0.12)
    assert sampling_demo.fail_rate("savanna", "nairobi", "Spam", 0) == pytest.approx(0.04)
