"""The demo's re-audit run: grading the graders on first login.

A re-audit plan ("Grade the graders") over the last 30 days' finalised audits, one stratum per
demo auditor, drawn through the real draw (``sampling.drawing.draw_sample``: the re-audits go
to another auditor or the manager, never the original auditor) and every re-audit scored
through ``audits.lifecycle.submit_audit``. The re-auditor mostly answers as the original did;
auditor3's audits are answered differently more often (the action, the policy label), so
the run page and the alignment pages show one auditor drifting from the others; each answer in
error carries the re-auditor's comment, as the demo's audits do. Idempotent:
skipped once the plan has a done run.
"""

from __future__ import annotations

import random

from accounts.models import Role, User
from audits import lifecycle
from audits.models import Audit
from demo.sampling import demo_comments
from sampling.drawing import draw_sample
from sampling.models import SampleRun, SamplingPlan
from sampling.population import resolve_window
from sampling.tasks import request_run

PLAN_NAME = "Grade the graders (re-audit)"
DRIFTING = "auditor3@demo.qa"  # the auditor a re-audit disagrees with most
TURNED = {"yes": "no", "no": "yes", "pass": "fail", "fail": "pass"}


def _turned(answers: dict[str, str], key: str) -> dict[str, str]:
    """The original's answers with the judgment on ``key`` turned (when it was answered)."""
    if answers.get(key) in TURNED:
        return {**answers, key: TURNED[answers[key]]}
    return dict(answers)


def _reanswered(answers: dict[str, str], drifting: bool, turn: int) -> dict[str, str]:
    """What the re-auditor answers on the ``turn``-th re-audit of one auditor: the drifting
    auditor's action is turned every third time and the policy label the next (about two in
    three re-audits differ somewhere); anyone else's action once in ten."""
    if drifting and turn % 3 == 0 or not drifting and turn % 10 == 5:
        return _turned(answers, "correct_action")
    if drifting and turn % 3 == 1:
        return _turned(answers, "policy_label")
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
                .select_related("auditor", "reaudit_of__auditor", "ticket__workflow")
                .order_by("pk"))
    turns: dict[int, int] = {}
    for reaudit in reaudits:
        original = reaudit.reaudit_of
        turn = turns[original.auditor_id] = turns.get(original.auditor_id, -1) + 1
        answers = _reanswered(original.answers, original.auditor.email == DRIFTING, turn)
        lifecycle.submit_audit(
            reaudit, reaudit.auditor, answers=answers,
            comments=demo_comments(rng, reaudit.ticket, answers),
            time_spent_seconds=rng.randint(90, 300),
        )
