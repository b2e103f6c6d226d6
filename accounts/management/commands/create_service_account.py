"""``python manage.py create_service_account NAME --scopes tickets:write,audits:read
[--vendor SLUG] [--expires-days N]``: a service account and its first token.

The token is printed once, on the last line, so a script can take it with ``tail -n 1``.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.service_accounts import (
    DEFAULT_EXPIRY_DAYS,
    SCOPES,
    ServiceAccountError,
    create_service_account,
    issue_token,
)
from vendors.models import Vendor


class Command(BaseCommand):
    help = (
        "Create a service account for the API with the given scopes (optionally bound to one "
        "vendor) and print its first token on the last line. Valid scopes: "
        + ", ".join(SCOPES) + "."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="A name that says what the account is for.")
        parser.add_argument("--scopes", required=True,
                            help="Comma-separated scopes, e.g. tickets:write,audits:read.")
        parser.add_argument("--vendor", default=None,
                            help="A vendor's slug: the account then sees only that vendor.")
        parser.add_argument("--expires-days", type=int, default=DEFAULT_EXPIRY_DAYS,
                            help=f"Days until the token expires (default {DEFAULT_EXPIRY_DAYS}).")

    def handle(self, *args, name: str, scopes: str, vendor: str | None, expires_days: int,
               **options):
        bound = None
        if vendor is not None:
            bound = Vendor.objects.filter(slug=vendor).first()
            if bound is None:
                known = ", ".join(Vendor.objects.order_by("slug").values_list("slug", flat=True))
                raise CommandError(f"--vendor: no vendor with slug “{vendor}” (known: "
                                   f"{known or 'none'}).")
        try:
            with transaction.atomic():  # no account without its token
                account = create_service_account(name, scopes, vendor=bound)
                issued = issue_token(account, expires_days=expires_days)
        except ServiceAccountError as refused:
            raise CommandError(str(refused)) from refused
        reach = f"vendor {bound.slug}" if bound else "every vendor"
        self.stdout.write(
            f"Service account “{account.name}” ({reach}); scopes: {', '.join(account.scopes)}.\n"
            f"Token {issued.token.prefix}… expires {issued.token.expires_at:%Y-%m-%d %H:%M} UTC; "
            "it is shown only now. Send it as “Authorization: Bearer <token>”.")
        self.stdout.write(issued.raw)
