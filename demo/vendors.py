"""The demo program's vendor side: vendors, sites, agents, workflows and contract targets.

``seed_demo`` calls :func:`seed` first; the ticket generator in ``demo.tickets`` reads the
same program description (``VENDORS``, ``WORKFLOWS``) so the population it draws matches
who works where and on what. Everything here is keyed on natural keys (slugs, agent
external ids), so seeding twice changes nothing.
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models, transaction
from django.utils import timezone

from vendors.models import Agent, ContractTarget, Site, Vendor, Workflow

# Seeds of the demo's random choices: fixed so every machine gets the same program.
AGENT_WORKLOAD_SEED = 2026


@dataclass(frozen=True)
class DemoSite:
    name: str
    slug: str
    country: str
    timezone: str
    agent_prefix: str  # pseudonymous agent ids look like "ACM-MNL-0042"
    agents: int
    workload: float  # share of the vendor's volume handled here (relative)
    workflows: tuple[str, ...]  # slugs of the workflows this site staffs


@dataclass(frozen=True)
class DemoVendor:
    name: str
    slug: str
    workload: float  # share of the program's volume (relative)
    sites: tuple[DemoSite, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class DemoWorkflow:
    name: str
    slug: str
    kind: str
    policy_area: str
    language: str
    workload: float  # how busy the queue is (relative)
    high_severity: bool = False  # stricter contract targets


MOD, SUP = Workflow.Kind.MODERATION, Workflow.Kind.SUPPORT

WORKFLOWS: tuple[DemoWorkflow, ...] = (
    DemoWorkflow("Hate speech (EN)", "hate-speech-en", MOD, "Hate speech", "en", 2.0),
    DemoWorkflow("Hate speech (ES)", "hate-speech-es", MOD, "Hate speech", "es", 1.2),
    DemoWorkflow(
        "Violent extremism (EN)",
        "violent-extremism-en",
        MOD,
        "Violent extremism",
        "en",
        0.4,
        high_severity=True,
    ),
    DemoWorkflow(
        "Child safety (EN)",
        "child-safety-en",
        MOD,
        "Child safety",
        "en",
        0.5,
        high_severity=True,
    ),
    DemoWorkflow("Harassment (EN)", "harassment-en", MOD, "Harassment", "en", 1.8),
    DemoWorkflow("Harassment (PT)", "harassment-pt", MOD, "Harassment", "pt", 0.7),
    DemoWorkflow("Harassment (PL)", "harassment-pl", MOD, "Harassment", "pl", 0.6),
    DemoWorkflow("Spam (EN)", "spam-en", MOD, "Spam", "en", 2.0),
    DemoWorkflow("Misinformation (EN)", "misinformation-en", MOD, "Misinformation", "en", 1.0),
    DemoWorkflow("Misinformation (HI)", "misinformation-hi", MOD, "Misinformation", "hi", 0.9),
    DemoWorkflow("Billing (EN)", "billing-en", SUP, "Billing", "en", 1.5),
    DemoWorkflow("Billing (ES)", "billing-es", SUP, "Billing", "es", 0.8),
    DemoWorkflow(
        "Account recovery (EN)", "account-recovery-en", SUP, "Account recovery", "en", 1.0
    ),
    DemoWorkflow("Appeals (EN)", "appeals-en", SUP, "Appeals", "en", 0.6),
)

VENDORS: tuple[DemoVendor, ...] = (
    DemoVendor(
        "Acme Moderation",
        "acme",
        0.32,
        (
            DemoSite(
                "Manila",
                "manila",
                "PH",
                "Asia/Manila",
                "ACM-MNL",
                150,
                0.65,
                (
                    "hate-speech-en",
                    "harassment-en",
                    "spam-en",
                    "violent-extremism-en",
                    "child-safety-en",
                    "misinformation-en",
                ),
            ),
            DemoSite(
                "Cebu",
                "cebu",
                "PH",
                "Asia/Manila",
                "ACM-CEB",
                80,
                0.35,
                (
                    "spam-en",
                    "billing-en",
                    "account-recovery-en",
                    "appeals-en",
                ),
            ),
        ),
    ),
    DemoVendor(
        "Borealis Support",
        "borealis",
        0.22,
        (
            DemoSite(
                "Bogotá",
                "bogota",
                "CO",
                "America/Bogota",
                "BOR-BOG",
                90,
                0.7,
                (
                    "hate-speech-es",
                    "billing-es",
                    "spam-en",
                ),
            ),
            DemoSite(
                "Austin",
                "austin",
                "US",
                "America/Chicago",
                "BOR-AUS",
                40,
                0.3,
                (
                    "child-safety-en",
                    "violent-extremism-en",
                    "appeals-en",
                    "account-recovery-en",
                ),
            ),
        ),
    ),
    DemoVendor(
        "Kestrel Trust & Safety",
        "kestrel",
        0.20,
        (
            DemoSite(
                "Kraków",
                "krakow",
                "PL",
                "Europe/Warsaw",
                "KES-KRK",
                70,
                0.6,
                (
                    "harassment-pl",
                    "hate-speech-en",
                    "misinformation-en",
                ),
            ),
            DemoSite(
                "Lisbon",
                "lisbon",
                "PT",
                "Europe/Lisbon",
                "KES-LIS",
                50,
                0.4,
                (
                    "harassment-pt",
                    "billing-en",
                    "spam-en",
                ),
            ),
        ),
    ),
    DemoVendor(
        "Savanna Contact Solutions",
        "savanna",
        0.14,
        (
            DemoSite(
                "Nairobi",
                "nairobi",
                "KE",
                "Africa/Nairobi",
                "SAV-NBO",
                60,
                1.0,
                (
                    "harassment-en",
                    "spam-en",
                    "misinformation-en",
                    "account-recovery-en",
                ),
            ),
        ),
    ),
    DemoVendor(
        "Lotus Digital Services",
        "lotus",
        0.12,
        (
            DemoSite(
                "Hyderabad",
                "hyderabad",
                "IN",
                "Asia/Kolkata",
                "LOT-HYD",
                60,
                1.0,
                (
                    "misinformation-hi",
                    "spam-en",
                    "billing-en",
                    "hate-speech-en",
                ),
            ),
        ),
    ),
)


def agent_ids(site: DemoSite) -> list[str]:
    """The site's pseudonymous agent ids, e.g. ``ACM-MNL-0001`` … ``ACM-MNL-0150``."""
    return [f"{site.agent_prefix}-{n:04d}" for n in range(1, site.agents + 1)]


