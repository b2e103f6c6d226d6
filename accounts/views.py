from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from audits import workspace_views
from scorecards import overview_views

from .decorators import manager_required
from .forms import InviteForm
from .invitations import invite


@login_required
def home(request):
    """Role-aware home: vendor POCs land on the partner portal, auditors on their own work (queue
    at a glance, their numbers), managers on the program overview, rendered here so the home
    URL stays ``/``."""
    user = request.user
    if user.is_vendor_user:
        return redirect("portal:home")
    if not user.is_internal:
        return render(request, "accounts/no_role.html", status=403)
    if not user.is_manager:
        return workspace_views.auditor_home(request)
    return overview_views.overview(request)


@manager_required
def invite_person(request):
    """Managers and admins invite people; nobody can sign up on their own."""
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = invite(request, **form.cleaned_data)
        messages.success(request, f"Invitation sent to {user.email}.")
        return redirect("accounts:invite")
    return render(request, "accounts/invite.html", {"form": form})
