"""A generated ticket population to draw from, and plans over it.

The population is a few thousand tickets over 3 vendors × 2 sites × 3 workflows with uneven
stratum sizes, written with one bulk_create; every ticket gets its real ``sample_key``.
"""

import datetime as dt
import random
import time
from dataclasses import dataclass

import pytest

from accounts.models import Role
from audits.models import Audit
from sampling.models import SampleRun, SamplingPlan
from sampling.population import Window
from tests.conftest import rows_for_every_test
from tests.factories import AgentFactory, SiteFactory, UserFactory, VendorFactory, WorkflowFactory
from tickets.models import Ticket
from tickets.population import sample_key
from vendors.models import Site, Vendor, Workflow

WINDOW = Window(dt.datetime(2026, 11, 2, tzinfo=dt.UTC), dt.datetime(2026, 11, 9, tzinfo=dt.UTC))


@dataclass
class Population:
    vendors: list
    sites: list
    workflows: list
    tickets: list[Ticket]

    def in_window(self, window: Window = WINDOW) -> list[Ticket]:
        return [t for t in self.tickets if window.start <= t.handled_at < window.end]


def make_population(size: int = 3000, seed: int = 20261102) -> Population:
    rng = random.Random(seed)
    vendors = [VendorFactory(name=f"Vendor {c}", slug=f"vendor-{c}") for c in "ABC"]
    sites = [SiteFactory(vendor=v, name=f"{v.name} site {i}") for v in vendors for i in (1, 2)]
    agents = {
        site.pk: [AgentFactory(site=site, vendor=site.vendor) for _ in range(3)] for site in sites
    }
    workflows = [WorkflowFactory(name=f"Workflow {c}", slug=f"wf-{c}") for c in "xyz"]
    # Uneven strata: vendor A does most of the work, workflow z is rare.
    site_weights = [6, 4, 3, 2, 1, 1]
    workflow_weights = [5, 3, 1]
    tickets = []
    for i in range(size):
        site = rng.choices(sites, site_weights)[0]
        workflow = rng.choices(workflows, workflow_weights)[0]
        external_id = f"T-{i:06d}"
        # Nine days around the 7-day test window, so some tickets fall outside it.
        handled_at = (
            WINDOW.start - dt.timedelta(days=1) + dt.timedelta(seconds=rng.randrange(9 * 86400))
        )
        tickets.append(
            Ticket(
                source="test",
                external_id=external_id,
                vendor=site.vendor,
                site=site,
                agent=rng.choice(agents[site.pk]),
                workflow=workflow,
                handled_at=handled_at,
                decision=rng.choice(["remove", "remove", "keep", "escalate"]),
                language=rng.choice(["en", "en", "es"]),
                automated=rng.random() < 0.2,
                sample_key=sample_key("test", external_id),
            )
        )
    tickets = Ticket.objects.bulk_create(tickets, batch_size=1000)
    return Population(vendors, sites, workflows, tickets)


@pytest.fixture(scope="module")
def module_population(django_db_setup, django_db_blocker) -> Population:
    """One population for all the tests of a module (rolled back after the last of them)."""
    yield from rows_for_every_test(django_db_blocker, make_population)


@pytest.fixture
def population(module_population, db) -> Population:
    """The module's population, its rows read afresh for each test: what a test changes in
    the database goes with the test's savepoint, and in these objects with the test."""
    def fresh(model, objects):
        return list(model.objects.filter(pk__in=[o.pk for o in objects]).order_by("pk"))

    return Population(
        vendors=fresh(Vendor, module_population.vendors),
        sites=fresh(Site, module_population.sites),
        workflows=fresh(Workflow, module_population.workflows),
        tickets=fresh(Ticket, module_population.tickets),
    )


def four_auditors() -> list:
    return [UserFactory(email=f"auditor{i}@example.com", role=Role.QA_AUDITOR) for i in range(1, 5)]


def sampling_plan(name: str, auditors=(), vendors=(), **fields) -> SamplingPlan:
    """A plan stratified by vendor and workflow unless told otherwise."""
    fields.setdefault("strata_keys", ["vendor", "workflow"])
    fields.setdefault("margin_of_error", "0.0500")
    fields.setdefault("expected_rate", "0.1000")
    plan = SamplingPlan.objects.create(name=name, **fields)
    plan.auditors.set(auditors)
    plan.vendors.set(vendors)
    return plan


@pytest.fixture
def auditors(db):
    return four_auditors()


@pytest.fixture
def make_plan(db):
    """``make_plan(**fields)``: ``sampling_plan``, named Plan 1, Plan 2, … unless told otherwise."""
    counter = iter(range(1, 1000))

    def make(auditors=(), vendors=(), **fields) -> SamplingPlan:
        fields.setdefault("name", f"Plan {next(counter)}")
        return sampling_plan(auditors=auditors, vendors=vendors, **fields)

    return make


def forget_run(run: SampleRun) -> None:
    """Delete ``run`` with its audits, strata and sampled tickets, as if it had never been
    drawn: a later draw over its window may then take its tickets again (a ticket drawn by
    any run is left out of every later population)."""
    Audit.objects.filter(sampled_ticket__run=run).delete()
    SampleRun.objects.filter(pk=run.pk).delete()


def wait_until_finished(run: SampleRun, seconds: float = 60) -> SampleRun:
    """Poll ``run`` until a worker has finished it (done or failed), at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.is_finished:
            break
        time.sleep(0.2)
    return run
