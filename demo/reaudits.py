"""The demo's re-audit run: grading the graders on first login.

A re-audit plan ("Grade the graders") over the last 30 days' finalised audits, one stratum per
demo auditor, drawn through the real draw (``sampling.drawing.draw_sample``: the re-audits go
to another auditor or the manager, never the original auditor) and every re-audit scored
through ``audits.lifecycle.submit_audit``. The re-auditor mostly answers as the original did;
auditor3's audits are answered differently more often (the policy label, else the action), so
the run page and the alignment pages show one auditor drifting from the others. Idempotent:
skipped once the plan has a done run.
"""

from __future__ import annotations

import random

from accounts.models import Role, User
from audits import lifecycle
from audits.models import Audit
from sampling.drawing import draw_sample
from sampling.models import SampleRun, SamplingPlan
from sampling.population import resolve_window
from sampling.tasks import request_run

PLAN_NAME = "Grade the graders (re-audit)"
DRIFTING = "auditor3@demo.qa"  # the auditor a re-audit disagrees with most
DISAGREE = {DRIFTING: 0.35}
DISAGREE_OTHERS = 0.08
FLIPS = (("policy_label", {"pass": "fail", "fail": "pass"}),
         ("correct_action", {"yes": "no", "no": "yes"}))


def _disagreeing(answers: dict[str, str]) -> dict[str, str]:
    """The original's answers with one judgment turned: the policy label, else the action."""
    for key, turned in FLIPS:
        if answers.get(key) in turned:
            return {**answers, key: turned[answers[key]]}
    return dict(answers)


def seed() -> dict[str, tuple[int, int]]:
    """The re-audit plan, its run over the last 30 days and every re-audit scored."""
    before = Audit.objects.filter(reaudit_of__isnull=False).count()
    plan, _ = SamplingPlan.objects.get_or_create(
        name=PLAN_NAME,
        defaults={
            "kind": SamplingPlan.Kind.REAUDIT,
            "description": "Each auditor's finalised audits of the last 30 days, re-audited "
            "blind by another auditor or the manager: how often would a second auditor agree?",
            "strata_keys": [],
            "confidence": "0.9000",
            "margin_of_error": "0.1500",
            "expected_rate": "0.1000",
            "margin_applies_to": SamplingPlan.MarginScope.EACH_STRATUM,
            "window_kind": SamplingPlan.WindowKind.LAST_30_DAYS,
            "audit_due_days": 5,
        },
    )
    if not plan.runs.filter(status=SampleRun.Status.DONE).exists():
        pool = User.objects.filter(
            role__in=(Role.QA_AUDITOR, Role.PROGRAM_MANAGER), email__endswith="@demo.qa"
        )
        plan.auditors.set(pool)
        window = resolve_window(plan.window_kind, plan.window_timezone)
        run = draw_sample(request_run(plan, window=window, seed=13, enqueue=False).pk)
        _score(run)
    after = Audit.objects.filter(reaudit_of__isnull=False).count()
    return {"re-audits": (after - before, after)}


def _score(run: SampleRun) -> None:
    rng = random.Random(run.seed)
    reaudits = (Audit.objects.filter(sampled_ticket__run=run, auditor__isnull=False)
                .select_related("auditor", "reaudit_of__auditor").order_by("pk"))
    for reaudit in reaudits:
        original = reaudit.reaudit_of
        share = DISAGREE.get(original.auditor.email, DISAGREE_OTHERS)
        answers = _disagreeing(original.answers) if rng.random() < share else original.answers
        lifecycle.submit_audit(
            reaudit, reaudit.auditor, answers=answers,
            time_spent_seconds=rng.randint(90, 300),
        )
