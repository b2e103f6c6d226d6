"""The demo program's ticket population: tens of thousands of tickets over the 8 weeks up to
yesterday (``history_end``).

The generator is pure and seeded: ticket number ``i`` always gets the same external id,
vendor, site, agent, workflow, decision and labels, so seeding twice inserts nothing new
(``bulk_create(ignore_conflicts=True)`` on the (source, external_id) constraint) and
asking for more tickets later only adds the missing ones. Only ``handled_at`` depends on
when the seed runs, because the window ends at the start of the seed's day (UTC). Each
ticket reads as a real case: ``demo.excerpts`` writes its summary.

The skew is what a real program looks like: some vendors, sites, workflows and agents are
busier than others, volume follows the site's local working day and week, and each kind of
workflow has its own mix of decisions and policy labels.
"""

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import accumulate, islice
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from demo.excerpts import ticket_excerpt
from demo.vendors import (
    VENDORS,
    WORKFLOWS,
    DemoSite,
    DemoVendor,
    DemoWorkflow,
    agent_ids,
    agent_workloads,
)
from tickets.models import Ticket
from tickets.population import sample_key
from vendors.models import Agent, Site, Vendor, Workflow

SOURCE = "demo"
TICKET_SEED = 20260
WINDOW_DAYS = 56  # the last 8 weeks
BATCH_SIZE = 5000
DEFAULT_TICKETS = 40_000

# Relative volume by local hour (0-23). Moderation runs around the clock with a daytime
# peak; support queues follow business hours.
MODERATION_HOURS = (
    0.35,
    0.3,
    0.25,
    0.25,
    0.3,
    0.4,
    0.55,
    0.75,
    0.9,
    1.0,
    1.0,
    1.0,
    0.95,
    1.0,
    1.0,
    1.0,
    0.95,
    0.9,
    0.85,
    0.8,
    0.75,
    0.65,
    0.55,
    0.45,
)
SUPPORT_HOURS = (
    0.05,
    0.04,
    0.03,
    0.03,
    0.04,
    0.08,
    0.2,
    0.5,
    0.85,
    1.0,
    1.0,
    1.0,
    0.9,
    1.0,
    1.0,
    0.95,
    0.9,
    0.75,
    0.5,
    0.3,
    0.2,
    0.12,
    0.08,
    0.06,
)
# Relative volume by local weekday, Monday first.
MODERATION_DAYS = (1.0, 1.05, 1.0, 1.0, 0.95, 0.7, 0.6)
SUPPORT_DAYS = (1.0, 1.0, 1.0, 1.0, 0.9, 0.35, 0.25)

MODERATION_DECISIONS = {"remove": 0.36, "keep": 0.45, "escalate": 0.07, "age_restrict": 0.12}
DECISIONS_BY_AREA = {
    "Child safety": {"remove": 0.62, "keep": 0.18, "escalate": 0.20},
    "Violent extremism": {"remove": 0.55, "keep": 0.30, "escalate": 0.15},
    "Spam": {"remove": 0.70, "keep": 0.27, "escalate": 0.03},
    "Billing": {"resolved": 0.74, "refunded": 0.16, "escalated": 0.10},
    "Account recovery": {"resolved": 0.85, "escalated": 0.15},
    "Appeals": {"resolved": 0.80, "escalated": 0.20},
}
NO_VIOLATION = "no_violation"
POLICY_LABELS = {
    "Hate speech": ("slur", "dehumanisation", "protected_group_attack", "hateful_symbol"),
    "Violent extremism": ("praise", "recruitment", "propaganda"),
    "Child safety": ("grooming", "sexualisation", "minor_endangerment"),
    "Harassment": ("insult", "threat", "doxxing", "brigading"),
    "Spam": ("commercial", "scam", "fake_engagement"),
    "Misinformation": ("health", "civic", "manipulated_media"),
    "Billing": ("double_charge", "refund_request", "invoice_question", "failed_payment"),
    "Account recovery": ("lost_2fa", "compromised", "forgotten_email"),
    "Appeals": ("content_removal", "account_suspension"),
}
AUTOMATED_SHARE = {"Spam": 0.35, "moderation": 0.06, "support": 0.02}
CHANNELS = {
    "moderation": {"post": 0.4, "comment": 0.3, "message": 0.12, "profile": 0.08, "video": 0.1},
    "support": {"email": 0.35, "chat": 0.4, "phone": 0.15, "web_form": 0.1},
}
MEDIAN_HANDLE_SECONDS = {"moderation": 45, "support": 420}


