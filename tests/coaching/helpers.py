"""Builders for the coaching tests: scored sampled audits in one stratum, written in bulk
(as tests/scorecards/test_gaps.py does: the lifecycle is tested in tests/audits)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from audits.forms_catalog import version_with_parts
from audits.models import Audit, AuditStatus
from audits.scoring import score_audit
from sampling.models import SampleStratum
from tests.audits.workspace_helpers import ALL_GOOD, sample_run
from tests.scorecards.rollup_helpers import sampled_audits

POLICY = {**ALL_GOOD, "right_action": "no"}  # a policy error (critical)
PROCEDURAL = {**ALL_GOOD, "escalation": "missed"}  # a procedural error
ANSWERS = {"policy": POLICY, "procedural": PROCEDURAL, "good": ALL_GOOD}


def outcomes(**counts) -> list[dict]:
    """outcomes(policy=3, good=7) → ten answer sets, in that order."""
    return [ANSWERS[name] for name, n in counts.items() for _ in range(n)]


def submitted(audits, answers) -> None:
    """Store ``score_audit``'s result for each audit's answers, one UPDATE per kind."""
    now = timezone.now()
    groups = defaultdict(list)
    for audit, given in zip(audits, answers, strict=True):
        groups[tuple(sorted(given.items()))].append(audit.pk)
    spec = version_with_parts(audits[0].form_version_id).to_spec()
    for given, ids in groups.items():
        result = score_audit(spec, dict(given))
        Audit.objects.filter(pk__in=ids).update(
            status=AuditStatus.SUBMITTED, answers=dict(given), submitted_at=now,
            started_at=now, score=Decimal(str(result.score)).quantize(Decimal("0.01")),
            passed=result.passed, critical_failed=result.critical_failed,
            section_scores=result.section_scores, error_categories=result.error_categories,
            errors=list(result.errors), error_count=len(result.errors))


def scored_stratum(auditor, workflow, agent, population: int,
                   batches: list[tuple[dt.datetime, list[dict]]]) -> list[Audit]:
    """One stratum of ``population`` tickets of ``agent``: each batch is a first handling
    time and the answers of tickets handled every 13 hours from it."""
    handled, answers = [], []
    for start, given in batches:
        handled += [start + dt.timedelta(hours=13 * i) for i in range(len(given))]
        answers += given
    audits = sampled_audits(sample_run(f"Plan {agent.external_id} {population}"), auditor,
                            workflow, agent, handled)
    submitted(audits, answers)
    SampleStratum.objects.filter(pk=audits[0].sampled_ticket.stratum_id).update(
        population=population)
    return list(Audit.objects.filter(pk__in=[a.pk for a in audits]))
