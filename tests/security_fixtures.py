"""A two-vendor program for the URL security walk (tests/test_url_security.py).

Vendor B ("Borealis Support") gets everything a vendor can own — a site, agents, tickets,
a contract target, sampled tickets and audits in every status a vendor may or may not see —
plus the internal data around it (a sampling plan and run, a published audit form, a ticket
import, audit events). Vendor A ("Acme Moderation") gets a smaller copy so its POC has
something of their own to see. Every identifying string is distinctive, so "does this page
mention vendor B?" is a plain substring search.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.contenttypes.models import ContentType

from accounts.models import Role
from audit_forms.models import ErrorCategory, FormVersion
from audits import lifecycle
from audits.models import Audit, AuditStatus
from sampling.models import SampledTicket, SampleRun
from tests.audits.workspace_helpers import ALL_GOOD, assign_tickets, published_form, sample_run
from tests.factories import (
    AgentFactory,
    ContractTargetFactory,
    SiteFactory,
    TicketFactory,
    UserFactory,
    enrol_totp,
)
from tickets.models import Ticket, TicketImport
from vendors.models import Agent, ContractTarget, Site, Vendor, Workflow

INTERNAL_NOTE_A = "QA-ONLY note on Acme: auditor suspects coaching gap"
INTERNAL_NOTE_B = "QA-ONLY note on Borealis: escalate to account lead"
FINALISE_REASON_A = "Lead sign-off reason kept in the QA trail"
PLAN_NAME = "Internal daily moderation plan"
IMPORT_NAME = "internal-weekly-upload.csv"

# Audit statuses built for each vendor, in the order the audits are created.
B_STATUSES = ("assigned", "in_progress", "submitted", "final", "disputed")
A_STATUSES = ("submitted", "final")


@dataclass
class VendorWorld:
    """One vendor's objects (every list in creation order)."""

    vendor: Vendor
    site: Site
    agents: list[Agent]
    tickets: list[Ticket]
    target: ContractTarget
    audits: dict[str, Audit] = field(default_factory=dict)
    sampled: list[SampledTicket] = field(default_factory=list)
    poc: object | None = None

    @property
    def final_audit(self) -> Audit:
        return self.audits["final"]


@dataclass
class World:
    a: VendorWorld
    b: VendorWorld
    workflow: Workflow
    version: FormVersion
    run: SampleRun
    ticket_import: TicketImport
    category: ErrorCategory
    manager: object
    auditor: object

    def b_identifiers(self) -> list[str]:
        """Strings that identify vendor B: none may appear on anything vendor A's POC sees."""
        b = self.b
        return [
            b.vendor.name,
            b.vendor.slug,
            b.site.name,
            "Bogot",
            *(agent.external_id for agent in b.agents),
            *(ticket.external_id for ticket in b.tickets),
        ]

    def internal_markers(self) -> list[str]:
        """Internal data no vendor user may ever be shown (notes, trail reasons, plans,
        uploads), whichever vendor it is about."""
        return [INTERNAL_NOTE_A, INTERNAL_NOTE_B, FINALISE_REASON_A, PLAN_NAME, IMPORT_NAME]


def _vendor_world(
    vendor,
    site,
    prefix: str,
    workflow,
    run,
    auditor,
    manager,
    statuses: tuple[str, ...],
    note: str,
    final_reason: str = "",
) -> VendorWorld:
    agents = [AgentFactory(site=site, external_id=f"{prefix}-AGENT-{n}") for n in (1, 2)]
    tickets = [
        TicketFactory(
            agent=agents[n % 2],
            workflow=workflow,
            external_id=f"{prefix}-TICKET-{n:03d}",
            excerpt=f"Reported post {n} handled by {prefix}.",
        )
        for n in range(len(statuses) + 1)  # one ticket more than audits: never sampled
    ]
    target = ContractTargetFactory(vendor=vendor, workflow=workflow)
    sampled = assign_tickets(run, tickets[: len(statuses)], auditor)
    lifecycle.open_assigned_audits(run)
    world = VendorWorld(vendor, site, agents, tickets, target, sampled=sampled)
    for status, assignment in zip(statuses, sampled, strict=True):
        audit = Audit.objects.get(sampled_ticket=assignment)
        if status == "in_progress":
            audit = lifecycle.start_audit(audit, auditor)
        elif status != "assigned":
            audit = lifecycle.submit_audit(audit, auditor, answers=ALL_GOOD, internal_note=note)
            if status in ("final", "disputed"):
                audit = lifecycle.finalise_audit(audit, manager, final_reason)
            if status == "disputed":
                audit = lifecycle.dispute_audit(audit, manager, "Vendor disagrees")
        assert audit.status == AuditStatus(status), (status, audit.status)
        world.audits[status] = audit
    return world


def build_world(*, vendor_a, site_a, vendor_b, site_b, workflow, manager, auditor, poc_a) -> World:
    """The whole program: both vendors, their POCs, one run sampling from both, audits."""
    version = published_form(workflow, by=manager)
    run = sample_run(PLAN_NAME)
    b = _vendor_world(
        vendor_b, site_b, "BOR", workflow, run, auditor, manager, B_STATUSES, INTERNAL_NOTE_B
    )
    SiteFactory(vendor=vendor_b, name="Borealis Cali", slug="cali")
    a = _vendor_world(
        vendor_a,
        site_a,
        "ACME",
        workflow,
        run,
        auditor,
        manager,
        A_STATUSES,
        INTERNAL_NOTE_A,
        FINALISE_REASON_A,
    )
    a.poc = poc_a
    b.poc = UserFactory(email="poc@borealis.example", role=Role.VENDOR_POC, vendor=vendor_b)
    enrol_totp(b.poc)
    upload = TicketImport.objects.create(
        file="ticket_imports/internal.csv", original_name=IMPORT_NAME, uploaded_by=manager
    )
    return World(
        a=a,
        b=b,
        workflow=workflow,
        version=version,
        run=run,
        ticket_import=upload,
        category=ErrorCategory.objects.get(slug="policy-error"),
        manager=manager,
        auditor=auditor,
    )


