"""The Service accounts page for program managers: every machine client of the API with its
scopes, vendor and tokens; create an account, issue a token (shown once), revoke a token,
deactivate an account. Vendor users get 404, auditors 403; every change is a POST. The rules
live in accounts.service_accounts."""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from vendors.models import Vendor

from .decorators import internal_page, manager_required
from .service_accounts import (
    DEFAULT_EXPIRY_DAYS,
    MAX_EXPIRY_DAYS,
    SCOPES,
    ServiceAccountError,
    create_service_account,
    deactivate,
    issue_token,
    revoke_token,
    service_accounts,
)

EXPIRY_HELP = f"The token stops working after this many days (1 to {MAX_EXPIRY_DAYS})."


class ServiceAccountForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the account is for, e.g. "
                           "“Zendesk ticket push”.")
    scopes = forms.MultipleChoiceField(choices=[(s, s) for s in SCOPES],
                                       widget=forms.CheckboxSelectMultiple)
    vendor = forms.ModelChoiceField(
        queryset=Vendor.objects.all(), required=False, empty_label="None (every vendor)",
        help_text="Bound to a vendor, the account sees only what that vendor's users see.")
    expires_days = forms.IntegerField(label="First token expires in days", min_value=1,
                                      max_value=MAX_EXPIRY_DAYS, initial=DEFAULT_EXPIRY_DAYS,
                                      help_text=EXPIRY_HELP)


class IssueTokenForm(forms.Form):
    expires_days = forms.IntegerField(label="Expires in days", min_value=1,
                                      max_value=MAX_EXPIRY_DAYS, initial=DEFAULT_EXPIRY_DAYS)


def _list_page(request, form=None, error="", status=200):
    return render(request, "accounts/service_accounts.html", {
        "accounts": service_accounts(), "form": form or ServiceAccountForm(),
        "token_form": IssueTokenForm(), "error": error, "now": timezone.now(),
    }, status=status)


def _token_page(request, account, issued):
    return render(request, "accounts/service_token_issued.html",
                  {"account": account, "issued": issued}, status=201)


@internal_page
@manager_required
@never_cache
def service_account_list(request):
    """GET lists the accounts; POST creates one and shows its first token once."""
    if request.method != "POST":
        return _list_page(request)
    form = ServiceAccountForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form, status=400)
    data = form.cleaned_data
    try:
        with transaction.atomic():
            account = create_service_account(data["name"], data["scopes"], vendor=data["vendor"],
                                             by=request.user)
            issued = issue_token(account, by=request.user, expires_days=data["expires_days"])
    except ServiceAccountError as refused:
        return _list_page(request, form, str(refused), status=400)
    return _token_page(request, account, issued)


def _account(pk: int):
    return get_object_or_404(service_accounts(), pk=pk)


@internal_page
@manager_required
@never_cache
@require_POST
def service_account_token(request, pk: int):
    """Issue another token (rotation); it is shown once."""
    account = _account(pk)
    form = IssueTokenForm(request.POST)
    if not form.is_valid():
        error = "; ".join(form.errors["expires_days"])
        return _list_page(request, error=f"Expires in days: {error}", status=400)
    try:
        issued = issue_token(account, by=request.user,
                             expires_days=form.cleaned_data["expires_days"])
    except ServiceAccountError as refused:
        return _list_page(request, error=str(refused), status=400)
    return _token_page(request, account, issued)


@internal_page
@manager_required
@require_POST
def service_token_revoke(request, pk: int, token_pk: int):
    account = _account(pk)
    token = get_object_or_404(account.tokens.all(), pk=token_pk)
    revoke_token(token, by=request.user)
    messages.success(request, f"Token {token.prefix}… of {account} is revoked.")
    return redirect("accounts:service_accounts")


@internal_page
@manager_required
@require_POST
def service_account_deactivate(request, pk: int):
    account = deactivate(_account(pk))
    messages.success(request, f"{account} is deactivated; none of its tokens works any more.")
    return redirect("accounts:service_accounts")
