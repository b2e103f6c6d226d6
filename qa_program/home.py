"""The home URL, ``/``: it sends each role to its own first page (wiring, like the URLs)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from audits import workspace_views
from calibration.views import own_reliability_panel
from scorecards import overview_views


@login_required
def home(request):
    """Role-aware home: vendor POCs land on the partner portal, auditors on their own work (queue
    at a glance, their numbers, and their calibration accuracy from the app above audits),
    managers on the program overview, rendered here so the home URL stays ``/``."""
    user = request.user
    if user.is_vendor_user:
        return redirect("portal:home")
    if not user.is_internal:
        return render(request, "accounts/no_role.html", status=403)
    if not user.is_manager:
        return workspace_views.auditor_home(request, [own_reliability_panel(request)])
    return overview_views.overview(request)