def agent_workloads(site: DemoSite) -> list[float]:
    """Relative productivity of each of the site's agents (same order as ``agent_ids``).

    Log-normal, as handle counts per agent usually are: most agents near the median, a
    few doing two or three times as much. Seeded per site so it never changes.
    """
    rng = random.Random(f"{AGENT_WORKLOAD_SEED}:{site.agent_prefix}")
    return [rng.lognormvariate(0.0, 0.6) for _ in range(site.agents)]


def upsert(model: type[models.Model], lookup: dict, values: dict) -> tuple[models.Model, bool]:
    """Get the row matching ``lookup`` or create it with ``values``; save an existing row
    only if a value differs, so a re-seed writes nothing (and leaves no history) when the
    demo is already in place. Returns ``(row, created)``."""
    row, created = model.objects.get_or_create(**lookup, defaults=values)
    if not created:
        changed = [name for name, value in values.items() if getattr(row, name) != value]
        if changed:
            for name in changed:
                setattr(row, name, values[name])
            row.save(update_fields=changed)
    return row, created


Target = tuple[str | None, str, str, Decimal]  # (workflow slug or None = all, metric, ...)


def contract_targets(staffed: list[DemoWorkflow]) -> list[Target]:
    """(workflow slug or None, metric, direction, target) a vendor signs up to.

    Every vendor: accuracy at least 95 % and critical errors at most 2 % over all its work;
    on each hate-speech queue it staffs, accuracy at least 95 % on its own (the area the
    trust-and-safety team watches most); on each high-severity queue, critical errors at
    most 1 %, where one wrong decision costs the most.
    """
    A, C = ContractTarget.Metric.ACCURACY, ContractTarget.Metric.CRITICAL_ERROR_RATE
    at_least, at_most = ContractTarget.Direction.AT_LEAST, ContractTarget.Direction.AT_MOST
    targets: list[Target] = [
        (None, A, at_least, Decimal("0.9500")),
        (None, C, at_most, Decimal("0.0200")),
    ]
    for workflow in staffed:
        if workflow.policy_area == "Hate speech":
            targets.append((workflow.slug, A, at_least, Decimal("0.9500")))
        if workflow.high_severity:
            targets.append((workflow.slug, C, at_most, Decimal("0.0100")))
    return targets


