"""Two vendors with finalised audits in March 2026, for the partner portal tests.

Each vendor's audits are one stratum of its own sample run, with different populations and
outcomes, so vendor A's numbers, vendor B's and the program's all differ: a page showing the
wrong one would be caught.
"""

import datetime as dt
from dataclasses import dataclass

import pytest

from audits.lifecycle import finalise_audit, submit_audit
from audits.models import Audit
from rollups.writer import rebuild_rollups
from sampling.models import SampleStratum
from tests.audits.workspace_helpers import ALL_GOOD, published_form, sample_run
from tests.conftest import rows_for_every_test
from tests.factories import AgentFactory
from tests.people_and_places import two_vendors_people_and_places, vendor_poc
from tests.rollups.rollup_helpers import sampled_audits

MARCH = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
MARCH_QUERY = {"period": "month", "date": "2026-03-01"}
FAIL = {**ALL_GOOD, "escalation": "missed", "policy_cited": "fail"}
CRITICAL = {**ALL_GOOD, "right_action": "no"}
# What identifies vendor B (name, slug, site, agent, tickets): never on a page of A's POC.
B_AGENT = "BOR-AGENT-77"


@dataclass
class PortalWorld:
    a_audits: list[Audit]
    b_audits: list[Audit]
    a_submitted: Audit  # scored but not finalised: QA may still change it

    def b_markers(self, vendor_b, site_b) -> list[str]:
        return [
            vendor_b.name,
            vendor_b.slug,
            site_b.name,
            "Bogot",
            B_AGENT,
            *(audit.ticket.external_id for audit in self.b_audits),
        ]


def final_stratum(
    name, auditor, manager, workflow, agent, *, population, outcomes, finalise=True
) -> list[Audit]:
    """A stratum of ``population`` tickets of ``agent`` handled in March, whose audits are
    scored with ``outcomes`` (answer dicts) and finalised by ``manager``."""
    audits = sampled_audits(sample_run(name), auditor, workflow, agent, [MARCH] * len(outcomes))
    for audit, answers in zip(audits, outcomes, strict=True):
        submit_audit(audit, auditor, answers=answers)
        if finalise:
            finalise_audit(audit, manager)
    SampleStratum.objects.filter(pk=audits[0].sampled_ticket.stratum_id).update(
        population=population
    )
    return list(
        Audit.objects.filter(pk__in=[a.pk for a in audits]).select_related("ticket").order_by("pk")
    )


@pytest.fixture
def portal_world(manager, auditor, workflow, site_a, site_b, poc_a) -> PortalWorld:
    return build_portal_world(manager, auditor, workflow, site_a, site_b)


def build_portal_world(manager, auditor, workflow, site_a, site_b) -> PortalWorld:
    """Acme's March stratum and pending audit, Borealis's March stratum, and the rollups."""
    published_form(workflow, by=manager)
    a_agent = AgentFactory(site=site_a, external_id="ACME-AGENT-1")
    b_agent = AgentFactory(site=site_b, external_id=B_AGENT)
    a_audits = final_stratum(
        "Acme March",
        auditor,
        manager,
        workflow,
        a_agent,
        population=400,
        outcomes=[ALL_GOOD] * 11 + [FAIL, CRITICAL],
    )
    b_audits = final_stratum(
        "Borealis March",
        auditor,
        manager,
        workflow,
        b_agent,
        population=90,
        outcomes=[ALL_GOOD] * 6 + [FAIL] * 4 + [CRITICAL] * 2,
    )
    [a_submitted] = final_stratum(
        "Acme pending",
        auditor,
        manager,
        workflow,
        a_agent,
        population=10,
        outcomes=[ALL_GOOD],
        finalise=False,
    )
    rebuild_rollups()
    return PortalWorld(a_audits=a_audits, b_audits=b_audits, a_submitted=a_submitted)


def build_portal_program() -> dict:
    """The portal world for a module's ``program`` (built once, tests/conftest.py's
    ``rows_for_every_test``), with tests/conftest.py's people and places and ``poc_a``:
    ``PORTAL_PROGRAMS_OWN`` answers those fixtures from it."""
    program = two_vendors_people_and_places()
    program["poc_a"] = vendor_poc(program["vendor_a"])
    program["portal_world"] = build_portal_world(
        *(program[name] for name in ("manager", "auditor", "workflow", "site_a", "site_b"))
    )
    return program


@pytest.fixture(scope="module")
def program(django_db_setup, django_db_blocker):
    """The portal world built once for a module (its 26 audits go through the real lifecycle),
    for the modules that answer their people and places from it (``PORTAL_PROGRAMS_OWN``)."""
    yield from rows_for_every_test(django_db_blocker, build_portal_program)


PORTAL_PROGRAMS_OWN = (
    "manager", "auditor", "workflow", "vendor_a", "site_a", "vendor_b", "site_b", "poc_a",
    "portal_world",
)
