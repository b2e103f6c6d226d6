"""A small audited program for the risk model's tests: tickets whose failure depends on the
channel and on the excerpt's words, so a model that learns anything has an AUC well above 0.5."""

from __future__ import annotations

import datetime as dt

import numpy as np

from audits.models import Audit
from tests.audits.workspace_helpers import published_form
from tests.factories import AgentFactory, SiteFactory, VendorFactory, WorkflowFactory
from tickets.models import Ticket

# A fixed moment: nothing depends on today's date.
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)
OUTSIDE_MODEL = "llm-grader-v3"


def audited_program(
    manager,
    *,
    audited: int = 240,
    unaudited: int = 40,
    outside: int = 10,
    seed: int = 5,
    fail_all: bool | None = None,
) -> dict:
    """``audited`` tickets with a finalised audit (chat tickets fail about half the time,
    others about 1 in 12; failures more often say "refund"), ``unaudited`` tickets without
    one, of which ``outside`` carry an outside model's score."""
    rng = np.random.default_rng(seed)
    vendor = VendorFactory(name="Acme Moderation", slug="acme")
    sites = [
        SiteFactory(vendor=vendor, name="Manila", slug="manila"),
        SiteFactory(
            vendor=vendor, name="Bogotá", slug="bogota", country="CO", timezone="America/Bogota"
        ),
    ]
    agents = [AgentFactory(site=sites[i % 2], vendor=vendor) for i in range(8)]
    workflow = WorkflowFactory(name="Hate speech (EN)", slug="hate-speech-en")
    version = published_form(workflow, by=manager)
    tickets, failed = [], []
    for i in range(audited + unaudited):
        channel = ("chat", "email", "web")[i % 3]
        fails = bool(rng.random() < (0.5 if channel == "chat" else 0.08))
        if fail_all is not None:
            fails = fail_all
        word = "refund" if (fails and rng.random() < 0.7) or rng.random() < 0.1 else "thanks"
        agent = agents[int(rng.integers(len(agents)))]
        score = {}
        if i >= audited and i < audited + outside:
            score = {"ai_score": 0.123, "ai_model": OUTSIDE_MODEL}
        tickets.append(
            Ticket(
                source="test",
                external_id=f"R-{i:05d}",
                vendor=vendor,
                site=agent.site,
                agent=agent,
                workflow=workflow,
                handled_at=NOW - dt.timedelta(days=2, hours=i),
                decision=("remove", "keep")[i % 2],
                policy_label="hate_speech",
                language="en",
                channel=channel,
                automated=i % 4 == 0,
                excerpt=f"customer asks {word} today",
                sample_key=i,
                **score,
            )
        )
        failed.append(fails)
    tickets = Ticket.objects.bulk_create(tickets)
    Audit.objects.bulk_create(
        [
            Audit(
                ticket=ticket,
                form_version=version,
                status=Audit.Status.FINAL,
                unsampled=True,
                passed=not fails,
                score=40 if fails else 95,
                submitted_at=NOW - dt.timedelta(days=1),
                finalised_at=NOW - dt.timedelta(hours=1),
            )
            for ticket, fails in zip(tickets[:audited], failed[:audited], strict=True)
        ]
    )
    return {
        "tickets": tickets,
        "audited": tickets[:audited],
        "failed": failed[:audited],
        "unaudited": tickets[audited:],
        "outside": tickets[audited : audited + outside],
        "vendor": vendor,
        "version": version,
    }
