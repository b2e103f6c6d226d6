"""The Webhooks pages for program managers: endpoints, their delivery log, replay. Vendor
users get 404, auditors 403; every change is a POST. The rules live in webhooks.endpoints and
webhooks.delivery."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.decorators import internal_page, manager_required
from accounts.scoping import visible_to

from .delivery import replay
from .endpoints import EndpointError, create_endpoint, rotate_secret, update_endpoint
from .forms import EndpointForm, NewEndpointForm
from .models import Endpoint

LOG_SIZE = 50


def _endpoints(user):
    return visible_to(user, Endpoint.objects.select_related("vendor"))


def _list_page(request, form=None, error="", status=200):
    return render(request, "webhooks/endpoint_list.html", {
        "endpoints": _endpoints(request.user), "form": form or NewEndpointForm(),
        "error": error,
    }, status=status)


def _secret_page(request, endpoint):
    return render(request, "webhooks/secret.html", {"endpoint": endpoint}, status=201)


@internal_page
@manager_required
@never_cache
def endpoint_list(request):
    """GET lists the endpoints; POST registers one and shows its secret once."""
    if request.method != "POST":
        return _list_page(request)
    form = NewEndpointForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    try:
        endpoint = create_endpoint(by=request.user, **form.cleaned_data)
    except EndpointError as refused:
        return _list_page(request, form, str(refused), status=400)
    return _secret_page(request, endpoint)


@internal_page
@manager_required
@never_cache
def endpoint_detail(request, pk: int):
    """The endpoint's settings (POST saves them) and its latest deliveries."""
    endpoint = get_object_or_404(_endpoints(request.user), pk=pk)
    form, error, status = None, "", 200
    if request.method == "POST":
        form = EndpointForm(request.POST)
        if form.is_valid():
            try:
                update_endpoint(endpoint, **form.cleaned_data)
            except EndpointError as refused:
                error, status = str(refused), 400
            else:
                messages.success(request, f"{endpoint} is saved.")
                return redirect("webhooks:endpoint_detail", pk=endpoint.pk)
        else:
            status = 400
    form = form or EndpointForm(initial={
        "name": endpoint.name, "url": endpoint.url,
        "events": endpoint.events, "vendor": endpoint.vendor, "is_active": endpoint.is_active})
    deliveries = endpoint.deliveries.select_related("replay_of").order_by("-id")[:LOG_SIZE]
    return render(request, "webhooks/endpoint_detail.html", {
        "endpoint": endpoint, "form": form, "error": error, "deliveries": deliveries,
    }, status=status)


@internal_page
@manager_required
@never_cache
@require_POST
def endpoint_secret(request, pk: int):
    """A new generated secret, shown once."""
    endpoint = get_object_or_404(_endpoints(request.user), pk=pk)
    if endpoint.kind != Endpoint.Kind.JSON:
        messages.error(request, "A Slack endpoint is not signed: it has no secret to rotate.")
        return redirect("webhooks:endpoint_detail", pk=endpoint.pk)
    return _secret_page(request, rotate_secret(endpoint))


@internal_page
@manager_required
@require_POST
def delivery_replay(request, pk: int, delivery_pk: int):
    endpoint = get_object_or_404(_endpoints(request.user), pk=pk)
    delivery = get_object_or_404(endpoint.deliveries.all(), pk=delivery_pk)
    copy = replay(delivery)
    messages.success(request, f"Delivery #{delivery.pk} ({delivery.event}) is queued again "
                              f"as #{copy.pk}.")
    return redirect("webhooks:endpoint_detail", pk=endpoint.pk)
