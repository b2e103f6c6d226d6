"""Training and scoring as jobs queued from the model card: each ``RiskJob`` row records what
was asked and how it ended (a refusal's message included), so the page can say so."""

from __future__ import annotations

import logging

from django.utils import timezone

from accounts.progress import ProgressReporter, job_status, read_progress
from tickets.models import Ticket

from .models import RiskJob
from .scoring import current_model, scorable, score_tickets
from .training import TrainingRefused, train_risk_model

logger = logging.getLogger(__name__)

PROGRESS_KIND = "risk-job"  # accounts.progress key of a job's scoring
FINISHED = (RiskJob.Status.DONE, RiskJob.Status.REFUSED, RiskJob.Status.FAILED)


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
        result = _score_with_progress(job, model)
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


def _score_with_progress(job: RiskJob, model):
    """Score, telling the job's page how many of the scorable tickets are done (a page of
    ``scoring.CHUNK`` tickets at a time; each page commits, but the count is only here)."""
    progress = ProgressReporter(PROGRESS_KIND, job.pk)
    total = Ticket.objects.filter(scorable(job.overwrite_outside)).count()
    progress.phase("scoring tickets", total, "tickets scored")
    # The last record stays (until it lapses): it says how far a failed scoring got.
    return score_tickets(model, overwrite_outside=job.overwrite_outside, progress=progress.update)


def job_progress(job: RiskJob) -> dict:
    """The card's progress of a job (``accounts.progress.job_status``): a scoring counts its
    tickets; a training has no count, so its bar only says it runs."""
    finished = job.status in FINISHED
    waiting = {
        RiskJob.Status.QUEUED: "Waiting for a worker…",
        RiskJob.Status.RUNNING: f"{job.get_kind_display()} running…",
    }.get(job.status, job.message)
    return {
        "id": job.pk,
        "kind": job.kind,
        **job_status(
            status=job.status,
            status_label=job.get_status_display(),
            finished=finished,
            record=None if finished else read_progress(PROGRESS_KIND, job.pk),
            waiting=waiting,
        ),
    }


def scoring_summary(result) -> str:
    kept = f"; {result.kept_outside:,} kept an outside model's score" if result.kept_outside else ""
    return (
        f"Scored {result.scored:,} tickets with {result.model} ({result.out_of_fold:,} "
        f"audited ones with their out-of-fold score){kept}."
    )
