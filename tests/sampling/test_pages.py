"""Sampling pages as the people of the program use them: who may see what, the planner's
numbers, plan forms, and drawing a plan from its page."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from sampling import stats
from sampling.models import SampleRun, SamplingPlan
from tests.factories import AgentFactory, TicketFactory, UserFactory
from tickets.models import Ticket

PLANNER = reverse("sampling:planner")
POPULATION = reverse("sampling:planner_population")
CALCULATE = reverse("sampling:planner_calculate")


@pytest.fixture
def eager_draws(django_capture_on_commit_callbacks):
    """Run the on-commit enqueue that the test's transaction would otherwise hold back (tasks
    run in-process: tests/live_worker.py's autouse ``eager_tasks``).
    Returns ``draw(client, plan, **data)``: press "Draw now" and get the response."""

    def draw(client, plan, **data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("sampling:plan_draw", args=[plan.pk]), data)

    return draw


@pytest.fixture
def program(site_a, site_b, workflow):
    """Acme handled 300 tickets and Borealis 100 two days ago (inside "last 7 days")."""
    handled = timezone.now() - dt.timedelta(days=2)
    for site, count in ((site_a, 300), (site_b, 100)):
        agent = AgentFactory(site=site)
        tickets = TicketFactory.build_batch(
            count, agent=agent, workflow=workflow, handled_at=handled
        )
        Ticket.objects.bulk_create(tickets)
    return {"acme": site_a.vendor, "borealis": site_b.vendor, "workflow": workflow}


@pytest.fixture
def plan(program, auditor):
    plan = SamplingPlan.objects.create(
        name="Weekly hate speech",
        window_kind=SamplingPlan.WindowKind.LAST_7_DAYS,
        strata_keys=["vendor"],
        margin_of_error="0.0500",
        expected_rate="0.1000",
    )
    plan.workflows.set([program["workflow"]])
    plan.auditors.set([auditor])
    return plan


QUERY = {
    "confidence": "95",
    "margin": "5",
    "expected_rate": "10",
    "window_kind": "last_7_days",
    "window_timezone": "UTC",
    "automation": "any",
    "strata_keys": ["vendor"],
}


# --- who may see what -----------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, plan):
    detail = reverse("sampling:plan_detail", args=[plan.pk])
    for url in (PLANNER, reverse("sampling:plan_list"), detail):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_vendor_pocs_find_no_sampling_pages(client_as, poc_a, plan):
    run = SampleRun.objects.create(
        plan=plan,
        seed=1,
        window_start=timezone.now() - dt.timedelta(days=1),
        window_end=timezone.now(),
    )
    client = client_as(poc_a)
    for url in (
        PLANNER,
        POPULATION,
        reverse("sampling:plan_list"),
        reverse("sampling:plan_create"),
        reverse("sampling:plan_detail", args=[plan.pk]),
        reverse("sampling:plan_edit", args=[plan.pk]),
        reverse("sampling:run_detail", args=[run.pk]),
        reverse("sampling:run_status", args=[run.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("sampling:plan_draw", args=[plan.pk])).status_code == 404
    assert not SampleRun.objects.exclude(pk=run.pk).exists()


def test_auditors_can_look_but_not_change_or_draw(client_as, auditor, plan):
    client = client_as(auditor)

    assert client.get(reverse("sampling:plan_list")).status_code == 200
    assert client.get(reverse("sampling:plan_detail", args=[plan.pk])).status_code == 200
    assert client.get(PLANNER).status_code == 200
    assert client.get(reverse("sampling:plan_create")).status_code == 403
    assert client.post(reverse("sampling:plan_create"), {"name": "Mine"}).status_code == 403
    assert client.get(reverse("sampling:plan_edit", args=[plan.pk])).status_code == 403
    assert client.post(reverse("sampling:plan_draw", args=[plan.pk])).status_code == 403
    assert not SamplingPlan.objects.filter(name="Mine").exists()
    assert not plan.runs.exists()
    detail = client.get(reverse("sampling:plan_detail", args=[plan.pk])).content.decode()
    assert "Draw now" not in detail


# --- the planner -----------------------------------------------------------------------------


def test_the_planner_page_computes_the_plan_on_the_server_without_javascript(
    client_as, manager, program
):
    response = client_as(manager).get(PLANNER, QUERY)

    n = stats.sample_size(0.05, 0.95, 0.1, population=400)  # 400 tickets in the window
    html = response.content.decode()
    assert f'id="required-fpc">{n}<' in html
    assert f'id="required-n0">{stats.sample_size(0.05, 0.95, 0.1)}<' in html
    assert 'id="population-total">400<' in html
    plan = response.context["plan"]
    proportional = next(a for a in plan.allocations if a.method == "proportional")
    # Rounding 77.25 / 25.75 to whole audits leaves the stratified margin a hair above ± 5 %,
    # so the draw (and the planner) take one audit more than the simple-random-sample n.
    assert proportional.total == n + 1
    expected = stats.allocate({"acme": 300, "borealis": 100}, n + 1, "proportional")
    assert [s.sample for s in proportional.strata] == [expected["acme"], expected["borealis"]]
    assert proportional.overall_margin <= 0.05
    assert [s.label for s in proportional.strata] == ["Acme Moderation", "Borealis Support"]
    assert "n₀ = z² · p(1−p) / e²" in html


def test_a_first_visit_shows_a_plan_for_the_default_settings(client_as, manager, program):
    response = client_as(manager).get(PLANNER)

    assert response.context["plan"].population == 400
    assert response.context["plan"].margin == 0.05


def test_the_population_endpoint_counts_each_stratum(
    client_as, manager, program, django_assert_max_num_queries
):
    client = client_as(manager)
    query = {**QUERY, "strata_keys": ["vendor", "workflow"]}
    with django_assert_max_num_queries(5):  # session, user, one grouped count, two name lookups
        body = client.get(POPULATION, query).json()

    assert body["population"] == 400
    assert [(s["label"], s["population"]) for s in body["strata"]] == [
        ("Acme Moderation · Hate speech (EN)", 300),
        ("Borealis Support · Hate speech (EN)", 100),
    ]
    acme, workflow = program["acme"], program["workflow"]
    assert body["strata"][0]["key"] == f"vendor={acme.pk}|workflow={workflow.pk}"
    assert body["window"]["label"]


def test_the_population_endpoint_applies_the_filter(client_as, manager, program):
    body = client_as(manager).get(POPULATION, {**QUERY, "vendors": [program["borealis"].pk]}).json()

    assert body["population"] == 100
    assert [s["label"] for s in body["strata"]] == ["Borealis Support"]


def test_the_population_endpoint_names_the_bad_field(client_as, manager):
    response = client_as(manager).get(POPULATION, {**QUERY, "window_timezone": "Mars/Olympus"})

    assert response.status_code == 400
    message = response.json()["errors"]["window_timezone"][0]["message"]
    assert "not an IANA timezone name" in message


def calculate(client, **body):
    payload = {"confidence": "95", "margin": "5", "expected_rate": "10", **body}
    return client.post(CALCULATE, json.dumps(payload), content_type="application/json")


def test_the_calculate_endpoint_answers_with_the_statistics_modules_numbers(client_as, manager):
    strata = [
        {"key": "vendor=1", "label": "Acme", "population": 12_000},
        {"key": "vendor=2", "label": "Borealis", "population": 3_000},
    ]
    body = calculate(
        client_as(manager), confidence="99", margin="2.5", expected_rate="20", strata=strata
    ).json()["plan"]

    n = stats.sample_size(0.025, 0.99, 0.2, population=15_000)
    assert body["n_fpc"] == n
    assert body["n0"] == stats.sample_size(0.025, 0.99, 0.2)
    methods = {a["method"]: a for a in body["allocations"]}
    assert set(methods) == {"proportional", "neyman", "optimal", "equal", "each_stratum"}
    expected = stats.allocate({"1": 12_000, "2": 3_000}, n, "proportional")
    assert [s["sample"] for s in methods["proportional"]["strata"]] == list(expected.values())
    acme = methods["proportional"]["strata"][0]
    assert acme["margin"] == pytest.approx(
        stats.margin_of_error(expected["1"], 0.99, 0.2, population=12_000)
    )
    assert acme["weight"] == pytest.approx(0.8)


def test_the_calculate_endpoint_explains_bad_input(client_as, manager):
    client = client_as(manager)
    strata = [{"key": "vendor=1", "label": "Acme", "population": 100}]

    response = calculate(client, margin="0", strata=strata)
    assert response.status_code == 400
    assert "strictly between 0 and 100" in response.json()["errors"]["margin"][0]["message"]

    response = calculate(client, strata=[{"key": "vendor=1", "population": -3}])
    assert response.status_code == 400
    assert "stratum 1" in response.json()["errors"]["__all__"][0]["message"]

    two = [*strata, {"key": "vendor=2", "label": "Borealis", "population": 100}]
    response = calculate(client, strata=two, minimum="60", cap="100")
    assert response.status_code == 400
    assert "more than the cap" in response.json()["errors"]["__all__"][0]["message"]


def test_the_calculate_endpoint_needs_a_csrf_token(manager, program):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(manager, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(CALCULATE, "{}", content_type="application/json")

    assert response.status_code == 403


# --- plans -------------------------------------------------------------------------------


def plan_post(**overrides):
    data = {
        "name": "Daily moderation sample",
        "active": "on",
        "automation": "any",
        "window_kind": "last_7_days",
        "window_timezone": "Europe/Madrid",
        "strata_keys": ["vendor"],
        "confidence": "95",
        "margin_of_error": "5",
        "expected_rate": "10",
        "margin_applies_to": "overall",
        "allocation": "proportional",
        "minimum_per_stratum": "0",
        "audit_due_days": "3",
        "schedule": "manual",
    }
    data.update(overrides)
    return data


def test_a_manager_creates_a_plan_with_percentages_stored_as_proportions(
    client_as, manager, program
):
    response = client_as(manager).post(
        reverse("sampling:plan_create"),
        plan_post(vendors=[program["acme"].pk], stratum_costs="vendor=7: 2.5"),
    )

    plan = SamplingPlan.objects.get(name="Daily moderation sample")
    assert response.status_code == 302
    assert response["Location"] == reverse("sampling:plan_detail", args=[plan.pk])
    assert (plan.confidence, plan.margin_of_error, plan.expected_rate) == (
        Decimal("0.95"),
        Decimal("0.05"),
        Decimal("0.1"),
    )
    assert plan.created_by == manager
    assert list(plan.vendors.all()) == [program["acme"]]
    assert plan.stratum_costs == {"vendor=7": 2.5}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"margin_of_error": "0"}, "margin_of_error", "strictly between 0 and 100"),
        ({"confidence": "100"}, "confidence", "strictly between 0 and 100"),
        ({"window_timezone": "Europe/Atlantis"}, "window_timezone", "not an IANA timezone"),
        ({"schedule": "daily"}, "schedule_time", "Give the time of day to draw at."),
        ({"schedule": "cron", "schedule_cron": "every day"}, "schedule_cron", "five fields"),
        ({"stratum_costs": "vendor=1 two"}, "stratum_costs", "Line 1"),
        ({"stratum_costs": "site=1: 2"}, "stratum_costs", "does not stratify by"),
        ({"max_sample_size": "5", "minimum_per_stratum": "10"}, "max_sample_size", "below"),
    ],
)
def test_plan_form_explains_what_is_wrong(client_as, manager, overrides, field, message):
    response = client_as(manager).post(reverse("sampling:plan_create"), plan_post(**overrides))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field])
    assert "The plan was not saved" in response.content.decode()
    assert not SamplingPlan.objects.exists()


def test_a_site_outside_the_chosen_vendors_is_refused(client_as, manager, program, site_b):
    response = client_as(manager).post(
        reverse("sampling:plan_create"),
        plan_post(vendors=[program["acme"].pk], sites=[site_b.pk]),
    )

    assert "Borealis Support · Bogotá" in " ".join(response.context["form"].errors["sites"])


def test_the_planner_can_be_saved_as_a_plan(client_as, manager, program):
    response = client_as(manager).get(
        reverse("sampling:plan_create"), {**QUERY, "margin": "3", "confidence": "99"}
    )

    form = response.context["form"]
    assert form["margin_of_error"].value() == "3"
    assert form["confidence"].value() == "99"
    assert form["strata_keys"].value() == ["vendor"]


def test_a_manager_edits_a_plan_and_its_schedule_follows(client_as, manager, plan):
    response = client_as(manager).post(
        reverse("sampling:plan_edit", args=[plan.pk]),
        plan_post(name=plan.name, schedule="daily", schedule_time="06:30"),
    )

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.schedule == "daily"
    page = client_as(manager).get(reverse("sampling:plan_list")).content.decode()
    assert "Daily at 06:30 (Europe/Madrid)" in page


def test_the_plan_list_summarises_each_plan(
    client_as, auditor, plan, make_more_plans, django_assert_num_queries
):
    client = client_as(auditor)
    client.get(reverse("sampling:plan_list"))  # warm the session
    # session, user, plans with their last run, and one prefetch each for vendors, sites,
    # workflows, however many plans there are.
    with django_assert_num_queries(6):
        response = client.get(reverse("sampling:plan_list"))

    html = response.content.decode()
    assert "Weekly hate speech" in html
    assert "All vendors · Hate speech (EN) · last 7 days (ending yesterday) (UTC)" in html
    assert "never drawn" in html
    assert "± 5%" in html


@pytest.fixture
def make_more_plans(program):
    for i in range(3):
        more = SamplingPlan.objects.create(name=f"Extra {i}", strata_keys=["vendor", "site"])
        more.vendors.set([program["acme"]])


# --- drawing and the run report ---------------------------------------------------------------


def test_draw_now_creates_a_run_and_the_report_shows_its_strata(
    client_as, manager, plan, eager_draws
):
    client = client_as(manager)
    response = eager_draws(client, plan)

    run = plan.runs.get()
    assert response["Location"] == reverse("sampling:run_detail", args=[run.pk])
    assert run.requested_by == manager
    page = client.get(response["Location"])
    html = page.content.decode()
    report = page.context["report"]
    n = stats.sample_size(0.05, 0.95, 0.1, population=400)
    assert run.status == "done"
    assert [(s.label, s.population) for s in report.strata] == [
        ("Acme Moderation", 300),
        ("Borealis Support", 100),
    ]
    assert report.drawn == n + 1  # the planner's total for this population (see above)
    acme = report.strata[0]
    assert acme.weight == pytest.approx(0.75)
    assert acme.inclusion_probability == pytest.approx(acme.allocated / 300)
    assert acme.audits_done == 0
    assert "Audits done" in html
    assert "no audits yet" in html.lower()
    assert "Weekly hate speech" in html


def test_drawing_twice_shows_the_same_run(client_as, manager, plan, eager_draws):
    client = client_as(manager)
    first = eager_draws(client, plan)
    second = client.post(reverse("sampling:plan_draw", args=[plan.pk]), follow=True)

    assert plan.runs.count() == 1
    assert second.redirect_chain[-1][0] == first["Location"]
    assert "already drawn" in second.content.decode()


def test_an_additional_sample_is_a_new_run(client_as, manager, plan, eager_draws):
    client = client_as(manager)
    eager_draws(client, plan)
    eager_draws(client, plan, additional="1")

    assert plan.runs.count() == 2
    assert set(plan.runs.values_list("status", flat=True)) == {"done"}
    first, second = plan.runs.order_by("pk")
    drawn_first = set(first.sampled_tickets.values_list("ticket_id", flat=True))
    assert drawn_first.isdisjoint(second.sampled_tickets.values_list("ticket_id", flat=True))


def test_the_run_report_reads_in_a_fixed_number_of_queries(
    client_as, manager, plan, eager_draws, django_assert_num_queries
):
    plan.strata_keys = ["vendor", "site", "workflow"]
    plan.save()
    client = client_as(manager)
    url = eager_draws(client, plan)["Location"]
    client.get(url)
    # session, user, the run with its plan and requester, the strata with audits done, the
    # assignments not yet submitted and their count.
    with django_assert_num_queries(6):
        response = client.get(url)

    assert len(response.context["report"].strata) == 2


def test_a_queued_run_shows_progress_and_polls_its_status(client_as, auditor, plan):
    now = timezone.now()
    run = SampleRun.objects.create(
        plan=plan,
        seed=7,
        window_start=now - dt.timedelta(days=1),
        window_end=now,
        progress=25,
        progress_message="Allocating audits to strata",
    )
    client = client_as(auditor)

    html = client.get(reverse("sampling:run_detail", args=[run.pk])).content.decode()
    assert "Allocating audits to strata" in html
    assert "js/progress.js" in html
    assert '<progress id="job-bar" max="100" value="25"' in html
    status = client.get(reverse("sampling:run_status", args=[run.pk])).json()
    assert status == {
        "id": run.pk,
        "status": "queued",
        "status_label": "Queued",
        "finished": False,
        "progress": None,
        "percent": 25,
        "phase": "Allocating audits to strata",
        "text": "25% done",
        "failure_reason": "",
        "url": reverse("sampling:run_detail", args=[run.pk]),
    }


def test_a_failed_run_shows_its_reason(client_as, auditor, plan):
    now = timezone.now()
    run = SampleRun.objects.create(
        plan=plan,
        seed=7,
        window_start=now - dt.timedelta(days=1),
        window_end=now,
        status="failed",
        failure_reason="The minimum does not fit the cap.",
    )

    html = client_as(auditor).get(reverse("sampling:run_detail", args=[run.pk])).content.decode()

    assert "The minimum does not fit the cap." in html
    assert "js/progress.js" not in html


def test_admins_are_managers_here(client_as, plan):
    admin = UserFactory(email="admin@example.com", role=Role.ADMIN)

    assert client_as(admin).get(reverse("sampling:plan_create")).status_code == 200
