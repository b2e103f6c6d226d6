"""The sample-size planner page. Its numbers are sampling's (``sampling.views.planner_context``);
it lives here, with the audits, because its AI-assisted panel measures an outside model on
finalised audits (``assisted_planning``). Its URL keeps the ``sampling`` namespace
(``run_urls``)."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import internal_page
from sampling.forms import population_filter
from sampling.views import planner_context

from .assisted_planning import HISTORY_DAYS, MIN_SCORED_AUDITS, assisted_plan, model_quality


@internal_page
@require_GET
def planner(request):
    context = planner_context(request)
    form, plan = context["form"], context["plan"]
    quality = None
    if form.is_valid():
        quality = model_quality(request.user, population_filter(form.cleaned_data))
    context.update(
        model_quality=quality,
        assisted=assisted_plan(quality, plan.n_fpc if plan else None),
        min_scored_audits=MIN_SCORED_AUDITS,
        history_days=HISTORY_DAYS,
    )
    return render(request, "sampling/planner.html", context)