# ----- walking the URL configuration -------------------------------------------------------

# DRF's router adds a ".json"-style twin of every route; the twin shares its base's rule.
FORMAT_SUFFIX = r"\.(?P<format>[a-z0-9]+)/?$"
DRF_ROOT_SUFFIX = "<drf_format_suffix:format>"


@dataclass(frozen=True)
class Route:
    """One URL pattern as the project serves it: full route string and full name."""

    route: str
    name: str | None

    @property
    def rule_key(self) -> str:
        """The RULES entry that governs this route (format twins share their base's)."""
        if self.route.endswith(FORMAT_SUFFIX):
            return self.route[: -len(FORMAT_SUFFIX)] + "/$"
        if self.route.endswith(DRF_ROOT_SUFFIX):
            return self.route[: -len(DRF_ROOT_SUFFIX)]
        return self.route

    @property
    def has_format(self) -> bool:
        return self.route.endswith((FORMAT_SUFFIX, DRF_ROOT_SUFFIX))


def all_routes() -> list[Route]:
    """Every URL pattern of the project, walking includes (allauth, the DRF router, the
    admin) recursively, in resolution order."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(resolver, prefix: str, namespace: str | None):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                yield from walk(pattern, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                name = pattern.name
                if name and namespace:
                    name = f"{namespace}:{name}"
                yield Route(prefix + str(pattern.pattern), name)

    return list(walk(get_resolver(), "", None))


def url_of(route: Route, kwargs: dict) -> str:
    """The path that reaches ``route`` with ``kwargs``; checked to resolve to that very
    pattern, so a wrong fill cannot quietly test a neighbouring route instead."""
    import re

    from django.urls import resolve, reverse

    if route.has_format:
        kwargs = {**kwargs, "format": "json"}
    if route.name:
        path = reverse(route.name, kwargs=kwargs)
    else:  # the admin's unnamed "<path:object_id>/" redirects
        path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), route.route)
    resolved = resolve(path).route
    assert resolved == re.sub(r"(^|/)\^", r"\1", route.route), (
        f"{path} resolves to {resolved!r}, not to the route under test {route.route!r}"
    )
    return path


# ----- judging an answer --------------------------------------------------------------------


@dataclass(frozen=True)
class Expect:
    """An acceptable answer: one of ``statuses``; redirects must go to one of ``to``."""

    label: str
    statuses: frozenset[int]
    to: tuple[str, ...] = ()


def problem_with(response, expect: Expect, forbidden: list[str], b_vendor_pk: int) -> str | None:
    """Why ``response`` breaks ``expect`` or leaks a forbidden string, or (for JSON) a row
    whose ``vendor`` is vendor B's id — API rows carry ids, not names. None when fine.

    405 is always acceptable: a method a view does not take carries no data."""
    status = response.status_code
    if status not in expect.statuses and status != 405:
        return f"answered {status}, expected {expect.label}"
    if 300 <= status < 400 and expect.to:
        location = response["Location"]
        if not location.startswith(expect.to):
            return f"redirected to {location}, expected {expect.label}"
    body = b"".join(response) if response.streaming else response.content
    text = body.decode("utf-8", errors="replace")
    leaked = [s for s in forbidden if s in text]
    if leaked:
        return f"answered {status} containing {leaked}"
    if response.get("Content-Type", "").startswith("application/json") and body:
        rows = [row for row in _dicts(json.loads(body)) if row.get("vendor") == b_vendor_pk]
        if rows:
            return f"answered {status} with vendor B's rows: {rows[:2]}"
    return None


def _dicts(value):
    """Every JSON object nested anywhere in ``value``."""
    if isinstance(value, dict):
        yield value
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            yield from _dicts(item)


# ----- filling parameters -------------------------------------------------------------------


def uidb36(pk: int) -> str:
    from django.utils.http import int_to_base36

    return int_to_base36(pk)


def admin_fill(route: str) -> Callable[[World], list[dict]]:
    """Parameters for an admin route: vendor B's row (or an internal one) of its model."""
    parts = route.split("/")

    def fill(w: World) -> list[dict]:
        if "<path:content_type_id>" in route:
            vendor_type = ContentType.objects.get_for_model(w.b.vendor)
            return [{"content_type_id": vendor_type.pk, "object_id": w.b.vendor.pk}]
        if "(?P<app_label>" in route:
            return [{"app_label": "vendors"}]
        if "(?P<url>" in route:
            return [{"url": f"vendors/vendor/{w.b.vendor.pk}"}]
        if "<id>" in route:
            return [{"id": w.b.poc.pk}]
        if "<path:object_id>" in route:
            return [{"object_id": admin_object(w, parts[1], parts[2]).pk}]
        return [{}]

    return fill


def admin_object(w: World, app_label: str, model_name: str):
    model = apps.get_model(app_label, model_name)
    b_rows = {
        "vendor": w.b.vendor,
        "site": w.b.site,
        "agent": w.b.agents[0],
        "contracttarget": w.b.target,
        "ticket": w.b.tickets[0],
        "audit": w.b.audits["final"],
        "sampledticket": w.b.sampled[0],
        "user": w.b.poc,
    }
    row = b_rows.get(model_name) or model.objects.order_by("pk").first()
    if row is None:  # an empty table (e.g. groups): any id still exercises the route
        return type("Missing", (), {"pk": 1})()
    return row
