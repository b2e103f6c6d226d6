"""allauth hooks: who may sign up (nobody) and who may turn off two-factor (not vendors)."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator


class InviteOnlyAccountAdapter(DefaultAccountAdapter):
    """No open sign-up: people join when a manager or admin invites them."""

    def is_open_for_signup(self, request) -> bool:
        return False


class ProgramMFAAdapter(DefaultMFAAdapter):
    """Vendor users must keep their authenticator app: two-factor is required of them, so
    deactivating it would only lock them out of everything until they enrol again."""

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type == Authenticator.Type.TOTP and authenticator.user.is_vendor_user:
            return False
        return super().can_delete_authenticator(authenticator)
