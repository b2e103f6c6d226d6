"""Sampling pages: the sample-size planner's data, plans, and the runs that draw them.

Sampling is internal: vendor users get 404 (for them no plan or run exists), auditors may
look, program managers may change plans and request draws. Views only parse input, call the
domain modules (planning, population, drawing, scheduling, reporting) and render. The run
page reads the run's audits, so it lives above, in ``audits.run_views``, under the same URL;
so does the planner page (``audits.planner_views``), whose AI-assisted panel reads audits.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import internal_page, manager_required
from accounts.input_checks import load_json
from accounts.scoping import visible_to

from . import planning, reporting, risk_planning
from .forms import (
    PlannerForm,
    PopulationFilterForm,
    PrecisionForm,
    SamplingPlanForm,
    initial_from_planner,
    population_filter,
)
from .models import SampleRun, SamplingPlan
from .population import StratumCount, resolve_window
from .scheduling import describe_schedule, sync_plan_schedule
from .tasks import request_run

MAX_STRATA = 20_000  # a calculator request beyond this is not a plan anyone can run


def plans_for(user):
    return visible_to(user, SamplingPlan.objects.all())


def runs_for(user):
    return visible_to(user, SampleRun.objects.all())


# --- planner -------------------------------------------------------------------------------


def _strata_json(strata: list[StratumCount]) -> list[dict]:
    return [
        {"key": planning.stratum_token(s), "label": s.label, "population": s.population}
        for s in strata
    ]


def _window_json(window) -> dict:
    return {"start": window.start.isoformat(), "end": window.end.isoformat(), "label": window.label}


def _plan_json(plan: planning.SamplePlan) -> dict:
    data = asdict(plan)
    for allocation, original in zip(data["allocations"], plan.allocations, strict=True):
        allocation["unsampled"] = original.unsampled
    return data


def _plan_rows(plan: planning.SamplePlan | None) -> list[dict]:
    """The per-stratum table: one row per stratum, one cell per design."""
    if plan is None or not plan.allocations:
        return []
    first = plan.allocations[0]
    return [
        {
            "label": stratum.label,
            "population": stratum.population,
            "weight": stratum.weight,
            "cells": [allocation.strata[i] for allocation in plan.allocations],
        }
        for i, stratum in enumerate(first.strata)
    ]


def _count_population(user, form) -> tuple[list[StratumCount], object]:
    data = form.cleaned_data
    window = resolve_window(data["window_kind"], data["window_timezone"])
    strata = planning.population_by_stratum(
        user, population_filter(data), data["strata_keys"], window
    )
    return strata, window


def planner_context(request) -> dict:
    """The planner page's context. The page itself (``audits.planner_views.planner``) lives
    above, with the audits its AI-assisted panel reads; without JavaScript the form submits
    there (GET) and the page is computed on the server, with JavaScript planner.js updates it
    through the JSON views below."""
    form = PlannerForm(request.GET or PlannerForm.default_query())
    context = {"form": form, "plan": None, "strata": [], "window": None, "risk_trade": None}
    if form.is_valid():
        strata, window = _count_population(request.user, form)
        context.update(strata=strata, window=window)
        try:
            context["plan"] = planning.plan_sample(strata, **form.planner_inputs())
        except ValueError as error:
            form.add_error(None, str(error))
        if context["plan"] is not None and context["plan"].population:
            data = form.cleaned_data
            scores = risk_planning.population_scores(
                request.user, population_filter(data), data["strata_keys"], window
            )
            context["risk_trade"] = risk_planning.planner_trade(context["plan"], scores)
            context["risk_floor"] = risk_planning.PLANNER_FLOOR
    context["plan_rows"] = _plan_rows(context["plan"])
    context["strata_json"] = _strata_json(context["strata"])
    context["window_json"] = _window_json(context["window"]) if context["window"] else None
    return context


@internal_page
@require_GET
def planner_population(request):
    """JSON: the population per stratum for a filter, counted in one grouped query over the
    tickets the user may see."""
    form = PopulationFilterForm(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    strata, window = _count_population(request.user, form)
    return JsonResponse(
        {
            "population": sum(s.population for s in strata),
            "window": _window_json(window),
            "strata": _strata_json(strata),
        }
    )


def _strata_from_json(rows) -> list[StratumCount]:
    """Strata as the page sends them back: [{"key": "vendor=3|site=5", "label", "population"}]."""
    if not isinstance(rows, list) or len(rows) > MAX_STRATA:
        raise ValueError(f"strata must be a list of at most {MAX_STRATA} objects")
    strata = []
    for number, row in enumerate(rows, start=1):
        try:
            population = row["population"]
            if isinstance(population, bool) or not isinstance(population, int) or population < 0:
                raise ValueError
            token = str(row["key"])
            values = dict(part.split("=", 1) for part in token.split("|")) if token != "all" else {}
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                f"stratum {number}: needs a key like 'vendor=3' and a non-negative integer "
                "population"
            ) from None
        strata.append(StratumCount(values, population, str(row.get("label", token))))
    return strata


@internal_page
@require_POST
def planner_calculate(request):
    """JSON: the plan for given precision inputs and strata sizes (no database access), so
    the page can update on every keystroke without recounting the population."""
    try:
        body = load_json(request.body or b"{}")
        strata = _strata_from_json(body.get("strata", []))
    except (ValueError, AttributeError) as error:
        return JsonResponse({"errors": {"__all__": [{"message": str(error)}]}}, status=400)
    form = PrecisionForm(body)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    try:
        plan = planning.plan_sample(strata, **form.planner_inputs())
    except ValueError as error:
        return JsonResponse({"errors": {"__all__": [{"message": str(error)}]}}, status=400)
    return JsonResponse({"plan": _plan_json(plan)})


# --- plans ---------------------------------------------------------------------------------


@internal_page
def plan_list(request):
    last_run = SampleRun.objects.filter(plan=OuterRef("pk")).order_by("-created_at", "-id")
    plans = list(
        plans_for(request.user)
        .prefetch_related("vendors", "sites", "workflows")
        .annotate(
            last_run_id=Subquery(last_run.values("pk")[:1]),
            last_run_status=Subquery(last_run.values("status")[:1]),
            last_run_at=Subquery(last_run.values("created_at")[:1]),
        )
    )
    statuses = dict(SampleRun.Status.choices)
    for plan in plans:
        plan.filter_summary = reporting.filter_summary(plan)
        plan.strata_summary = reporting.strata_summary(plan.strata_keys)
        plan.schedule_summary = describe_schedule(plan)
        plan.last_run_status_label = statuses.get(plan.last_run_status, "")
    return render(request, "sampling/plan_list.html", {"plans": plans})


def _save_plan(request, form: SamplingPlanForm) -> SamplingPlan:
    with transaction.atomic():
        plan = form.save(commit=False)
        if plan.created_by_id is None:
            plan.created_by = request.user
        plan.save()
        form.save_m2m()
        sync_plan_schedule(plan)
    return plan


@internal_page
@manager_required
def plan_create(request):
    if request.method == "POST":
        form = SamplingPlanForm(request.POST)
        if form.is_valid():
            plan = _save_plan(request, form)
            messages.success(request, f"Plan “{plan.name}” created.")
            return redirect("sampling:plan_detail", pk=plan.pk)
    else:
        form = SamplingPlanForm(initial=initial_from_planner(request.GET))
    return render(request, "sampling/plan_form.html", {"form": form, "plan": None})


@internal_page
@manager_required
def plan_edit(request, pk):
    plan = get_object_or_404(plans_for(request.user), pk=pk)
    if request.method == "POST":
        form = SamplingPlanForm(request.POST, instance=plan)
        if form.is_valid():
            plan = _save_plan(request, form)
            messages.success(request, f"Plan “{plan.name}” saved.")
            return redirect("sampling:plan_detail", pk=plan.pk)
    else:
        form = SamplingPlanForm(instance=plan)
    return render(request, "sampling/plan_form.html", {"form": form, "plan": plan})


def _percent(proportion) -> str:
    return f"{(proportion * 100).normalize():f}"


def _planner_query(plan: SamplingPlan) -> str:
    """The planner's query string for a plan's settings ("Open in planner")."""
    query = QueryDict(mutable=True)
    query.setlist("vendors", [str(v.pk) for v in plan.vendors.all()])
    query.setlist("sites", [str(s.pk) for s in plan.sites.all()])
    query.setlist("workflows", [str(w.pk) for w in plan.workflows.all()])
    query.setlist("strata_keys", plan.strata_keys)
    query.update(
        {
            "decisions": ", ".join(plan.decision_types or []),
            "automation": plan.automation,
            "window_kind": plan.window_kind,
            "window_timezone": plan.window_timezone,
            "confidence": _percent(plan.confidence),
            "margin": _percent(plan.margin_of_error),
            "expected_rate": _percent(plan.expected_rate),
            "minimum": str(plan.minimum_per_stratum),
            "cap": str(plan.max_sample_size or ""),
            "costs": "\n".join(f"{k}: {v:g}" for k, v in (plan.stratum_costs or {}).items()),
        }
    )
    return query.urlencode()


@internal_page
def plan_detail(request, pk):
    plan = get_object_or_404(
        plans_for(request.user).prefetch_related("vendors", "sites", "workflows", "auditors"),
        pk=pk,
    )
    runs = Paginator(
        plan.runs.select_related("requested_by").order_by("-created_at", "-id"), 25
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "sampling/plan_detail.html",
        {
            "plan": plan,
            "page_obj": runs,
            "runs": runs,
            "filter_summary": reporting.filter_summary(plan),
            "strata_summary": reporting.strata_summary(plan.strata_keys),
            "schedule_summary": describe_schedule(plan),
            "planner_query": _planner_query(plan),
        },
    )


@internal_page
@manager_required
@require_POST
def plan_draw(request, pk):
    """Draw now: ask the backend for the run of the plan's current window (created and queued
    unless it already exists), or, with "additional", a supplementary run with a fresh seed."""
    plan = get_object_or_404(plans_for(request.user), pk=pk)
    seed = secrets.randbelow(2**31) if request.POST.get("additional") else None
    asked_at = timezone.now()
    try:
        run = request_run(plan, seed=seed, requested_by=request.user, trigger="manual")
    except ValueError as error:
        messages.error(request, f"Could not draw: {error}")
        return redirect("sampling:plan_detail", pk=plan.pk)
    if run.created_at < asked_at:
        messages.info(request, "This window was already drawn with this seed; here is that run.")
    else:
        messages.success(request, "Draw requested. The report fills in as the run progresses.")
    return redirect("sampling:run_detail", pk=run.pk)


# --- runs ----------------------------------------------------------------------------------


@internal_page
@require_GET
def run_status(request, pk):
    """JSON: a run's status and progress, polled by the run page while it is not finished."""
    run = get_object_or_404(runs_for(request.user), pk=pk)
    return JsonResponse(
        {
            "id": run.pk,
            **run.job_status(),
            "failure_reason": run.failure_reason,
            "url": reverse("sampling:run_detail", args=[run.pk]),
        }
    )