def contract_start(today: dt.date) -> dt.date:
    """Contracts in the demo started on 1 January of the year the 8-week window opens."""
    return dt.date((today - dt.timedelta(weeks=8)).year, 1, 1)


@transaction.atomic
def seed() -> dict[str, tuple[int, int]]:
    """Create the demo's vendors, sites, agents, workflows and contract targets.

    Returns ``{label: (created now, total)}`` for the command's summary.
    """
    created = dict.fromkeys(["vendors", "sites", "agents", "workflows", "contract targets"], 0)

    workflows: dict[str, Workflow] = {}
    for spec in WORKFLOWS:
        workflows[spec.slug], new = upsert(
            Workflow,
            {"slug": spec.slug},
            {
                "name": spec.name,
                "kind": spec.kind,
                "policy_area": spec.policy_area,
                "language": spec.language,
                "active": True,
            },
        )
        created["workflows"] += new
    by_slug = {spec.slug: spec for spec in WORKFLOWS}

    start = contract_start(timezone.localdate())
    for vendor_spec in VENDORS:
        vendor, new = upsert(
            Vendor, {"slug": vendor_spec.slug}, {"name": vendor_spec.name, "active": True}
        )
        created["vendors"] += new
        existing = set(vendor.agents.values_list("external_id", flat=True))
        for site_spec in vendor_spec.sites:
            site, new = upsert(
                Site,
                {"vendor": vendor, "slug": site_spec.slug},
                {
                    "name": site_spec.name,
                    "country": site_spec.country,
                    "timezone": site_spec.timezone,
                    "active": True,
                },
            )
            created["sites"] += new
            missing = [
                Agent(vendor=vendor, site=site, external_id=external_id)
                for external_id in agent_ids(site_spec)
                if external_id not in existing
            ]
            Agent.objects.bulk_create(missing, batch_size=1000)
            created["agents"] += len(missing)

        staffed = sorted({slug for site_spec in vendor_spec.sites for slug in site_spec.workflows})
        kept = []
        for slug, metric, direction, target in contract_targets([by_slug[s] for s in staffed]):
            row, new = upsert(
                ContractTarget,
                {"vendor": vendor, "workflow": workflows[slug] if slug else None, "metric": metric},
                {
                    "direction": direction,
                    "target": target,
                    "effective_from": start,
                    "effective_to": None,
                },
            )
            kept.append(row.pk)
            created["contract targets"] += new
        # A demo seeded by an older version may hold targets the contract no longer has.
        vendor.targets.exclude(pk__in=kept).delete()

    totals = {
        "vendors": Vendor.objects.count(),
        "sites": Site.objects.count(),
        "agents": Agent.objects.count(),
        "workflows": Workflow.objects.count(),
        "contract targets": ContractTarget.objects.count(),
    }
    return {label: (created[label], totals[label]) for label in created}
