"""How well each auditor's finalised audits agree with a blind re-audit of the same ticket.

``alignment`` is the one function every page (the re-audit run, the auditor pages) and any
other app reads: per original auditor, the share of their re-audited audits whose pass/fail
verdict the re-audit agrees with, with Wilson's interval (``sampling.stats.proportion_ci``),
and each question's agreement, most disagreement first. Only scored re-audits count.

An auditor's re-audited audits are a simple random sample of their finalised audits in the
run's window (one stratum per auditor), so for one run the interval is for the share of all
their finalised audits in that window that a second auditor would agree with. Over a period
spanning several runs the samples pool; docs/statistics.md ("Re-audits") says what that
means and what the rate is not (the re-auditor is not a gold standard).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from audit_forms.models import FormQuestion
from sampling import stats
from sampling.models import SampleRun

from ..models import SCORED_STATUSES, Audit

WORST_SHOWN = 3  # questions named as an auditor's most disagreed


@dataclass(frozen=True)
class QuestionAgreement:
    """One question over an auditor's re-audited audits: how often both answered it alike.
    A question answered by one side only (an optional one) counts as a disagreement."""

    key: str
    text: str
    compared: int
    agreed: int

    @property
    def disagreed(self) -> int:
        return self.compared - self.agreed

    @property
    def rate(self) -> float:
        return self.agreed / self.compared if self.compared else 0.0


@dataclass(frozen=True)
class AuditorAlignment:
    """One auditor's alignment: ``reaudited`` scored re-audits of their audits, ``agreed`` of
    them with the same verdict; ``rate`` with its interval (None when nothing is re-audited
    yet); their questions, most disagreement first."""

    auditor_id: int
    email: str
    reaudited: int
    agreed: int
    low: float | None
    high: float | None
    confidence: float
    questions: list[QuestionAgreement] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.agreed / self.reaudited if self.reaudited else None

    @property
    def worst_questions(self) -> list[QuestionAgreement]:
        """The questions with the most disagreement (at least one), at most WORST_SHOWN."""
        return [q for q in self.questions if q.disagreed][:WORST_SHOWN]


def reaudit_pairs(
    *,
    run: SampleRun | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    auditor=None,
):
    """The scored re-audits with their originals: of ``run``; or of originals finalised in
    [``start``, ``end``); optionally of one original ``auditor``. One query."""
    pairs = Audit.objects.filter(reaudit_of__isnull=False, status__in=SCORED_STATUSES)
    if run is not None:
        pairs = pairs.filter(sampled_ticket__run=run)
    if start is not None:
        pairs = pairs.filter(reaudit_of__finalised_at__gte=start)
    if end is not None:
        pairs = pairs.filter(reaudit_of__finalised_at__lt=end)
    if auditor is not None:
        pairs = pairs.filter(reaudit_of__auditor=auditor)
    return pairs.order_by()


def alignment(
    *,
    run: SampleRun | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    auditor=None,
    confidence: float | None = None,
) -> list[AuditorAlignment]:
    """Per original auditor (by email), their alignment with the re-audits of their audits:
    of one re-audit ``run`` (at the run's confidence), or of audits finalised in the period
    [``start``, ``end``) whichever runs re-audited them (at 95 % unless told), optionally for
    one ``auditor``. Two queries (the pairs, the questions' texts)."""
    if confidence is None:
        confidence = float((run.parameters or {}).get("confidence", 0.95)) if run else 0.95
    rows = reaudit_pairs(run=run, start=start, end=end, auditor=auditor).values_list(
        "reaudit_of__auditor_id", "reaudit_of__auditor__email", "reaudit_of__passed", "passed",
        "reaudit_of__answers", "answers", "form_version_id",
    )
    verdicts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    emails: dict[int, str] = {}
    questions: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    versions: set[int] = set()
    for auditor_id, email, first, second, first_answers, second_answers, version in rows:
        emails[auditor_id] = email
        verdicts[auditor_id][0] += 1
        verdicts[auditor_id][1] += first == second
        versions.add(version)
        for key in set(first_answers) | set(second_answers):
            counts = questions[auditor_id][key]
            counts[0] += 1
            counts[1] += first_answers.get(key) == second_answers.get(key)
    texts = dict(
        FormQuestion.objects.filter(version_id__in=versions)
        .order_by("version_id").values_list("key", "text")
    )
    result = []
    for auditor_id in sorted(emails, key=lambda pk: emails[pk]):
        n, agreed = verdicts[auditor_id]
        low, high = stats.proportion_ci(agreed, n, confidence, "wilson")
        per_question = sorted(
            (QuestionAgreement(key, texts.get(key, key), compared, same)
             for key, (compared, same) in questions[auditor_id].items()),
            key=lambda q: (-q.disagreed / q.compared, -q.compared, q.key),
        )
        result.append(AuditorAlignment(
            auditor_id, emails[auditor_id], n, agreed, float(low), float(high), confidence,
            per_question,
        ))
    return result
