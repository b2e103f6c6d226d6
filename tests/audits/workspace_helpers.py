"""Builders for lifecycle, workspace and API tests: a published form and sample assignments.

Plain functions (not fixtures) so every test module can say exactly what it builds.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from audit_forms import catalog as forms_catalog
from audit_forms import json_format
from audit_forms.models import ErrorCategory, FormVersion
from audits.lifecycle import open_assigned_audits
from audits.models import Audit
from sampling.models import SampledTicket, SampleRun, SampleStratum, SamplingPlan
from tests.factories import AgentFactory, TicketFactory
from tickets.models import Ticket

# A complete set of answers to the form below that passes with 100.
ALL_GOOD = {"right_action": "yes", "policy_cited": "pass", "tone": "5", "escalation": "not_needed"}


# The form of ``published_form`` as an exported audit form (audit_forms.json_format).
MODERATION_SECTIONS = [
    {"key": "decision", "title": "Decision", "weight": 2, "questions": [
        {"key": "right_action", "text": "Was the right action taken?", "kind": "yes_no",
         "critical": True, "error_category": "policy-error",
         "guidance": "Compare with the policy's examples."},
        {"key": "policy_cited", "text": "Was the correct policy cited?", "kind": "pass_fail",
         "na_allowed": True, "error_category": "procedural"},
    ]},
    {"key": "handling", "title": "Handling", "questions": [
        {"key": "tone", "text": "Tone of the reply", "kind": "scale"},
        {"key": "escalation", "text": "Escalation", "kind": "choice",
         "error_category": "procedural", "choices": [
             {"value": "not_needed", "label": "Not needed", "credit": 1},
             {"value": "done", "label": "Escalated", "credit": 1},
             {"value": "missed", "label": "Missed", "credit": 0, "is_error": True},
         ]},
    ]},
]


def published_form(workflow, *, by=None, name: str = "Moderation scorecard") -> FormVersion:
    """A two-section form with one question of each kind, published for ``workflow``: imported
    from its JSON document and published, as a manager would (a few inserts, where adding
    each part in the form builder costs a dozen statements a part).

    Decision (weight 2): right_action (yes/no, critical, policy error), policy_cited
    (pass/fail, N/A allowed, procedural). Handling (weight 1): tone (1–5 scale),
    escalation (single choice; "missed" is a procedural error).
    """
    ErrorCategory.objects.get_or_create(
        slug="policy-error", defaults={"name": "Policy error", "kind": "policy"}
    )
    ErrorCategory.objects.get_or_create(
        slug="procedural", defaults={"name": "Procedural", "kind": "procedural"}
    )
    document = {"format": json_format.FORMAT, "form": {"name": name, "workflows": [workflow.slug]},
                "sections": MODERATION_SECTIONS}
    return forms_catalog.publish_version(json_format.import_version(document, by=by), by=by)


def sample_run(name: str = "Daily moderation") -> SampleRun:
    plan = SamplingPlan.objects.create(name=name)
    now = timezone.now()
    return SampleRun.objects.create(
        plan=plan,
        seed=7,
        window_start=now - dt.timedelta(days=1),
        window_end=now,
        status=SampleRun.Status.DONE,
    )


def assign_tickets(run: SampleRun, tickets, auditor, *, due_in_hours=(24,)) -> list[SampledTicket]:
    """Sampled-ticket assignments of ``tickets`` to ``auditor`` (due times cycle)."""
    stratum = SampleStratum.objects.create(
        run=run,
        position=run.strata.count(),
        label=f"stratum {run.strata.count()}",
        population=100,
        allocated=len(tickets),
        drawn=len(tickets),
        expected_rate=0.1,
        stddev=0.3,
    )
    now = timezone.now()
    return SampledTicket.objects.bulk_create(
        SampledTicket(
            run=run,
            stratum=stratum,
            ticket=ticket,
            draw_rank=rank,
            inclusion_probability=0.25,
            auditor=auditor,
            assigned_at=now,
            due_at=now + dt.timedelta(hours=due_in_hours[(rank - 1) % len(due_in_hours)]),
        )
        for rank, ticket in enumerate(tickets, start=1)
    )


def assigned_audits(
    auditor,
    workflow,
    count: int = 1,
    *,
    site=None,
    due_in_hours=(24,),
    run: SampleRun | None = None,
) -> list[Audit]:
    """``count`` tickets of ``site``'s vendor sampled and opened as audits for ``auditor``."""
    agent = AgentFactory(site=site) if site is not None else AgentFactory()
    tickets = Ticket.objects.bulk_create(
        TicketFactory.build(agent=agent, workflow=workflow, excerpt=f"Reported post number {i}.")
        for i in range(count)
    )
    run = run or sample_run(f"Plan {SamplingPlan.objects.count() + 1} for {auditor.email}")
    assign_tickets(run, tickets, auditor, due_in_hours=due_in_hours)
    open_assigned_audits(run)
    return list(Audit.objects.filter(ticket__in=tickets).order_by("due_at", "pk"))
