"""Builders for lifecycle, workspace and API tests: a published form and sample assignments.

Plain functions (not fixtures) so every test module can say exactly what it builds.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from audit_forms import catalog as forms_catalog
from audit_forms.models import ErrorCategory, FormVersion
from audits.lifecycle import open_assigned_audits
from audits.models import Audit
from sampling.models import SampledTicket, SampleRun, SampleStratum, SamplingPlan
from tests.factories import AgentFactory, TicketFactory

# A complete set of answers to the form below that passes with 100.
ALL_GOOD = {"right_action": "yes", "policy_cited": "pass", "tone": "5", "escalation": "not_needed"}


def published_form(workflow, *, by=None, name: str = "Moderation scorecard") -> FormVersion:
    """A two-section form with one question of each kind, published for ``workflow``.

    Decision (weight 2): right_action (yes/no, critical, policy error), policy_cited
    (pass/fail, N/A allowed, procedural). Handling (weight 1): tone (1–5 scale),
    escalation (single choice; "missed" is a procedural error).
    """
    policy, _ = ErrorCategory.objects.get_or_create(
        slug="policy-error", defaults={"name": "Policy error", "kind": "policy"}
    )
    procedural, _ = ErrorCategory.objects.get_or_create(
        slug="procedural", defaults={"name": "Procedural", "kind": "procedural"}
    )
    version = forms_catalog.create_form(name=name, created_by=by, workflows=[workflow])
    decision = forms_catalog.add_section(version, title="Decision", key="decision", weight=2)
    forms_catalog.add_question(
        decision,
        key="right_action",
        text="Was the right action taken?",
        kind="yes_no",
        critical=True,
        error_category=policy,
        guidance="Compare with the policy's examples.",
    )
    forms_catalog.add_question(
        decision,
        key="policy_cited",
        text="Was the correct policy cited?",
        kind="pass_fail",
        na_allowed=True,
        error_category=procedural,
    )
    handling = forms_catalog.add_section(version, title="Handling", key="handling")
    forms_catalog.add_question(handling, key="tone", text="Tone of the reply", kind="scale")
    escalation = forms_catalog.add_question(
        handling, key="escalation", text="Escalation", kind="choice", error_category=procedural
    )
    forms_catalog.add_choice(escalation, value="not_needed", label="Not needed", credit=1)
    forms_catalog.add_choice(escalation, value="done", label="Escalated", credit=1)
    forms_catalog.add_choice(escalation, value="missed", label="Missed", credit=0, is_error=True)
    return forms_catalog.publish_version(version, by=by)


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
    return [
        SampledTicket.objects.create(
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
    ]


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
    tickets = [
        TicketFactory(agent=agent, workflow=workflow, excerpt=f"Reported post number {i}.")
        for i in range(count)
    ]
    run = run or sample_run(f"Plan {SamplingPlan.objects.count() + 1} for {auditor.email}")
    assign_tickets(run, tickets, auditor, due_in_hours=due_in_hours)
    open_assigned_audits(run)
    return list(Audit.objects.filter(ticket__in=tickets).order_by("due_at", "pk"))
