"""The busiest pages issue a fixed number of queries, however much data there is.

Every page costs the session and the user (2 queries); a vendor POC's pages also cost the
TOTP check (accounts.middleware) and their vendor for the menu (base.html): 2 more.
"""

import pytest

from tests.factories import (
    AgentFactory,
    ContractTargetFactory,
    SiteFactory,
    TicketFactory,
    VendorFactory,
    WorkflowFactory,
)

PAGES = [
    # path, queries for a manager, queries for a vendor POC
    # vendors with site/agent counts; ticket volume grouped by vendor
    ("/vendors/", 4, 6),
    # vendor; sites with agent counts; volume by site; by workflow; workflows; targets
    ("/vendors/acme/", 8, 10),
    # site; agents count (paginator); one page of agents; their volume
    ("/vendors/acme/sites/manila/", 6, 8),
    # tickets count (paginator); one page of tickets with vendor, site, agent, workflow
    ("/audits/tickets/", 4, 6),
]
# The manager's home is the program overview: tests/scorecards/test_overview.py counts it.


def grow(site_a, workflow, agents: int, vendors: int) -> None:
    """Add agents (and a ticket each) at Acme's Manila site, and whole other vendors."""
    for _ in range(agents):
        TicketFactory(agent=AgentFactory(site=site_a), workflow=workflow)
    for _ in range(vendors):
        vendor = VendorFactory()
        other_workflow = WorkflowFactory()
        ContractTargetFactory(vendor=site_a.vendor, workflow=other_workflow)
        for _ in range(2):
            site = SiteFactory(vendor=vendor)
            TicketFactory(agent=AgentFactory(site=site), workflow=other_workflow)
        TicketFactory(
            agent=AgentFactory(site=SiteFactory(vendor=site_a.vendor)), workflow=other_workflow
        )


@pytest.mark.parametrize("path,for_manager,for_poc", PAGES)
def test_busy_pages_cost_the_same_queries_with_more_data(
    client_as,
    django_assert_num_queries,
    manager,
    poc_a,
    program,
    site_a,
    workflow,
    path,
    for_manager,
    for_poc,
):
    viewers = [(manager, for_manager), (poc_a, for_poc)]
    viewers = [(user, n) for user, n in viewers if n is not None]
    for user, expected in viewers:
        client = client_as(user)
        with django_assert_num_queries(expected):
            assert client.get(path).status_code == 200

    grow(site_a, workflow, agents=120, vendors=5)

    for user, expected in viewers:
        client = client_as(user)
        with django_assert_num_queries(expected):
            response = client.get(path)
        assert response.status_code == 200


def test_the_site_page_shows_a_hundred_agents_at_a_time(
    client_as, manager, program, site_a, workflow
):
    grow(site_a, workflow, agents=150, vendors=0)

    page = client_as(manager).get("/vendors/acme/sites/manila/")

    assert len(page.context["agents"]) == 100
    assert page.context["page_obj"].paginator.count == 152
    assert sum(agent.ticket_count for agent in page.context["agents"]) >= 100
