"""Acme's March in numbers we can count by hand: 40 sampled tickets of hate speech (EN),
audited and finalised — 30 passed, 10 failed — from a stratum of 1,000 tickets; Borealis has
a ticket of its own that Acme must never reach."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from accounts.models import Role
from audits.lifecycle import finalise_audit, submit_audit
from rollups.writer import rebuild_rollups
from sampling.models import SampleStratum
from tests.audits.workspace_helpers import ALL_GOOD, published_form, sample_run
from tests.conftest import rows_for_every_test
from tests.factories import (
    AgentFactory,
    TicketFactory,
    UserFactory,
    enrol_totp,
)
from tests.people_and_places import two_vendors_people_and_places
from tests.rollups.rollup_helpers import MISSED_ESCALATION, sampled_audits

MARCH = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)  # a Tuesday: week of Monday 9 March
MARCH_WEEK = dt.date(2026, 3, 9)
MARCH_QUERY = {"period": "month", "date": "2026-03-01"}
POPULATION = 1000
PASSED, FAILED = 30, 10


@dataclass
class Program:
    tickets: list  # Acme's 40 audited tickets, the 30 we passed first
    stratum: int
    b_ticket: object
    # A program built once for a module (build_program) also holds its people and places,
    # which answered_from_the_program reads as program["manager"], program["vendor_a"], …
    people_and_places: dict = field(default_factory=dict)

    def __getitem__(self, name: str):
        return self.people_and_places[name]


@pytest.fixture(scope="module")
def program(django_db_setup, django_db_blocker):
    """Acme's March built once for a module (forty audits through the real lifecycle), for the
    modules that answer their people and places from it (``CONFTESTS_OWN``); the browser's
    module makes it anew for each test."""
    yield from rows_for_every_test(django_db_blocker, build_program)


def build_program() -> Program:
    """Acme's March for a module that builds it once (rows_for_every_test), with the people
    and places tests/conftest.py's fixtures make (tests/people_and_places.py)."""
    people = two_vendors_people_and_places()
    program = acme_march(
        *(people[name] for name in ("manager", "auditor", "site_a", "site_b", "workflow"))
    )
    program.people_and_places = people
    return program


def acme_march(manager, auditor, site_a, site_b, workflow) -> Program:
    """Acme's 40 audits, submitted and finalised, its rollups rebuilt; Borealis' one ticket."""
    published_form(workflow, by=manager)
    agent = AgentFactory(site=site_a, external_id="ACME-7")
    audits = sampled_audits(sample_run("Acme March"), auditor, workflow, agent,
                            [MARCH] * (PASSED + FAILED))
    for n, audit in enumerate(audits):
        submit_audit(audit, auditor, answers=ALL_GOOD if n < PASSED else MISSED_ESCALATION)
        finalise_audit(audit, manager)
    stratum = audits[0].sampled_ticket.stratum_id
    SampleStratum.objects.filter(pk=stratum).update(population=POPULATION)
    rebuild_rollups()
    b_agent = AgentFactory(site=site_b, external_id="BOR-1")
    b_ticket = TicketFactory(agent=b_agent, workflow=workflow, external_id="BOR-SECRET-1",
                             handled_at=MARCH)
    return Program([audit.ticket for audit in audits], stratum, b_ticket)


@pytest.fixture
def tickets(vendor_a, site_a, site_b, workflow) -> Program:
    """Tickets only (no audits), for the import's tests: four of Acme's, one of Borealis'."""
    agent = AgentFactory(site=site_a, external_id="ACME-7")
    own = [TicketFactory(agent=agent, workflow=workflow, handled_at=MARCH) for _ in range(4)]
    b_ticket = TicketFactory(agent=AgentFactory(site=site_b, external_id="BOR-1"),
                             workflow=workflow, external_id="BOR-SECRET-1", handled_at=MARCH)
    return Program(own, 0, b_ticket)


@pytest.fixture
def analyst_a(vendor_a):
    user = UserFactory(email="analyst@acme.example", role=Role.VENDOR_QA_ANALYST,
                       vendor=vendor_a)
    user.totp_secret = enrol_totp(user)
    return user


def csv_file(text: str, name: str = "acme-qa.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
