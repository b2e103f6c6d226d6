from allauth.account.adapter import DefaultAccountAdapter


class InviteOnlyAccountAdapter(DefaultAccountAdapter):
    """No open sign-up: people join when a manager or admin invites them."""

    def is_open_for_signup(self, request) -> bool:
        return False
