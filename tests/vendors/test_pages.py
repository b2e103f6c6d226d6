"""Vendor pages: vendor → sites → agents, and workflows, each seen through the viewer's
role. A vendor POC's view of the program is their own vendor, and nothing of others'."""

import pytest


def test_a_manager_drills_from_the_vendor_list_to_an_agent(client_as, manager, program):
    client = client_as(manager)

    vendors = client.get("/vendors/").context["vendors"]
    assert {(v.slug, v.site_count, v.agent_count, v.ticket_count) for v in vendors} == {
        ("acme", 1, 2, 3),
        ("borealis", 1, 2, 5),
    }

    page = client.get("/vendors/acme/")
    assert [(s.slug, s.agent_count, s.ticket_count) for s in page.context["sites"]] == [
        ("manila", 2, 3)
    ]
    assert page.context["ticket_total"] == 3
    assert [(w.slug, n) for w, n in page.context["workflows"]] == [("hate-speech-en", 3)]
    assert list(page.context["targets"]) == [program["target_a"]]
    assert 'href="/vendors/acme/sites/manila/"' in page.content.decode()

    page = client.get("/vendors/acme/sites/manila/")
    assert {(a.external_id, a.ticket_count) for a in page.context["agents"]} == {
        ("acme-1", 2),
        ("acme-2", 1),
    }
    agent = program["agent_a"]
    assert f'href="/vendors/acme/agents/{agent.pk}/"' in page.content.decode()

    page = client.get(f"/vendors/acme/agents/{agent.pk}/")
    assert page.status_code == 200
    assert [(w.slug, n) for w, n in page.context["workflows"]] == [("hate-speech-en", 2)]


def test_an_auditor_sees_every_vendor(client_as, auditor, program):
    client = client_as(auditor)

    assert {v.slug for v in client.get("/vendors/").context["vendors"]} == {"acme", "borealis"}
    assert client.get("/vendors/borealis/").status_code == 200


def test_workflows_show_volume_by_vendor_to_staff(client_as, manager, program):
    client = client_as(manager)

    [workflow] = client.get("/vendors/workflows/").context["workflows"]
    assert workflow.ticket_count == 8
    page = client.get("/vendors/workflows/hate-speech-en/")
    assert [(v.slug, n) for v, n in page.context["vendors"]] == [("acme", 3), ("borealis", 5)]


def test_a_vendor_poc_sees_only_their_vendor_in_the_list(client_as, poc_a, program):
    page = client_as(poc_a).get("/vendors/")

    assert [(v.slug, v.ticket_count) for v in page.context["vendors"]] == [("acme", 3)]
    assert "Borealis" not in page.content.decode()


def test_workflow_pages_count_only_the_vendor_pocs_own_tickets(client_as, poc_a, program):
    client = client_as(poc_a)

    [workflow] = client.get("/vendors/workflows/").context["workflows"]
    assert workflow.ticket_count == 3
    page = client.get("/vendors/workflows/hate-speech-en/")
    assert [(v.slug, n) for v, n in page.context["vendors"]] == [("acme", 3)]
    assert "Borealis" not in page.content.decode()


def test_a_vendor_poc_sees_their_own_sites_and_agents(client_as, poc_a, program):
    client = client_as(poc_a)

    assert client.get("/vendors/acme/").status_code == 200
    assert client.get("/vendors/acme/sites/manila/").status_code == 200
    assert client.get(f"/vendors/acme/agents/{program['agent_a'].pk}/").status_code == 200
    assert client.get(f"/audits/tickets/{program['ticket_a'].pk}/").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/vendors/borealis/",
        "/vendors/borealis/sites/bogota/",
        "/vendors/borealis/agents/{agent_b}/",
        # Another vendor's agent under one's own vendor's slug is no way in either.
        "/vendors/acme/agents/{agent_b}/",
        "/vendors/acme/sites/bogota/",
        "/audits/tickets/{ticket_b}/",
    ],
)
def test_a_vendor_poc_gets_404_for_another_vendors_pages(client_as, poc_a, program, path):
    path = path.format(agent_b=program["agent_b"].pk, ticket_b=program["ticket_b"].pk)

    assert client_as(poc_a).get(path).status_code == 404


def test_a_vendor_pocs_ticket_list_holds_only_their_tickets(client_as, poc_a, program):
    page = client_as(poc_a).get("/audits/tickets/")

    assert {t.vendor.slug for t in page.context["tickets"]} == {"acme"}
    assert len(page.context["tickets"]) == 3
    assert "Borealis" not in page.content.decode()


def test_a_site_slug_is_looked_up_within_its_vendor(client_as, manager, program):
    assert client_as(manager).get("/vendors/acme/sites/bogota/").status_code == 404
