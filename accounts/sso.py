"""Single sign-on (OpenID Connect, through allauth's ``openid_connect`` provider): the staff
IdP, configured from the environment (settings.oidc_providers), and each vendor's own IdP,
configured by managers in the app (accounts.vendor_sso); docs/integrations.md.

Staff IdP (provider id ``sso``):
- A person's first SSO login creates their account with **no role**: they see the "no access
  yet" page and no data until a program manager gives them a role on the People pages.
- A verified email from the identity provider logs in the staff account with that email.
- Vendor users (and service accounts) never log in this way. An SSO login whose email (or
  linked account) is theirs is refused.

A vendor's IdP (provider id ``vendor-<pk>``) signs in that vendor's people only; the rules
are accounts.vendor_sso.check_vendor_login. The start and callback URLs of both count against
allauth's ``login`` rate limit.
"""

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.decorators import rate_limit
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.openid_connect import views as oidc_views
from django.db.models import Q
from django.shortcuts import render

from . import vendor_sso
from .models import User

NO_ROLE = ""


class ProgramSSOAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None):
        """The staff IdP comes from the environment (settings), vendors' IdPs from their
        VendorIdentityProvider rows; SocialApp rows made in the admin are ignored (one place
        to configure each). Vendor IdPs are looked up only when a provider is asked for, so
        the login page's provider buttons ask the database nothing. (A private allauth
        helper; allauth is pinned <65.23.)"""
        from allauth.socialaccount.adapter import _build_apps_from_settings

        by_provider = _build_apps_from_settings(provider=provider, client_id=client_id)
        apps = [app for apps in by_provider.values() for app in apps]
        if provider is not None:
            apps += vendor_sso.social_apps(provider, client_id)
        return apps

    def is_open_for_signup(self, request, sociallogin) -> bool:
        """Just-in-time accounts for whoever the company's IdP vouches for: staff hold no
        role, and so see nothing, until a manager gives one; a vendor's people only where
        the manager allowed them (pre_social_login has refused the others, saying why)."""
        return True

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.role, user.vendor, user.is_staff, user.is_superuser = NO_ROLE, None, False, False
        vendor_id = vendor_sso.vendor_id_of(sociallogin.account.provider)
        if vendor_id is not None:
            user.role, user.vendor_id = vendor_sso.JIT_ROLE, vendor_id
        return user

    def pre_social_login(self, request, sociallogin) -> None:
        """Refuse a login that would reach someone this IdP may not sign in: the staff IdP
        never a vendor user or a service account, a vendor's IdP only its own vendor's
        people (vendor_sso.check_vendor_login)."""
        reached = list(User.objects.filter(_reached(sociallogin)))
        if vendor_sso.vendor_id_of(sociallogin.account.provider) is not None:
            if sociallogin.state.get("process") == "connect":
                _refuse(request, "Link your company sign-in by signing in with it.")
            email = (sociallogin.user.email or "").strip()
            verified = any(address.verified for address in sociallogin.email_addresses
                           if address.email.lower() == email.lower())
            try:
                vendor_sso.check_vendor_login(sociallogin.account.provider, email, verified,
                                              reached)
            except vendor_sso.SignInRefused as refusal:
                _refuse(request, str(refusal))
            return
        if getattr(request.user, "is_vendor_user", False) or getattr(
                request.user, "is_service_account", False):
            _refuse(request)
        for user in reached:
            if user.is_vendor_user or user.is_service_account:
                _refuse(request)


def _reached(sociallogin) -> Q:
    """The accounts an IdP login could log in: its linked account and every account with
    one of its email addresses (any case)."""
    emails = {address.email for address in sociallogin.email_addresses}
    emails.add(sociallogin.user.email or "")
    emails.discard("")
    match = Q(pk__in=[sociallogin.user.pk] if sociallogin.user.pk else [])
    for email in emails:
        match |= Q(email__iexact=email)
    return match


def _refuse(request, reason: str = ""):
    raise ImmediateHttpResponse(
        render(request, "accounts/sso_refused.html", {"reason": reason}, status=403))


# allauth does not rate-limit social login URLs itself; these wrap its views with the same
# "login" limit (ACCOUNT_RATE_LIMITS) as the password form. qa_program/urls.py routes them.
login = rate_limit(action="login", limit_get=True)(oidc_views.login)
callback = rate_limit(action="login", limit_get=True)(oidc_views.callback)
