"""`seed_demo` builds a believable program a new user can log into, with forms, sample runs
and scored audits showing real patterns, and running it again changes nothing.

The demo tells a story the scorecard pages must show: a weak vendor, an improving site and an
out-of-control week. Those tests read the seeded data through the pages' own functions
(``rollups.estimates.domain_outcomes``, ``scorecards.targets.verdict``, ``sampling.stats``),
never by pooling audits. The full demo is seeded once for all the tests that only read it
(``TestTheSeededDemo``) and rolled back after them.

The clock is frozen on a Monday that opens a month (and a year after ISO week 53): the day
when the current week and month hold no ticket yet, so the pages must open on the demo's
latest weeks, which end the day before the seed.
"""

import datetime as dt
import io
import re
from collections import Counter
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.core.management.color import no_style
from django.db import connection
from django.db.models import Count, F
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts import formats
from accounts.models import Role, User
from audit_forms.models import AuditForm, ErrorCategory, FormVersion
from audit_forms.scoring import score_audit
from audits.models import (
    SCORED_STATUSES,
    Audit,
    Dispute,
    DisputeDecision,
    DisputedQuestion,
    DisputeStatus,
)
from audits.reaudits.alignment import alignment
from audits.run_report import run_report
from coaching.actions import repeat_offenders
from coaching.effectiveness import coaching_report, effectiveness
from coaching.models import ActionStatus, CoachingAction, Level
from demo import coaching as coaching_demo
from demo import disputes as demo_disputes
from demo import reaudits as reaudits_demo
from demo import sampling as sampling_demo
from demo.people import DEMO_PASSWORD, demo_logins
from demo.story import demo_period, spike_week
from demo.taxonomy import TAXONOMY
from demo.tickets import SOURCE, generate_tickets, history_end
from rollups.assisted import assisted_outcomes
from rollups.estimates import Scope, domain_outcomes
from rollups.periods import Period, period_containing
from rollups.writer import rebuild_rollups
from sampling import stats
from sampling.models import SampledTicket, SampleRun, SamplingPlan
from scorecards.dispute_rates import dispute_rates
from scorecards.targets import BELOW, INCONCLUSIVE, MEETS, targets_in_effect, verdict
from tests.calibration.demo_checks import CalibrationDemoChecks
from tests.conftest import rows_for_every_test
from tests.rollups.rollup_helpers import counted_from_audits, stored_cells
from tests.vendor_qa.demo_checks import VendorQADemoChecks
from tickets.models import Ticket
from vendors.models import Agent, ContractTarget, Site, Vendor, Workflow

pytestmark = pytest.mark.slow(seconds=60)

SMALL = 600
SEEDED_ON = dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC)
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seed_demo(settings):
    """Run the command the way `make demo` does (DEBUG on); returns what it printed."""
    settings.DEBUG = True
    # The demo logins are hashed on each first run; a fast hasher keeps the suite quick.
    settings.PASSWORD_HASHERS = FAST_HASHER

    def run(tickets: int = SMALL) -> str:
        out = io.StringIO()
        call_command("seed_demo", tickets=tickets, stdout=out)
        return out.getvalue()

    return run


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


# --- seeding itself: each test starts from an empty database ------------------------------


@pytest.mark.django_db
def test_topping_up_adds_only_missing_tickets_and_seeding_again_changes_nothing(
    seed_demo, time_machine
):
    time_machine.move_to(SEEDED_ON, tick=False)
    seed_demo(tickets=400)
    early = dict(Ticket.objects.values_list("external_id", "handled_at"))

    seed_demo(tickets=SMALL)

    assert Ticket.objects.filter(source=SOURCE).count() == SMALL
    kept = Ticket.objects.filter(external_id__in=early)
    assert dict(kept.values_list("external_id", "handled_at")) == early
    first = row_counts()
    first_tickets = set(Ticket.objects.values_list("external_id", "agent_id", "decision"))

    seed_demo(tickets=SMALL)

    assert row_counts() == first
    assert set(Ticket.objects.values_list("external_id", "agent_id", "decision")) == first_tickets
    assert first["rollups.AuditCell"] > 0  # the rollups were rebuilt


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
        return [
            (t.external_id, t.agent, t.workflow, t.decision, t.policy_label, t.excerpt)
            for t in tickets
        ]

    assert identity(first) == identity(shifted)
    assert all(later - dt.timedelta(weeks=8) <= t.handled_at <= later for t in shifted)