@dataclass(frozen=True)
class DemoTicket:
    """One generated ticket, named by natural keys so it can be built without a database."""

    external_id: str
    vendor: str
    site: str
    agent: str
    workflow: str
    handled_at: dt.datetime
    decision: str
    policy_label: str
    language: str
    channel: str
    automated: bool
    handle_seconds: int
    excerpt: str


def history_end(now: dt.datetime | None = None) -> dt.datetime:
    """Where the demo's ticket history ends: midnight UTC that began today, so it runs up to
    the day before the seed and the latest weeks hold data whatever the date."""
    today = (now or timezone.now()).astimezone(dt.UTC).date()
    return dt.datetime.combine(today, dt.time(0), tzinfo=dt.UTC)


def _cumulative(weights) -> list[float]:
    return list(accumulate(weights))


def _label_weights(n: int) -> list[float]:
    """The first label of an area is the most common, as in any real label distribution."""
    return _cumulative(1 / (rank + 1) for rank in range(n))


class _Slots:
    """Cumulative weights over every (local day, hour) of the window for one site timezone
    and workflow kind, so a ticket's time is one weighted draw."""

    def __init__(self, zone: str, kind: str, end: dt.datetime) -> None:
        self.zone = ZoneInfo(zone)
        last_day = end.astimezone(self.zone).date()
        self.days = [last_day - dt.timedelta(days=n) for n in range(WINDOW_DAYS - 1, -1, -1)]
        hours = SUPPORT_HOURS if kind == "support" else MODERATION_HOURS
        weekdays = SUPPORT_DAYS if kind == "support" else MODERATION_DAYS
        weights = []
        for index, day in enumerate(self.days):
            growth = 1 + 0.15 * index / (WINDOW_DAYS - 1)  # the program is growing
            weights += [growth * weekdays[day.weekday()] * h for h in hours]
        self.cum_weights = _cumulative(weights)
        self.slots = range(len(weights))


