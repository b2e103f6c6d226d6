"""allauth hooks: who may sign up (nobody), when a fresh login counts as a
reauthentication, who may log in with a password (not the people of a vendor whose own IdP
is required), when two-factor is asked, and who may turn it off (not vendors)."""

import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.shortcuts import render

from . import vendor_sso

MFA_STAGE = "allauth.mfa.stages.AuthenticateStage"


class InviteOnlyAccountAdapter(DefaultAccountAdapter):
    """No open sign-up: people join when a manager or admin invites them."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """allauth asks for the password again before two-factor pages unless the session
        holds an explicit *re*authentication, so a vendor POC sent to enrol TOTP right after
        logging in met a second password prompt. A login within the reauthentication
        timeout (five minutes) is as fresh as a reauthentication: no prompt then."""
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        return not logged_in_recently(context.request)

    def pre_login(self, request, user, **kwargs):
        """A vendor whose IdP is required has no password logins (nor any other way in but
        that IdP): refused with the reason and the way in."""
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        required = vendor_sso.password_login_refusal(
            user, sociallogin.account.provider if sociallogin else None)
        if required is not None:
            from allauth.account.internal.stagekit import clear_login

            clear_login(request)
            return render(request, "accounts/idp_required.html", {"idp": required}, status=403)
        return super().pre_login(request, user, **kwargs)

    def get_login_stages(self) -> list[str]:
        """allauth's stages, with its two-factor step replaced by one that lets an IdP a
        manager trusts for two-factor stand for the local TOTP code (accounts.mfa)."""
        return ["accounts.mfa.AuthenticateStage" if stage == MFA_STAGE else stage
                for stage in super().get_login_stages()]


def logged_in_recently(request) -> bool:
    """Whether the session's user authenticated (password, or password and TOTP) within
    allauth's reauthentication timeout."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    latest = max((record.get("at", 0) for record in get_authentication_records(request, user)),
                 default=0)
    return time.time() - latest < account_settings.REAUTHENTICATION_TIMEOUT


class ProgramMFAAdapter(DefaultMFAAdapter):
    """Vendor users must keep their authenticator app: two-factor is required of them, so
    deactivating it would only lock them out of everything until they enrol again."""

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type == Authenticator.Type.TOTP and authenticator.user.is_vendor_user:
            return False
        return super().can_delete_authenticator(authenticator)