def test_the_truth_the_generator_draws_from_is_stated_plainly():
    fail_rate = sampling_demo.fail_rate

    assert fail_rate("acme", "manila", "Spam", 3, 0) == 0.02
    assert fail_rate("lotus", "hyderabad", "Spam", 3, 0) == 0.04
    assert fail_rate("borealis", "bogota", "Hate speech", 3, 0) == 0.20
    assert fail_rate("savanna", "nairobi", "Spam", 56, 8) == pytest.approx(0.20)
    assert fail_rate("savanna", "nairobi", "Spam", 0, 0) == pytest.approx(0.03)
    assert fail_rate("kestrel", "krakow", "Hate speech", 24, 3) == 0.35
    assert fail_rate("kestrel", "krakow", "Hate speech", 10, 1) == 0.04
    assert fail_rate("kestrel", "lisbon", "Spam", 24, 3) == 0.04
    now = dt.datetime(2026, 11, 28, 9, tzinfo=dt.UTC)  # a Saturday
    assert sampling_demo.weeks_back(dt.datetime(2026, 11, 23, 0, 5, tzinfo=dt.UTC), now) == 0
    assert sampling_demo.weeks_back(dt.datetime(2026, 11, 8, 23, tzinfo=dt.UTC), now) == 3
    assert spike_week(now) == dt.date(2026, 11, 2)


# --- the seeded demo: one full seed, read by every test of the class -----------------------


@pytest.fixture(scope="class")
def seeded(django_db_setup, django_db_blocker):
    """The default demo, seeded once for the class inside a transaction rolled back after
    its last test (each test runs in a savepoint of it: ``rows_for_every_test``, which also
    checks the seed's deferred foreign keys once, not at every test's end), with the settings
    `make demo` has (DEBUG on; a fast hasher keeps the suite quick), on a clock frozen at
    ``SEEDED_ON`` for the seed and the class's tests. Returns what the command printed."""

    def seed() -> str:
        ids_as_on_a_fresh_database()
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        return out.getvalue()

    with (override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHER),
          time_machine.travel(SEEDED_ON, tick=False)):
        yield from rows_for_every_test(django_db_blocker, seed)


def ids_as_on_a_fresh_database() -> None:
    """Point every table's id sequence just past its rows. A PostgreSQL sequence does not go
    back when a test rolls back, so without this the seed's ids, and with them its samples
    (drawn by a hash of the seed and the ticket id), would depend on which tests ran earlier
    in this process; `make demo` seeds a fresh database, where the next id is max + 1."""
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), apps.get_models()):
            cursor.execute(statement)


def hate_speech_accuracy(period: Period) -> dict[str, stats.Estimate]:
    """Each vendor's accuracy on its hate-speech queue, as the scorecard reads it."""
    slugs = dict(Vendor.objects.values_list("pk", "slug"))
    return {
        slugs[vendor]: outcome.accuracy
        for workflow in Workflow.objects.filter(policy_area="Hate speech")
        for vendor, outcome in domain_outcomes(
            Scope(period, workflow=workflow.pk), by="vendor"
        ).items()
    }


def weekly_error_chart(scope: Scope) -> tuple[list[dt.date], list[float], list[float]]:
    """Weeks, weighted error rates and upper control limits of the scope's p-chart.

    Weighted estimates enter the chart as binomial counts of their effective size (rate ·
    n_eff out of n_eff; Korn & Graubard 1998), limits p̄ ± 3·sqrt(p̄(1-p̄)/n_i) (Montgomery
    2009, Introduction to Statistical Quality Control, §7.2.2)."""
    weeks = sorted(
        (week, outcome.accuracy)
        for week, outcome in domain_outcomes(scope, by="week").items()
        if outcome.accuracy is not None
    )
    sizes = [estimate.effective_n for _, estimate in weeks]
    rates = [1 - estimate.p for _, estimate in weeks]
    _, _, ucl = stats.p_chart([r * n for r, n in zip(rates, sizes, strict=True)], sizes)
    return [week for week, _ in weeks], rates, list(ucl)


