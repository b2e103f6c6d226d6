"""A vendor's own sign-in: the page where a person types their work email and is sent to
their company's IdP, and the page where a manager sets that IdP up for one vendor (vendor
users get 404, auditors 403). The rules live in accounts.vendor_sso."""

from allauth.account.utils import get_next_redirect_url
from allauth.decorators import rate_limit
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from vendors.models import Vendor

from . import vendor_sso
from .decorators import internal_page, manager_required
from .models import VendorIdentityProvider
from .vendor_sso_forms import CompanySignInForm, VendorIdentityProviderForm


@rate_limit(action="login", limit_get=True)
def company_sign_in(request):
    """GET asks for the work email; POST sends the person to the IdP of the vendor whose
    allowed domains hold it (the same ``login`` rate limit as the password form)."""
    form = CompanySignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        idp = vendor_sso.provider_for_email(email)
        if idp is None:
            form.add_error(
                "email",
                f"No company sign-in is set up for "
                f"{email.rpartition('@')[2]}. Log in with your password, "
                f"or ask your program manager.",
            )
        else:
            try:
                provider = get_adapter().get_provider(
                    request, vendor_sso.provider_id_of(idp.vendor_id)
                )
            except SocialApp.DoesNotExist:
                form.add_error(
                    "email",
                    f"{idp.vendor}'s sign-in cannot be used until a "
                    f"program manager enters its client secret again.",
                )
            else:
                return provider.redirect(
                    request,
                    process="login",
                    next_url=get_next_redirect_url(request),
                    auth_params={**provider.get_auth_params(), "login_hint": email},
                )
    status = 400 if form.errors else 200
    return render(request, "accounts/company_sign_in.html", {"form": form}, status=status)


@internal_page
@manager_required
def vendor_sign_in_settings(request, slug: str):
    """One vendor's IdP: GET shows it (never its secret), POST saves it with history."""
    vendor = get_object_or_404(Vendor, slug=slug)
    idp = VendorIdentityProvider.objects.filter(vendor=vendor).first() or VendorIdentityProvider(
        vendor=vendor
    )
    form = VendorIdentityProviderForm(request.POST or None, instance=idp)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                vendor_sso.save_identity_provider(
                    form.save(commit=False),
                    request.user,
                    secret=form.cleaned_data["client_secret"],
                    reason=form.cleaned_data["reason"],
                )
            except ValueError as refused:
                form.add_error(None, str(refused))
            else:
                messages.success(request, f"Saved {vendor}'s sign-in.")
                return redirect("vendors:vendor_sign_in", slug=vendor.slug)
        status = 400
    callback = request.build_absolute_uri(
        reverse(
            "openid_connect_callback", kwargs={"provider_id": vendor_sso.provider_id_of(vendor.pk)}
        )
    )
    return render(
        request,
        "accounts/vendor_sign_in.html",
        {
            "vendor": vendor,
            "idp": idp if idp.pk else None,
            "form": form,
            "callback_url": callback,
            "history": vendor_sso.changes(idp) if idp.pk else [],
        },
        status=status,
    )
