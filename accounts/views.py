from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from vendors import selectors as vendor_selectors

from .decorators import manager_required
from .forms import InviteForm
from .invitations import invite


@login_required
def home(request):
    """Role-aware home: vendor POCs land on their vendor, staff on the program overview."""
    user = request.user
    if user.is_vendor_user:
        return redirect(user.vendor.get_absolute_url())
    if not user.is_internal:
        return render(request, "accounts/no_role.html", status=403)
    vendors = list(vendor_selectors.vendor_overview(user))
    volume = vendor_selectors.ticket_counts(user, "vendor")
    for vendor in vendors:
        vendor.ticket_count = volume.get(vendor.pk, 0)
    total = sum(volume.values())
    busiest = max(volume.values(), default=0)
    return render(
        request,
        "accounts/home.html",
        {"vendors": vendors, "ticket_total": total, "busiest": busiest or 1},
    )


@manager_required
def invite_person(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = invite(request, **form.cleaned_data)
        messages.success(request, f"Invitation sent to {user.email}.")
        return redirect("accounts:invite")
    return render(request, "accounts/invite.html", {"form": form})