@pytest.mark.django_db
@pytest.mark.usefixtures("seeded")
class TestTheSeededDemo(CalibrationDemoChecks, VendorQADemoChecks):
    """Every check of the seeded demo, one seed: the program's here, calibration's and vendor
    QA's inherited from their apps' test folders."""

    def test_the_seeded_cells_equal_a_count_by_hand_and_a_rebuild(self):
        """The demo's bulk-scored audits reach the scorecard cells as a submission would."""
        seeded = stored_cells()
        assert seeded, "the demo scores audits, so some cells must exist"
        assert stored_cells(drop_zero_categories=True) == counted_from_audits()
        rebuild_rollups()
        assert stored_cells() == seeded

    def test_the_demo_program_has_vendors_with_sites_around_the_world(self):
        assert Vendor.objects.count() >= 5
        sites = list(Site.objects.all())
        assert len({site.country for site in sites}) >= 3
        continents = {site.timezone.split("/")[0] for site in sites}
        assert len(continents) >= 3
        for site in sites:
            ZoneInfo(site.timezone)  # a real IANA zone, or this raises
        assert not Vendor.objects.annotate(n=Count("sites")).filter(n=0).exists()

    def test_hundreds_of_agents_are_known_only_by_pseudonymous_ids(self):
        assert Agent.objects.count() >= 300
        pattern = re.compile(r"^[A-Z]{3}-[A-Z]{3}-\d{4}$")
        external_ids = Agent.objects.values_list("external_id", flat=True)
        assert all(pattern.match(external_id) for external_id in external_ids)
        assert not Agent.objects.exclude(site__vendor=F("vendor")).exists()

    def test_workflows_cover_moderation_and_support_in_several_languages(self):
        workflows = Workflow.objects.all()
        assert workflows.count() >= 12
        assert set(workflows.values_list("kind", flat=True)) == {"moderation", "support"}
        assert len(set(workflows.values_list("language", flat=True))) >= 4
        areas = set(workflows.values_list("policy_area", flat=True))
        assert {"Hate speech", "Child safety", "Spam", "Billing", "Account recovery"} <= areas

    def test_tickets_cover_eight_weeks_up_to_yesterday_with_busier_and_quieter_vendors(self):
        today = dt.datetime.combine(timezone.now().date(), dt.time(0), tzinfo=dt.UTC)

        tickets = Ticket.objects.filter(source=SOURCE)
        assert tickets.count() >= 10_000
        assert history_end() == today
        assert not tickets.filter(handled_at__gte=today).exists()
        assert not tickets.filter(handled_at__lt=today - dt.timedelta(weeks=8)).exists()
        assert tickets.filter(handled_at__gte=today - dt.timedelta(days=1)).exists()
        for week in range(8):
            newest = today - dt.timedelta(weeks=week)
            assert tickets.filter(
                handled_at__lte=newest, handled_at__gt=newest - dt.timedelta(weeks=1)
            ).exists(), f"no tickets {week} weeks ago"

        per_vendor = sorted(
            tickets.values("vendor").annotate(n=Count("id")).values_list("n", flat=True)
        )
        assert len(per_vendor) >= 5
        assert per_vendor[-1] >= 2 * per_vendor[0]
        # Decisions fit the kind of work, and every ticket has a stable sample key.
        moderation = set(
            tickets.filter(workflow__kind="moderation").values_list("decision", flat=True)
        )
        support = set(tickets.filter(workflow__kind="support").values_list("decision", flat=True))
        assert moderation <= {"remove", "keep", "escalate", "age_restrict"}
        assert support <= {"resolved", "refunded", "escalated"}
        assert tickets.filter(automated=True).exists()
        assert tickets.filter(automated=False).exists()
        assert not tickets.filter(sample_key=0).exists()

    def test_every_vendor_has_a_contract_over_all_its_work_and_on_hate_speech(self):
        A, C = ContractTarget.Metric.ACCURACY, ContractTarget.Metric.CRITICAL_ERROR_RATE
        for vendor in Vendor.objects.all():
            overall = ContractTarget.objects.filter(vendor=vendor, workflow__isnull=True)
            assert set(overall.values_list("metric", "direction", "target")) == {
                (A, "at_least", Decimal("0.95")),
                (C, "at_most", Decimal("0.02")),
            }
            hate = set(
                Ticket.objects.filter(
                    vendor=vendor, workflow__policy_area="Hate speech"
                ).values_list("workflow", flat=True)
            )
            targets = ContractTarget.objects.filter(vendor=vendor, workflow__in=hate, metric=A)
            assert set(targets.values_list("workflow", flat=True)) == hate, vendor
        assert not ContractTarget.objects.filter(metric=A).exclude(direction="at_least").exists()
        assert not ContractTarget.objects.filter(metric=C).exclude(direction="at_most").exists()

    def test_every_demo_login_is_printed_and_works_with_the_printed_password(self, seeded):
        assert DEMO_PASSWORD in seeded
        assert "Serving on http://127.0.0.1:8000" in seeded
        for login in demo_logins():
            assert login.email in seeded
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

    def test_the_demo_manager_logs_in_by_email_and_sees_the_program(self, client, settings):
        settings.SECURE_SSL_REDIRECT = False

        response = client.post(
            "/accounts/login/",
            {"login": "manager@demo.qa", "password": DEMO_PASSWORD},
            follow=True,
        )

        assert response.status_code == 200
        assert response.wsgi_request.user.email == "manager@demo.qa"
        assert "Acme Moderation" in response.content.decode()

    def test_a_demo_vendor_poc_is_asked_to_set_up_an_authenticator_first(self, client, settings):
        settings.SECURE_SSL_REDIRECT = False

        response = client.post(
            "/accounts/login/",
            {"login": "poc@acme.demo.qa", "password": DEMO_PASSWORD},
            follow=True,
        )
        if response.wsgi_request.path == reverse("account_reauthenticate"):
            # allauth asks for the password once more before a security change.
            response = client.post(
                response.redirect_chain[-1][0], {"password": DEMO_PASSWORD}, follow=True
            )

        assert response.wsgi_request.path == reverse("mfa_activate_totp")
        assert response.status_code == 200
        assert client.get(reverse("vendors:vendor_list")).url == reverse("mfa_activate_totp")

    # --- audit forms, sampling runs and scored audits (issue 4) ----------------------------

    def test_each_workflow_kind_has_a_published_scorecard_with_a_critical_question(self):
        for slug, kind in (
            ("moderation-scorecard", "moderation"),
            ("support-scorecard", "support"),
        ):
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

    def test_plans_have_past_runs_whose_audits_are_scored_by_the_one_scoring_function(self):
        daily = SamplingPlan.objects.get(name="Daily vendor × workflow")
        weekly = SamplingPlan.objects.get(name="Weekly site review")
        assert daily.runs.filter(status="done").count() == sampling_demo.DAILY_RUNS
        assert weekly.runs.filter(status="done").count() == sampling_demo.WEEKLY_RUNS
        assert set(daily.auditors.values_list("email", flat=True)) == {
            "auditor1@demo.qa",
            "auditor2@demo.qa",
            "auditor3@demo.qa",
        }
        scored = Audit.objects.filter(status__in=SCORED_STATUSES)
        assert scored.count() >= 5000
        assert not Audit.objects.filter(unsampled=True).exists()
        assert scored.filter(critical_failed=True).exists()
        assert scored.filter(status="final").exists()
        assert scored.filter(status="submitted").exists()
        for audit in scored.select_related("form_version").order_by("?")[:50]:
            result = score_audit(audit.form_version.to_spec(), audit.answers)
            assert (audit.passed, audit.critical_failed) == (result.passed, result.critical_failed)
            assert float(audit.score) == pytest.approx(result.score, abs=0.005)
            assert audit.error_categories == result.error_categories
            assert audit.sampled_ticket.completed_at == audit.submitted_at
            assert audit.events.filter(kind="submitted").exists()
            assert audit.history.exists()
        # The run report shows stratified estimates for an older run.
        report = run_report(daily.runs.order_by("window_start")[1])
        assert report.accuracy is not None and 0.8 < report.accuracy.p <= 1

    def test_every_demo_auditor_has_work_waiting_and_one_audit_in_progress(self):
        for auditor in User.objects.filter(role=Role.QA_AUDITOR):
            mine = Audit.objects.filter(auditor=auditor)
            assert mine.filter(status="assigned").exists(), auditor
            assert mine.filter(status="in_progress").count() == 1, auditor

    # --- the story the pages tell ------------------------------------------------------------

    def test_every_week_of_every_vendor_has_enough_audits_for_an_interval(self):
        period = demo_period()
        for vendor in Vendor.objects.all():
            weeks = domain_outcomes(Scope(period, vendor=vendor.pk), by="week")
            full_weeks = [weeks[week] for week in period.weeks[1:-1]]
            assert all(outcome.audits >= 100 for outcome in full_weeks), vendor
            assert all(outcome.accuracy.margin < 0.1 for outcome in full_weeks), vendor

    def test_borealis_is_significantly_below_its_hate_speech_target_and_behind_the_rest(self):
        period = demo_period()
        borealis = Vendor.objects.get(slug="borealis")
        targets = [
            t
            for t in targets_in_effect(period, vendors=[borealis.pk])
            if t.workflow and t.workflow.policy_area == "Hate speech"
        ]
        assert targets

        for target in targets:
            outcome = domain_outcomes(
                Scope(period, vendor=borealis.pk, workflow=target.workflow_id)
            )[None]
            said = verdict(outcome.accuracy, float(target.target), target.direction)
            assert said.kind == BELOW
            assert said.text == "below target (significant at 95%)"
        # Every other vendor doing hate speech is significantly better at it.
        accuracy = hate_speech_accuracy(period)
        weak = accuracy.pop("borealis")
        assert len(accuracy) >= 3
        for vendor, estimate in accuracy.items():
            better = stats.compare_estimates(estimate, weak)
            assert better.significant and better.difference > 0, vendor

    def test_nairobi_makes_significantly_fewer_errors_now_than_eight_weeks_ago(self):
        nairobi = Site.objects.get(slug="nairobi")
        weeks = sorted(domain_outcomes(Scope(demo_period(), site=nairobi.pk), by="week"))
        early = Period("custom", weeks[0], weeks[2])
        recent = Period("custom", weeks[-3], weeks[-1])

        before = domain_outcomes(Scope(early, site=nairobi.pk))[None].accuracy
        after = domain_outcomes(Scope(recent, site=nairobi.pk))[None].accuracy
        change = stats.compare_estimates(after, before)

        assert change.significant
        assert change.difference > 0.05  # accuracy went up: fewer errors
        assert 1 - after.p < 0.1 < 1 - before.p

    def test_the_only_out_of_control_week_of_kestrel_is_the_week_of_the_missed_update(self):
        kestrel = Vendor.objects.get(slug="kestrel")
        spike = spike_week()

        weeks, rates, ucl = weekly_error_chart(Scope(demo_period(), vendor=kestrel.pk))

        flagged = [
            week for week, rate, limit in zip(weeks, rates, ucl, strict=True) if rate > limit
        ]
        assert flagged == [spike]
        assert len(weeks) >= 8
        # The errors that week are wrong policy labels at Kraków: the theme the gaps page shows.
        krakow = Site.objects.get(slug="krakow")
        themes = domain_outcomes(Scope(demo_period(), site=krakow.pk), by="week", categories=True)
        policy = {
            week: outcome.categories["policy-error"].p
            for week, outcome in themes.items()
            if outcome.enough
        }
        assert max(policy, key=policy.get) == spike
        assert policy[spike] > 0.2

    def test_the_contract_verdicts_show_a_met_a_missed_and_an_undecided_target(self):
        period = demo_period()
        verdicts = {}
        for target in targets_in_effect(period):
            outcome = domain_outcomes(
                Scope(period, vendor=target.vendor_id, workflow=target.workflow_id)
            )[None]
            estimate = outcome.metric(target.metric)
            key = (
                target.vendor.slug,
                target.workflow.slug if target.workflow else None,
                target.metric,
            )
            verdicts[key] = verdict(estimate, float(target.target), target.direction)

        kinds = {said.kind for said in verdicts.values()}
        assert kinds == {MEETS, BELOW, INCONCLUSIVE}
        # The strong vendor meets its contract over all its work.
        assert verdicts[("acme", None, "accuracy")].text == "meets target"
        undecided = [said for said in verdicts.values() if said.kind == INCONCLUSIVE]
        assert any(
            said.more_audits
            and re.fullmatch(r"inconclusive: need about [\d,]+ more audits", said.text)
            for said in undecided
        )

    def test_the_printed_story_names_what_to_look_at_and_the_login(self, seeded):
        story = " ".join(seeded[seeded.index("The story to look for") :].split())

        assert "Borealis Support" in story and "below target (significant at 95%)" in story
        assert "Nairobi" in story and "significant" in story
        assert "Kestrel Trust & Safety" in story
        assert f"week of Monday {formats.day(spike_week())}" in story
        assert "manager@demo.qa" in story and DEMO_PASSWORD in story
        assert seeded.index("Demo logins") < seeded.index("The story to look for")

    def test_every_page_the_story_links_to_opens_for_the_manager(self, seeded, client):
        client.force_login(User.objects.get(email="manager@demo.qa"))
        links = re.findall(r"^\s+(/scorecards/\S+)$", seeded, flags=re.MULTILINE)
        assert len(links) == 4

        for link in links:
            assert client.get(link).status_code == 200, link
        trends = client.get(
            next(link for link in links if "vendor=kestrel" in link and "/trends/" in link)
        ).content.decode()
        assert f"{spike_week():%G-W%V}" in trends and "out of control" in trends

    # --- a program that reads like a real one (issue 11) ---------------------------------------

    def test_tickets_read_as_cases_of_their_workflow_in_its_language(self):
        tickets = Ticket.objects.filter(source=SOURCE)
        texts = {}
        for slug, excerpt in tickets.values_list("workflow__slug", "excerpt"):
            texts.setdefault(slug, []).append(excerpt)

        assert set(texts) == set(Workflow.objects.values_list("slug", flat=True))
        for slug, excerpts in texts.items():
            assert all(excerpts), slug
            # Templates and word lists: many different cases, none repeated over and over.
            assert len(set(excerpts)) >= min(50, len(excerpts) // 2), slug
        most_repeated = max(Counter(e for many in texts.values() for e in many).values())
        assert most_repeated < tickets.count() / 100
        # Each workflow's texts are its own: a queue in another language shares none.
        assert not set(texts["hate-speech-es"]) & set(texts["hate-speech-en"])
        assert not set(texts["harassment-pt"]) & set(texts["harassment-en"])
        assert not set(texts["billing-es"]) & set(texts["billing-en"])
        assert all(re.search("[\u0900-\u097f]", e) for e in texts["misinformation-hi"])
        assert any("usuário" in e.lower() or "conta" in e for e in texts["harassment-pt"])
        assert any("cliente" in e for e in texts["billing-es"])
        assert any("counterfeit" in e for e in texts["spam-en"])

    def test_every_answer_in_error_carries_the_auditors_comment(self):
        failed = Audit.objects.filter(status__in=SCORED_STATUSES, passed=False)
        assert failed.count() >= 100

        for errors, comments in failed.values_list("errors", "comments"):
            assert errors
            for key in errors:
                assert 10 < len(comments.get(key, "")) <= 200, (key, comments)
        assert (
            not Audit.objects.filter(status__in=SCORED_STATUSES, passed=True, disputes__isnull=True)
            .exclude(comments={})
            .exists()
        )
        policy = [
            c["policy_label"]
            for c in failed.values_list("comments", flat=True)
            if "policy_label" in c
        ]
        assert any(
            re.fullmatch(r"Policy \d+\.\d+ \(.+\) applies, not .+ — .+\.", c) for c in policy
        )

    def test_errors_fall_into_a_taxonomy_of_trust_and_safety_categories_a_few_dominate(self):
        categories = set(ErrorCategory.objects.values_list("slug", flat=True))
        assert 10 <= len(categories) <= 15
        assert categories == {slug for _, slug, _, _ in TAXONOMY}
        asked = set()
        for version in FormVersion.objects.published():
            for question in version.to_spec().questions():
                asked |= {question.error_category} | {c.error_category for c in question.choices}
        assert categories <= asked

        counts = Counter()
        for found in Audit.objects.filter(status__in=SCORED_STATUSES).values_list(
            "error_categories", flat=True
        ):
            counts.update(found)
        assert set(counts) == categories
        shares = sorted((n / sum(counts.values()) for n in counts.values()), reverse=True)
        assert sum(shares[:3]) >= 0.5  # a few categories dominate
        assert shares[-1] < 0.05  # and a long tail
        assert counts.most_common(2)[0][0] in {"wrong-action", "policy-error"}

    def test_no_ticket_is_drawn_or_audited_twice_by_the_overlapping_plans(self):
        # Re-audits score a finalised audit's ticket again, by design: the rule is the
        # ticket samples' (docs/statistics.md, Re-audits).
        audits = Audit.objects.filter(reaudit_of__isnull=True)
        twice = audits.values("ticket").annotate(n=Count("id")).filter(n__gt=1)
        assert not twice.exists()
        drawn = (SampledTicket.objects.filter(run__plan__kind="tickets").values("ticket")
                 .annotate(n=Count("id")).filter(n__gt=1))
        assert not drawn.exists()
        across_runs = (
            audits.filter(sampled_ticket__isnull=False).values("ticket")
            .annotate(runs=Count("sampled_ticket__run", distinct=True)).filter(runs__gt=1)
        )
        assert not across_runs.exists()
        # Every run says what it left out; the plans' populations are disjoint, so nothing
        # was left out because of the other plan.
        runs = SampleRun.objects.all()
        assert not runs.filter(excluded_other_plans__isnull=True).exists()
        assert not runs.filter(excluded_other_plans__gt=0).exists()
        # Both plans draw every week, over the same weeks and vendors (the risk-weighted plan
        # is drawn on request only).
        plans = SamplingPlan.objects.filter(kind="tickets", selection="equal")
        weeks = {
            plan.name: set(plan.runs.values_list("window_start__date", flat=True)) for plan in plans
        }
        assert len(plans) == 2 and all(len(found) >= 8 for found in weeks.values())

    def test_the_newest_runs_kept_the_models_scores_so_the_latest_week_has_both_intervals(self):
        """The last week's runs were drawn after the built-in model scored the tickets: each
        vendor's scorecard of that week has the AI-assisted accuracy beside the classical one.
        The risk-weighted plan waits to be drawn, so no domain is left classical by it."""
        risk = SamplingPlan.objects.get(name=sampling_demo.RISK_WEIGHTED_PLAN["name"])
        assert risk.selection == "risk_weighted" and not risk.runs.exists()
        week = period_containing("week", (SEEDED_ON - dt.timedelta(days=1)).date())
        classical = domain_outcomes(Scope(week), by="vendor")
        assisted = assisted_outcomes(Scope(week), by="vendor")
        assert set(assisted) == set(classical) == set(Vendor.objects.values_list("pk", flat=True))
        for vendor, outcome in assisted.items():
            accuracy = outcome.rates["accuracy"]
            assert outcome.assisted_strata == outcome.strata > 0
            assert classical[vendor].accuracy is not None and accuracy.estimate.se > 0
            assert accuracy.extra_audits >= 0

    # --- disputes and coaching (issue 6) -----------------------------------------------------

    def test_vendor_pocs_have_open_overdue_and_resolved_disputes_of_every_decision(self):
        disputes = Dispute.objects.select_related("audit__ticket", "raised_by", "resolved_by")
        assert disputes.count() >= 12
        for dispute in disputes:
            assert dispute.raised_by.email == f"poc@{dispute.audit.ticket.vendor.slug}.demo.qa"
            assert dispute.raised_at <= window_closes_at_first_finalisation(dispute)
        assert len({dispute.audit.ticket.vendor_id for dispute in disputes}) >= 3
        open_ = [d for d in disputes if d.status == DisputeStatus.OPEN]
        assert 1 <= sum(d.overdue for d in open_) <= 2
        assert any(not d.overdue for d in open_)
        resolved = [d for d in disputes if d.status == DisputeStatus.RESOLVED]
        assert len(resolved) >= 8
        for dispute in resolved:
            assert dispute.resolved_by.email == "manager@demo.qa"
            assert dispute.resolved_by_id != dispute.audit.auditor_id
            assert dispute.audit.status == "final"
            assert dispute.audit.score == dispute.score_after
        decisions = set(
            DisputedQuestion.objects.exclude(decision="").values_list("decision", flat=True)
        )
        assert decisions == set(DisputeDecision.values)
        overturned = Dispute.objects.filter(questions__decision="overturned").first()
        assert overturned.score_after > overturned.score_before
        assert overturned.audit.events.filter(kind="rescored").exists()

    def test_one_question_is_overturned_more_than_any_other_a_calibration_signal(self):
        by_question = dispute_rates().by_question
        top = max(by_question, key=lambda rate: rate.overturned)

        assert top.key == demo_disputes.OFTEN_OVERTURNED
        assert top.overturned >= 4
        assert all(rate.overturned < top.overturned for rate in by_question if rate is not top)

    def test_coaching_actions_exist_in_every_state_at_agent_and_site_level(self):
        actions = CoachingAction.objects.all()
        assert set(actions.values_list("status", flat=True)) == set(ActionStatus.values)
        assert set(actions.values_list("level", flat=True)) >= {Level.AGENT, Level.SITE}
        assert actions.overdue().count() == 1
        for action in actions.filter(level=Level.AGENT):
            assert action.audits.exists()
            assert set(action.audits.values_list("ticket__agent", flat=True)) == {action.agent_id}
        for action in actions.exclude(owner=None):
            assert action.owner.vendor_id == action.vendor_id

    def test_the_coaching_that_worked_shows_a_significant_fall_in_its_theme(self):
        action = coaching_demo.improving_action()

        effect = effectiveness(action)

        assert effect.verdict == "improved (significant)"
        assert effect.after.rate.p < effect.before.rate.p
        assert effect.after.period.first > action.completed_at.date()
        # The figures are sampling.stats' comparison of the two stratified estimates.
        again = stats.compare_estimates(effect.after.rate, effect.before.rate)
        assert again.p_value == pytest.approx(effect.comparison.p_value)
        assert again.p_value < 0.05 and again.difference < 0
        report = dict(coaching_report(CoachingAction.objects.all()))
        assert report[action].verdict == effect.verdict
        verdicts = sorted(outcome.verdict for outcome in report.values())
        assert "no significant change" in verdicts, verdicts

    def test_an_agent_coached_twice_on_the_same_theme_is_a_repeat_offender(self):
        offenders = repeat_offenders()

        assert len(offenders) == 1
        agent = offenders[0].agent
        first, second = CoachingAction.objects.filter(agent=agent).order_by("opened_at")
        assert first.category == second.category == offenders[0].category
        assert first.status == "verified" and second.opened_at > first.completed_at

    def test_a_reaudit_run_grades_every_demo_auditor_and_one_drifts_from_the_others(
        self, client
    ):
        plan = SamplingPlan.objects.get(name=reaudits_demo.PLAN_NAME, kind="reaudit")
        run = plan.runs.get(status="done")
        reaudits = Audit.objects.filter(sampled_ticket__run=run).select_related("reaudit_of")
        auditors = set(User.objects.filter(role=Role.QA_AUDITOR).values_list("email", flat=True))
        assert reaudits.count() == run.sample_size >= 3 * 8
        assert set(reaudits.values_list("status", flat=True)) == {"submitted"}
        for reaudit in reaudits:
            assert reaudit.reaudit_of.status == "final"
            assert reaudit.auditor_id not in (None, reaudit.reaudit_of.auditor_id)
        rows = {row.email: row for row in alignment(run=run)}
        assert set(rows) == auditors
        drifting = rows.pop(reaudits_demo.DRIFTING)
        assert all(drifting.rate < row.rate for row in rows.values())
        assert drifting.worst_questions
        # The run page shows it on first login; the scorecards never count a re-audit.
        client.force_login(User.objects.get(email="manager@demo.qa"))
        page = client.get(reverse("sampling:run_detail", args=[run.pk])).content.decode()
        assert "Alignment per auditor" in page and reaudits_demo.DRIFTING in page
        assert reaudits_demo.seed()["re-audits"][0] == 0

    def test_seeding_disputes_and_coaching_again_adds_nothing(self):
        counts = (
            Dispute.objects.count(),
            DisputedQuestion.objects.count(),
            CoachingAction.objects.count(),
        )

        assert demo_disputes.seed()["disputes"][0] == 0
        assert coaching_demo.seed()["coaching actions"][0] == 0
        assert (
            Dispute.objects.count(),
            DisputedQuestion.objects.count(),
            CoachingAction.objects.count(),
        ) == counts

    def test_the_story_links_an_open_dispute_and_the_coaching_that_worked(self, seeded, client):
        story = seeded[seeded.index("The story to look for") :]
        dispute = demo_disputes.open_disputes().first()
        action = coaching_demo.improving_action()
        dispute_link = reverse("audits:dispute_detail", args=[dispute.pk])
        action_link = reverse("coaching:action_detail", args=[action.pk])
        assert re.search(rf"^\s+{re.escape(dispute_link)}$", story, flags=re.MULTILINE)
        assert re.search(rf"^\s+{re.escape(action_link)}$", story, flags=re.MULTILINE)
        assert "improved (significant)" in " ".join(story.split())

        client.force_login(User.objects.get(email="manager@demo.qa"))
        assert client.get(dispute_link).status_code == 200
        assert client.get(action_link).status_code == 200


def window_closes_at_first_finalisation(dispute) -> dt.datetime:
    """A dispute is raised inside the window of the audit's first finalisation (the
    resolution finalises the audit again, so the first FINALISED event is read)."""
    first = dispute.audit.events.filter(kind="finalised").order_by("at").first()
    return first.at + dt.timedelta(days=settings.DISPUTE_WINDOW_DAYS)
