"""Single sign-on (OpenID Connect, through allauth's ``openid_connect`` provider) for internal
staff. Configured from the environment (settings.oidc_providers); docs/integrations.md.

- A person's first SSO login creates their account with **no role**: they see the "no access
  yet" page and no data until a program manager gives them a role on the People pages.
- A verified email from the identity provider logs in the staff account with that email.
- Vendor users (and service accounts) never log in this way: they keep invitation, password
  and TOTP. An SSO login whose email (or linked account) is theirs is refused.
- The start and callback URLs count against allauth's ``login`` rate limit.
"""

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.decorators import rate_limit
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.openid_connect import views as oidc_views
from django.db.models import Q
from django.shortcuts import render

from .models import User

NO_ROLE = ""


class StaffOnlySSOAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None):
        """The identity provider comes from the environment only (settings), never from
        SocialApp rows made in the admin: one place to configure it, and the login page
        asks the database nothing. (A private allauth helper; allauth is pinned <65.23.)"""
        from allauth.socialaccount.adapter import _build_apps_from_settings

        by_provider = _build_apps_from_settings(provider=provider, client_id=client_id)
        return [app for apps in by_provider.values() for app in apps]

    def is_open_for_signup(self, request, sociallogin) -> bool:
        """Just-in-time accounts for whoever the company's IdP vouches for; they hold no
        role, and so see nothing, until a manager gives one."""
        return True

    def populate_user(self, request, sociallogin, data):
        user = super().populate_user(request, sociallogin, data)
        user.role, user.vendor, user.is_staff, user.is_superuser = NO_ROLE, None, False, False
        return user

    def pre_social_login(self, request, sociallogin) -> None:
        """Refuse the login when it would reach a vendor user or a service account, and a
        vendor user's attempt to connect an IdP account to theirs."""
        if getattr(request.user, "is_vendor_user", False) or getattr(
                request.user, "is_service_account", False):
            raise ImmediateHttpResponse(render(request, "accounts/sso_refused.html", status=403))
        emails = {address.email for address in sociallogin.email_addresses}
        emails.add(sociallogin.user.email or "")
        emails.discard("")
        match = Q(pk__in=[sociallogin.user.pk] if sociallogin.user.pk else [])
        for email in emails:
            match |= Q(email__iexact=email)
        for user in User.objects.filter(match):
            if user.is_vendor_user or user.is_service_account:
                raise ImmediateHttpResponse(
                    render(request, "accounts/sso_refused.html", status=403))


# allauth does not rate-limit social login URLs itself; these wrap its views with the same
# "login" limit (ACCOUNT_RATE_LIMITS) as the password form. qa_program/urls.py routes them.
login = rate_limit(action="login", limit_get=True)(oidc_views.login)
callback = rate_limit(action="login", limit_get=True)(oidc_views.callback)
