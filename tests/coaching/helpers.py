"""Builders for the coaching tests: scored sampled audits in one stratum, written in bulk
(as tests/scorecards/test_gaps.py does: the lifecycle is tested in tests/audits)."""

from __future__ import annotations

import datetime as dt

from audits.models import Audit
from sampling.models import SampleStratum
from tests.audits.workspace_helpers import ALL_GOOD, sample_run
from tests.rollups.rollup_helpers import sampled_audits, submitted_in_bulk

POLICY = {**ALL_GOOD, "right_action": "no"}  # a policy error (critical)
PROCEDURAL = {**ALL_GOOD, "escalation": "missed"}  # a procedural error
ANSWERS = {"policy": POLICY, "procedural": PROCEDURAL, "good": ALL_GOOD}


def outcomes(**counts) -> list[dict]:
    """outcomes(policy=3, good=7) → ten answer sets, in that order."""
    return [ANSWERS[name] for name, n in counts.items() for _ in range(n)]


def scored_stratum(
    auditor, workflow, agent, population: int, batches: list[tuple[dt.datetime, list[dict]]]
) -> list[Audit]:
    """One stratum of ``population`` tickets of ``agent``: each batch is a first handling
    time and the answers of tickets handled every 13 hours from it."""
    handled, answers = [], []
    for start, given in batches:
        handled += [start + dt.timedelta(hours=13 * i) for i in range(len(given))]
        answers += given
    audits = sampled_audits(
        sample_run(f"Plan {agent.external_id} {population}"), auditor, workflow, agent, handled
    )
    submitted_in_bulk(audits, answers)
    SampleStratum.objects.filter(pk=audits[0].sampled_ticket.stratum_id).update(
        population=population
    )
    return list(Audit.objects.filter(pk__in=[a.pk for a in audits]))
