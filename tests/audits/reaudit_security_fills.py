"""A re-audit of vendor A's own final audit, and its re-audit run, for the URL security walk
(tests/test_url_security.py): vendor A's POC must get 404 for it like for any internal audit,
although its ticket is A's. Made once per world, through the lifecycle."""

from __future__ import annotations

from django.utils import timezone

from audits import lifecycle
from audits.models import Audit, AuditStatus
from sampling.models import SampledTicket, SampleRun, SampleStratum, SamplingPlan
from tests.audits.workspace_helpers import ALL_GOOD

PLAN_NAME = "Internal re-audit of the graders"
NOTE = "RE-AUDIT ONLY: the original auditor missed the context"


def a_reaudit(w) -> Audit:
    original = w.a.audits["final"]
    existing = Audit.objects.filter(reaudit_of=original).first()
    if existing:
        return existing
    now = timezone.now()
    plan = SamplingPlan.objects.create(name=PLAN_NAME, kind=SamplingPlan.Kind.REAUDIT,
                                       strata_keys=[])
    run = SampleRun.objects.create(plan=plan, seed=3, window_start=w.run.window_start,
                                   window_end=now, status=SampleRun.Status.DONE)
    stratum = SampleStratum.objects.create(
        run=run, position=0, label=w.auditor.email, auditor=w.auditor, population=1,
        allocated=1, drawn=1, expected_rate=0.1, stddev=0.3,
    )
    sampled = SampledTicket.objects.create(
        run=run, stratum=stratum, ticket=original.ticket, draw_rank=1, inclusion_probability=1,
        auditor=w.manager, assigned_at=now,
    )
    reaudit = Audit.objects.create(
        ticket=original.ticket, form_version=original.form_version, auditor=w.manager,
        sampled_ticket=sampled, reaudit_of=original, status=AuditStatus.ASSIGNED,
    )
    return lifecycle.submit_audit(reaudit, w.manager, answers={**ALL_GOOD, "tone": "1"},
                                  internal_note=NOTE)


def reaudits(w) -> list[dict]:
    return [{"pk": a_reaudit(w).pk}]


def reaudit_run(w) -> list[dict]:
    return [{"pk": a_reaudit(w).sampled_ticket.run_id}]


def auditors(w) -> list[dict]:
    return [{"pk": w.auditor.pk}, {"pk": w.manager.pk}]
