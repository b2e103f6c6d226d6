"""Celery tasks of the risk model: thin; the work is ``risk_model.jobs``."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def run_risk_job(job_id: int) -> str:
    """Train or score as the queued ``RiskJob`` asks; returns its final status. Safe to run
    twice: a job that is no longer queued is left alone."""
    # Imported when a job runs: scikit-learn and pandas cost every worker a second to start.
    from .jobs import run_job

    job = run_job(job_id)
    return job.status if job else "gone"
