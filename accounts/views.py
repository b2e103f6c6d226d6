from django.contrib import messages
from django.shortcuts import redirect, render

from .decorators import manager_required
from .forms import InviteForm
from .invitations import invite


@manager_required
def invite_person(request):
    """Managers and admins invite people; nobody can sign up on their own."""
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = invite(request, **form.cleaned_data)
        messages.success(request, f"Invitation sent to {user.email}.")
        return redirect("accounts:invite")
    return render(request, "accounts/invite.html", {"form": form})
