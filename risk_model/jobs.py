"""Training and scoring as jobs queued from the model card: each ``RiskJob`` row records what
was asked and how it ended (a refusal's message included), so the page can say so."""

from __future__ import annotations

import logging

from django.utils import timezone

from .models import RiskJob
from .scoring import current_model, score_tickets
from .training import TrainingRefused, train_risk_model

logger = logging.getLogger(__name__)


def queue_job(kind: str, *, by=None, overwrite_outside: bool = False) -> RiskJob:
    return RiskJob.objects.create(kind=kind, requested_by=by, overwrite_outside=overwrite_outside)


def _finish(job: RiskJob, status: str, message: str, **fields) -> RiskJob:
    job.status, job.message, job.finished_at = status, message, timezone.now()
    for name, value in fields.items():
        setattr(job, name, value)
    job.save()
    return job


def run_job(job_id: int) -> RiskJob | None:
    """Run a queued job once: a job already finished or running is left as it is, so a
    redelivered task does not train or score twice."""
    claimed = RiskJob.objects.filter(pk=job_id, status=RiskJob.Status.QUEUED).update(
        status=RiskJob.Status.RUNNING
    )
    job = RiskJob.objects.filter(pk=job_id).first()
    if not claimed or job is None:
        return job
    try:
        if job.kind == RiskJob.Kind.TRAIN:
            model = train_risk_model(by=job.requested_by)
            return _finish(
                job,
                RiskJob.Status.DONE,
                f"Trained {model.name} on {model.audits:,} audited tickets.",
                model=model,
            )
        model = current_model()
        if model is None:
            return _finish(job, RiskJob.Status.REFUSED, "No model to score with: train one first.")
        result = score_tickets(model, overwrite_outside=job.overwrite_outside)
        return _finish(
            job,
            RiskJob.Status.DONE,
            scoring_summary(result),
            model=model,
            tickets_scored=result.scored,
        )
    except TrainingRefused as refused:
        return _finish(job, RiskJob.Status.REFUSED, str(refused))
    except Exception:
        # Logged, not raised: the job row says it failed, and a page that ran the job eagerly
        # (no worker) shows that instead of an error page.
        logger.exception("risk model job %s failed", job_id)
        return _finish(job, RiskJob.Status.FAILED, "Stopped by an error; the log has it.")


def scoring_summary(result) -> str:
    kept = f"; {result.kept_outside:,} kept an outside model's score" if result.kept_outside else ""
    return (
        f"Scored {result.scored:,} tickets with {result.model} ({result.out_of_fold:,} "
        f"audited ones with their out-of-fold score){kept}."
    )
