"""The inbox: a person's own notifications. Another person's notification is a 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

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
