"""The People pages for program managers: everyone with role, vendor, MFA and last login;
one person's role, activation, invitation and history. Vendor users get 404 (the pages do
not exist for them), auditors 403. Every change is a POST; the rules live in
accounts.people."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .decorators import internal_page, manager_required
from .forms import PeopleFilterForm, RoleForm
from .people import (
    PeopleError,
    change_role,
    changes_of,
    people,
    recent_changes,
    resend_invitation,
    set_active,
)

PEOPLE_PER_PAGE = 100


@internal_page
@manager_required
def people_list(request):
    filters = PeopleFilterForm(request.GET or None)
    rows, status = people(), 200
    if filters.is_bound and not filters.is_valid():
        rows, status = rows.none(), 400
    elif filters.is_bound:
        data = filters.cleaned_data
        if data["q"]:
            rows = rows.filter(email__icontains=data["q"])
        if data["role"]:
            rows = rows.filter(role=data["role"])
        if data["active"]:
            rows = rows.filter(is_active=data["active"] == "yes")
    page = Paginator(rows, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "accounts/people.html", {
        "filters": filters, "page_obj": page, "changes": recent_changes(),
    }, status=status)


def _person(pk: int):
    return get_object_or_404(people(), pk=pk)


def _person_page(request, person, form=None, error="", status=200):
    form = form or RoleForm(initial={"role": person.role, "vendor": person.vendor_id})
    return render(request, "accounts/person.html", {
        "person": person, "form": form, "error": error, "changes": changes_of(person),
        "is_self": person.pk == request.user.pk,
    }, status=status)


@internal_page
@manager_required
def person_detail(request, pk: int):
    """One person: the role form (GET shows it, POST changes the role) and their history."""
    person = _person(pk)
    if request.method != "POST":
        return _person_page(request, person)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _person_page(request, person, form, status=400)
    try:
        change_role(person, request.user, form.cleaned_data["role"],
                    form.cleaned_data["vendor"])
    except PeopleError as refused:
        return _person_page(request, person, form, str(refused), status=400)
    messages.success(request, f"{person} is now {person.get_role_display()}"
                              f"{f' of {person.vendor}' if person.vendor_id else ''}.")
    return redirect("accounts:person", pk=person.pk)


@internal_page
@manager_required
@require_POST
def person_active(request, pk: int):
    """``active=no`` deactivates the person, ``active=yes`` reactivates them."""
    person = _person(pk)
    wanted = request.POST.get("active", "")
    if wanted not in ("yes", "no"):
        return _person_page(request, person, error="Active: say “yes” or “no”.", status=400)
    try:
        set_active(person, request.user, wanted == "yes")
    except PeopleError as refused:
        return _person_page(request, person, error=str(refused), status=400)
    messages.success(request, f"{person} is {'active' if person.is_active else 'deactivated'}.")
    return redirect("accounts:person", pk=person.pk)


@internal_page
@manager_required
@require_POST
def person_invitation(request, pk: int):
    person = _person(pk)
    try:
        resend_invitation(request, person)
    except PeopleError as refused:
        return _person_page(request, person, error=str(refused), status=400)
    messages.success(request, f"Invitation sent again to {person}.")
    return redirect("accounts:person", pk=person.pk)
