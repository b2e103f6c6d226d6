"""Builders for the re-audit tests: a program whose sampled audits are scored and finalised by
several auditors, and re-audit plans and runs over them.

Plain functions, so each test says what it builds. The ticket sample is drawn over the
sampling tests' generated population (``tests.sampling.conftest.make_population``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import Role
from audits import lifecycle
from audits.models import Audit
from sampling.drawing import draw_sample
from sampling.models import SampleRun, SamplingPlan
from sampling.population import Window
from sampling.tasks import request_run
from tests.audits.workspace_helpers import ALL_GOOD, published_form
from tests.factories import UserFactory
from tests.sampling.conftest import WINDOW, Population, make_population

# An original audit failing on its critical question, so verdicts differ across audits.
FAILING = {**ALL_GOOD, "right_action": "no"}


@dataclass
class Program:
    population: Population
    auditors: list
    lead: object
    run: SampleRun
    audits: list[Audit]  # the ticket sample's audits, all final

    def by_auditor(self) -> dict[int, list[Audit]]:
        grouped: dict[int, list[Audit]] = {}
        for audit in self.audits:
            grouped.setdefault(audit.auditor_id, []).append(audit)
        return grouped


def original_answers(audit: Audit) -> dict[str, str]:
    """Every third original audit fails; each carries a comment the re-auditor must not see."""
    return FAILING if audit.pk % 3 == 0 else ALL_GOOD


def finalised_program(*, auditors: int = 3, cap: int = 45, size: int = 1500) -> Program:
    """A ticket sample of at most ``cap`` audits over ``auditors`` auditors, each audit scored
    (with a comment) by its auditor and finalised by the lead."""
    population = make_population(size=size)
    people = [UserFactory(email=f"auditor{i}@example.com", role=Role.QA_AUDITOR)
              for i in range(1, auditors + 1)]
    lead = UserFactory(email="lead@example.com", role=Role.PROGRAM_MANAGER)
    version = published_form(population.workflows[0], by=lead)
    plan = SamplingPlan.objects.create(
        name="Weekly vendor sample", strata_keys=["vendor"], max_sample_size=cap,
        form=version.form,
    )
    plan.auditors.set(people)
    run = draw_sample(request_run(plan, window=WINDOW, seed=11, enqueue=False).pk)
    audits = list(Audit.objects.filter(sampled_ticket__run=run).select_related("auditor"))
    for audit in audits:
        lifecycle.submit_audit(
            audit, audit.auditor, answers=original_answers(audit),
            comments={"tone": f"ORIGINAL COMMENT {audit.pk}"},
            internal_note=f"ORIGINAL NOTE {audit.pk}",
        )
        lifecycle.finalise_audit(audit, lead, "weekly review")
    finals = list(Audit.objects.filter(pk__in=[a.pk for a in audits]).select_related("auditor"))
    return Program(population, people, lead, run, finals)


def reaudit_plan(pool, name: str = "Grade the graders", **fields) -> SamplingPlan:
    fields = {"confidence": "0.9000", "margin_of_error": "0.2000", "expected_rate": "0.1000",
              **fields}
    plan = SamplingPlan.objects.create(
        name=name, kind=SamplingPlan.Kind.REAUDIT, strata_keys=[], **fields
    )
    plan.auditors.set(pool)
    return plan


def finalised_window() -> Window:
    """A window holding every audit finalised around now (the tests finalise them now)."""
    now = timezone.now()
    return Window(now - dt.timedelta(days=1), now + dt.timedelta(days=1))


def draw_reaudits(plan: SamplingPlan, window: Window, seed: int = 5) -> SampleRun:
    return draw_sample(request_run(plan, window=window, seed=seed, enqueue=False).pk)
