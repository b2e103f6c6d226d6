"""The inbox: a person's own notifications (another person's is a 404), and their email
preferences (the weekly digest on or off)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .models import EmailPreference
from .selectors import inbox_of

PAGE_SIZE = 25


@login_required
def inbox(request):
    page = Paginator(inbox_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def mark_read(request, pk: int):
    """Mark one notification read, then follow its link (or go back to the inbox)."""
    notification = get_object_or_404(inbox_of(request.user), pk=pk)
    if notification.read_at is None:
        inbox_of(request.user).filter(pk=pk).update(read_at=timezone.now())
    target = notification.link if request.POST.get("follow") else ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return redirect(target)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request):
    inbox_of(request.user).filter(read_at__isnull=True).update(read_at=timezone.now())
    return redirect("notifications:inbox")


@login_required
def preferences(request):
    """The person's own email preferences: one checkbox, the weekly digest (on by default)."""
    preference = EmailPreference.objects.filter(user=request.user).first()
    weekly = preference.weekly_digest if preference else True
    if request.method == "POST":
        weekly = request.POST.get("weekly_digest") == "on"
        EmailPreference.objects.update_or_create(user=request.user,
                                                 defaults={"weekly_digest": weekly})
        messages.success(request, "Weekly digest " + ("on." if weekly else "off."))
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"weekly_digest": weekly})
