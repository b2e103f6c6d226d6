"""The run page: a sample run's report and its open audits. It lives with the audits it
reads (sampling, below audits, knows none); its URL keeps the ``sampling`` namespace
(``run_urls``) and it renders sampling's template. Thin: the report is ``run_report``; a
re-audit run has its own page (``audits.reaudits.views``)."""

from django.shortcuts import get_object_or_404, render

from accounts.decorators import internal_page
from accounts.scoping import visible_to
from sampling.models import SampleRun

from .reaudits.views import run_page as reaudit_run_page
from .run_report import open_assignments, run_report


@internal_page
def run_detail(request, pk):
    run = get_object_or_404(
        visible_to(request.user, SampleRun.objects.all()).select_related("plan", "requested_by"),
        pk=pk,
    )
    if run.plan.is_reaudit:
        return reaudit_run_page(request, run)
    report = run_report(run) if run.status == SampleRun.Status.DONE else None
    pending, pending_count = open_assignments(run) if report else ([], 0)
    return render(
        request,
        "sampling/run_detail.html",
        {"run": run, "plan": run.plan, "report": report, "pending": pending,
         "pending_count": pending_count},
    )
