"""Multi-factor rules: TOTP is open to everyone and required of vendor users, unless they
signed in through their vendor's IdP and a manager trusts that IdP for two-factor."""

from allauth.account.internal.flows.login import get_authentication_records
from allauth.mfa import stages
from allauth.mfa.models import Authenticator

from . import vendor_sso

MFA_REQUIRED_MESSAGE = "Vendor users must enrol two-factor authentication before using the API."


def has_totp(user) -> bool:
    """Whether ``user`` has an authenticator app enrolled."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def must_enrol_totp(user, request=None) -> bool:
    """A vendor POC without TOTP may do nothing but enrol it. A service account bound to a
    vendor has no login to protect: its bearer token is its only credential. A session
    (``request``) signed in through the user's vendor's IdP trusted for two-factor has had
    its second factor there."""
    return (bool(getattr(user, "is_authenticated", False) and user.is_vendor_user
                 and not user.is_service_account) and not has_totp(user)
            and not (request is not None and signed_in_by_trusted_idp(request, user)))


def signed_in_by_trusted_idp(request, user) -> bool:
    """Whether this session's login of ``user`` went through their vendor's IdP that a
    manager trusts for two-factor."""
    logins = [record for record in get_authentication_records(request, user)
              if record.get("method") == "socialaccount"]
    return bool(logins) and vendor_sso.idp_vouches_for_mfa(user, logins[-1].get("provider"))


class AuthenticateStage(stages.AuthenticateStage):
    """allauth's "type your code" login step, skipped for a login through the user's
    vendor's IdP that a manager trusts for two-factor (the IdP asked for it); asked after
    every other login, the staff IdP's included."""

    def _should_handle(self, request) -> bool:
        sociallogin = (self.login.signal_kwargs or {}).get("sociallogin")
        if sociallogin is not None and vendor_sso.idp_vouches_for_mfa(
                self.login.user, sociallogin.account.provider):
            return False
        return super()._should_handle(request)
