"""The model card: the built-in risk model's versions, the chosen version's training size, AUC
and Brier score with intervals and calibration plot, and the buttons that queue a training or
a scoring. Internal staff read it (vendor users get 404: the model does not exist for them);
managers queue jobs. Thin: the work is ``risk_model.jobs``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import internal_page, manager_required

from . import tasks
from .charts import calibration_svg
from .jobs import FINISHED, job_progress, queue_job
from .models import RiskJob, RiskModel
from .training import FOLDS, HISTORY_DAYS, MIN_EACH_OUTCOME, MIN_TRAINING_AUDITS

RECENT_JOBS = 10
# The card lists versions without loading their estimators (up to MAX_ESTIMATOR_BYTES each).
CARD_FIELDS_DEFERRED = ("estimator",)


def _card_context(model: RiskModel | None) -> dict:
    versions = RiskModel.objects.defer(*CARD_FIELDS_DEFERRED).select_related("trained_by")
    bins = list(model.bins.all()) if model else []
    # The oldest job not finished gets the progress bar (jobs run one after another).
    running = RiskJob.objects.exclude(status__in=FINISHED).order_by("created_at", "id").first()
    return {
        "running_job": running,
        "running_progress": job_progress(running) if running else None,
        "status_url": reverse("risk_model:job_status", args=[running.pk]) if running else "",
        "model": model,
        "versions": versions,
        "bins": bins,
        "chart": mark_safe(calibration_svg(bins, title=f"Calibration of {model.name}"))
        if bins
        else "",
        "jobs": RiskJob.objects.select_related("model", "requested_by")[:RECENT_JOBS],
        "folds": FOLDS,
        "history_days": HISTORY_DAYS,
        "min_audits": MIN_TRAINING_AUDITS,
        "min_each": MIN_EACH_OUTCOME,
    }


@internal_page
@require_GET
def model_card(request):
    """The latest version's card."""
    model = RiskModel.objects.defer(*CARD_FIELDS_DEFERRED).first()
    return render(request, "risk_model/card.html", _card_context(model))


@internal_page
@require_GET
def version_card(request, version: int):
    model = get_object_or_404(RiskModel.objects.defer(*CARD_FIELDS_DEFERRED), version=version)
    return render(request, "risk_model/card.html", _card_context(model))


@internal_page
@require_GET
def job_status(request, pk: int):
    """JSON: a job's status and progress, polled by the card while the job runs (the same
    people as the card: internal staff; vendor users get 404)."""
    return JsonResponse(job_progress(get_object_or_404(RiskJob, pk=pk)))


def _queue(request, kind: str, **options):
    job = queue_job(kind, by=request.user, **options)
    tasks.run_risk_job.delay(job.pk)
    job.refresh_from_db()
    if job.status == RiskJob.Status.QUEUED or job.status == RiskJob.Status.RUNNING:
        messages.success(request, f"{job.get_kind_display()} queued; this page shows its outcome.")
    elif job.status == RiskJob.Status.DONE:
        messages.success(request, job.message)
    else:
        messages.error(request, job.message)
    return redirect("risk_model:card")


@internal_page
@manager_required
@require_POST
def train(request):
    """Queue a training of the next version (run here when there is no worker)."""
    return _queue(request, RiskJob.Kind.TRAIN)


@internal_page
@manager_required
@require_POST
def score(request):
    """Queue a scoring of every ticket with the latest version."""
    return _queue(
        request, RiskJob.Kind.SCORE, overwrite_outside=request.POST.get("overwrite_outside") == "on"
    )
