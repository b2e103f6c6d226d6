"""A two-vendor program for the vendor pages and API: Acme (one site, two agents, three
tickets) and Borealis (one site, two agents, five tickets), on one shared workflow."""

import pytest

from tests.factories import AgentFactory, ContractTargetFactory, TicketFactory


@pytest.fixture
def program(site_a, site_b, workflow):
    agent_a = AgentFactory(site=site_a, external_id="acme-1")
    other_a = AgentFactory(site=site_a, external_id="acme-2")
    agent_b = AgentFactory(site=site_b, external_id="borealis-1")
    other_b = AgentFactory(site=site_b, external_id="borealis-2")
    tickets_a = [TicketFactory(agent=agent_a, workflow=workflow) for _ in range(2)]
    TicketFactory(agent=other_a, workflow=workflow)
    tickets_b = [TicketFactory(agent=agent_b, workflow=workflow) for _ in range(3)]
    tickets_b += [TicketFactory(agent=other_b, workflow=workflow) for _ in range(2)]
    return {
        "agent_a": agent_a,
        "agent_b": agent_b,
        "ticket_a": tickets_a[0],
        "ticket_b": tickets_b[0],
        "target_a": ContractTargetFactory(vendor=site_a.vendor, workflow=workflow),
        "target_b": ContractTargetFactory(vendor=site_b.vendor, workflow=workflow),
    }