def generate_tickets(
    count: int,
    end: dt.datetime,
    vendors: tuple[DemoVendor, ...] = VENDORS,
    workflows: tuple[DemoWorkflow, ...] = WORKFLOWS,
    seed: int = TICKET_SEED,
) -> Iterator[DemoTicket]:
    """Yield ``count`` demo tickets handled in the 8 weeks before ``end`` (aware)."""
    rng = random.Random(seed)
    by_slug = {w.slug: w for w in workflows}
    start = end - dt.timedelta(days=WINDOW_DAYS)

    placements: list[tuple[DemoVendor, DemoSite]] = []
    placement_weights = []
    for vendor in vendors:
        site_total = sum(site.workload for site in vendor.sites)
        for site in vendor.sites:
            placements.append((vendor, site))
            placement_weights.append(vendor.workload * site.workload / site_total)
    placement_cum = _cumulative(placement_weights)

    staffing = {
        site.agent_prefix: (
            [by_slug[slug] for slug in site.workflows],
            _cumulative(by_slug[slug].workload for slug in site.workflows),
            agent_ids(site),
            _cumulative(agent_workloads(site)),
        )
        for _, site in placements
    }
    slots: dict[tuple[str, str], _Slots] = {}

    for number in range(1, count + 1):
        vendor, site = rng.choices(placements, cum_weights=placement_cum)[0]
        site_workflows, workflow_cum, agents, agent_cum = staffing[site.agent_prefix]
        workflow = rng.choices(site_workflows, cum_weights=workflow_cum)[0]
        agent = rng.choices(agents, cum_weights=agent_cum)[0]
        kind = str(workflow.kind)

        key = (site.timezone, kind)
        if key not in slots:
            slots[key] = _Slots(site.timezone, kind, end)
        table = slots[key]
        slot = rng.choices(table.slots, cum_weights=table.cum_weights)[0]
        day, hour = table.days[slot // 24], slot % 24
        local = dt.datetime.combine(day, dt.time(hour), tzinfo=table.zone) + dt.timedelta(
            seconds=rng.randrange(3600)
        )
        handled_at = local.astimezone(dt.UTC)
        # Keep the same weekday and hour when the local window overhangs the UTC one.
        if handled_at > end:
            handled_at -= dt.timedelta(days=7)
        elif handled_at < start:
            handled_at += dt.timedelta(days=7)

        mix = DECISIONS_BY_AREA.get(workflow.policy_area, MODERATION_DECISIONS)
        decision = rng.choices(list(mix), weights=list(mix.values()))[0]
        labels = POLICY_LABELS[workflow.policy_area]
        label = rng.choices(labels, cum_weights=_label_weights(len(labels)))[0]
        prefix = workflow.policy_area.lower().replace(" ", "_")
        policy_label = NO_VIOLATION if decision == "keep" else f"{prefix}.{label}"

        automated_share = AUTOMATED_SHARE.get(workflow.policy_area, AUTOMATED_SHARE[kind])
        automated = rng.random() < automated_share
        channels = CHANNELS[kind]
        channel = rng.choices(list(channels), weights=list(channels.values()))[0]
        handle_seconds = max(1, round(MEDIAN_HANDLE_SECONDS[kind] * rng.lognormvariate(0.0, 0.5)))
        # The text has its own draws, so the tickets' other fields stay what they were.
        excerpt = ticket_excerpt(
            random.Random(f"{seed}:{number}"), workflow.policy_area, workflow.language, channel
        )

        yield DemoTicket(
            external_id=f"DEMO-{number:07d}",
            vendor=vendor.slug,
            site=site.slug,
            agent=agent,
            workflow=workflow.slug,
            handled_at=handled_at,
            decision=decision,
            policy_label=policy_label,
            language=workflow.language,
            channel=channel,
            automated=automated,
            handle_seconds=handle_seconds,
            excerpt=excerpt,
        )


@transaction.atomic
def seed(count: int = DEFAULT_TICKETS) -> dict[str, tuple[int, int]]:
    """Insert the first ``count`` demo tickets that are not there yet, in batches.

    Needs ``demo.vendors.seed()`` to have run. Returns ``{"tickets": (created, total)}``.
    """
    vendor_ids = dict(Vendor.objects.values_list("slug", "pk"))
    site_ids = {
        (vendor, slug): pk
        for vendor, slug, pk in Site.objects.values_list("vendor__slug", "slug", "pk")
    }
    workflow_ids = dict(Workflow.objects.values_list("slug", "pk"))
    agent_pks = {
        (vendor, external_id): pk
        for vendor, external_id, pk in Agent.objects.filter(
            vendor__slug__in=[v.slug for v in VENDORS]
        ).values_list("vendor__slug", "external_id", "pk")
    }

    before = Ticket.objects.filter(source=SOURCE).count()
    tickets = generate_tickets(count, end=history_end())
    while batch := list(islice(tickets, BATCH_SIZE)):
        Ticket.objects.bulk_create(
            [
                Ticket(
                    source=SOURCE,
                    external_id=t.external_id,
                    vendor_id=vendor_ids[t.vendor],
                    site_id=site_ids[t.vendor, t.site],
                    agent_id=agent_pks[t.vendor, t.agent],
                    workflow_id=workflow_ids[t.workflow],
                    handled_at=t.handled_at,
                    decision=t.decision,
                    policy_label=t.policy_label,
                    language=t.language,
                    channel=t.channel,
                    automated=t.automated,
                    content_url=f"https://content.example.com/demo/{t.external_id}",
                    excerpt=t.excerpt,
                    extra={"handle_seconds": t.handle_seconds},
                    sample_key=sample_key(SOURCE, t.external_id),
                )
                for t in batch
            ],
            batch_size=BATCH_SIZE,
            ignore_conflicts=True,
        )
    total = Ticket.objects.filter(source=SOURCE).count()
    return {"tickets": (total - before, Ticket.objects.count())}
