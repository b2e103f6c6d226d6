"""The Connectors pages for program managers: each help desk pulled, where it stands, a
"Pull now" button, and a form to add or change one. Vendor users get 404, auditors 403; the
rules live in connectors.pulling."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.decorators import internal_page, manager_required
from accounts.scoping import visible_to

from . import tasks
from .forms import ConnectorForm
from .models import Connector


def _connectors(user):
    return visible_to(user, Connector.objects.select_related("vendor"))


@internal_page
@manager_required
@never_cache
def connector_list(request):
    return render(request, "connectors/connector_list.html",
                  {"connectors": _connectors(request.user)})


def _form_page(request, form, connector=None):
    status = 400 if form.is_bound else 200
    return render(request, "connectors/connector_form.html",
                  {"form": form, "connector": connector}, status=status)


@internal_page
@manager_required
@never_cache
def connector_new(request):
    form = ConnectorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        connector = form.save()
        messages.success(request, f"{connector} is saved.")
        return redirect("connectors:connector_list")
    return _form_page(request, form)


@internal_page
@manager_required
@never_cache
def connector_edit(request, pk: int):
    connector = get_object_or_404(_connectors(request.user), pk=pk)
    form = ConnectorForm(request.POST or None, instance=connector)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"{connector} is saved.")
        return redirect("connectors:connector_list")
    return _form_page(request, form, connector)


@internal_page
@manager_required
@require_POST
def connector_pull(request, pk: int):
    """Queue a pull of one connector now (run here when there is no worker)."""
    connector = get_object_or_404(_connectors(request.user), pk=pk)
    tasks.pull_connector.delay(connector.pk)
    messages.success(request, f"A pull of {connector} is queued; this page shows its outcome.")
    return redirect("connectors:connector_list")
