"""``python manage.py seed_demo``: load (or top up) the demo program. Idempotent.

Each app seeds its own part in its ``demo`` module, in dependency order (vendors, then
people, then tickets); later capabilities add their app's ``demo.seed()`` call to
``handle``. The command only orders the calls and prints what they did.

Seeding goes through the domain functions, which notify people (findings, disputes, coaching)
after each commit. The notifications are kept, so the demo inboxes have items, but their
emails go to Django's dummy backend: a seed would otherwise print hundreds of emails to the
console (the development backend) or mail the demo addresses. A separate Celery worker
(``REDIS_URL`` set) sends with its own settings. Without a worker the tasks run eagerly in
the command, whose Celery log lines are silenced while it seeds (``quiet_loggers``): the
command prints its summary and the logins, nothing else.
"""

import logging
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from demo import calibration as calibration_demo
from demo import coaching as coaching_demo
from demo import disputes as demo_disputes
from demo import forms as demo_forms
from demo import people as accounts_demo
from demo import reaudits as reaudits_demo
from demo import risk_model as risk_model_demo
from demo import sampling as sampling_demo
from demo import tickets as audits_demo
from demo import vendor_qa as vendor_qa_demo
from demo import vendors as vendors_demo
from demo.story import story_lines
from rollups.writer import rebuild_rollups

SERVE_URL = "http://127.0.0.1:8000"
QUIET_EMAIL = "django.core.mail.backends.dummy.EmailBackend"
# Loggers that would print a line per eager Celery task ("Task … succeeded in 0.1s") and
# kombu's notice that the in-memory broker has no hostname; the level they are raised to
# still lets a failing task's error through.
QUIET_LOGGERS = {"celery.app.trace": logging.WARNING, "kombu.connection": logging.ERROR}


@contextmanager
def quiet_loggers():
    """Raise ``QUIET_LOGGERS`` to their quiet level while seeding, then restore them."""
    loggers = {logging.getLogger(name): level for name, level in QUIET_LOGGERS.items()}
    before = {logger: logger.level for logger in loggers}
    for logger, level in loggers.items():
        logger.setLevel(max(level, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        for logger, level in before.items():
            logger.setLevel(level)


def _manager(logins):
    """The demo program manager, who publishes the demo forms."""
    return next((user for user, login in logins if user.is_manager and not user.is_superuser), None)


class Command(BaseCommand):
    help = (
        "Create the demo program (vendors, sites, agents, workflows, contract targets, "
        "demo logins, tickets, audit forms, sampling plans with past runs and scored "
        "audits). Running it again adds only what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tickets",
            type=int,
            default=audits_demo.DEFAULT_TICKETS,
            help=f"How many demo tickets to have (default {audits_demo.DEFAULT_TICKETS:,}).",
        )
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Seed even though DEBUG is off. The demo logins share a published password.",
        )

    def handle(self, *args, tickets: int, allow_without_debug: bool, **options):
        if tickets < 0:
            raise CommandError("--tickets must be zero or more.")
        if not settings.DEBUG and not allow_without_debug:
            raise CommandError(
                "seed_demo creates logins whose password it prints, so it only runs with "
                "DJANGO_DEBUG=1 (as `make demo` sets). Pass --allow-without-debug to seed a "
                "throwaway non-debug deployment anyway."
            )
        started = time.monotonic()
        # Around the transaction: the notifications' emails and the scorecard refreshes are
        # queued when it commits (and run there, eagerly, without a worker).
        with quiet_loggers(), override_settings(EMAIL_BACKEND=QUIET_EMAIL), transaction.atomic():
            counts = vendors_demo.seed()
            logins = accounts_demo.seed()
            counts |= audits_demo.seed(tickets)
            counts |= demo_forms.seed_forms(by=_manager(logins))
            counts |= sampling_demo.seed()
            # The built-in risk model learns from the finalised audits and scores every ticket,
            # before the newest runs are drawn, so they keep the scores they drew on (the
            # scorecards' AI-assisted estimates), and before the rebuild, so the rollups see them.
            counts |= risk_model_demo.seed()
            for label, (created, total) in sampling_demo.seed_recent().items():
                counts[label] = (counts[label][0] + created, total)
            # After the newest runs: some disputes are raised on audits not yet final.
            counts |= demo_disputes.seed()
            # After the disputes: a re-audit compares with each audit as finalised.
            counts |= reaudits_demo.seed()
            # The demo scores audits in bulk, past the lifecycle's incremental refresh: the
            # scorecard cells are rebuilt once, after every app has seeded.
            rebuild_rollups()
            # Coaching changes no audit, but measures its effect on them: after the rebuild.
            counts |= coaching_demo.seed()
            counts |= calibration_demo.seed()
            # The vendors' own QA follows our finalised audits and the rebuilt cells.
            counts |= vendor_qa_demo.seed()
        elapsed = time.monotonic() - started

        self.stdout.write(self.style.MIGRATE_HEADING("Demo program"))
        for label, (created, total) in counts.items():
            self.stdout.write(f"  {label:<18} {total:>8,}  ({created:,} added now)")
        self.stdout.write(f"  seeded in {elapsed:.1f} s")

        self.stdout.write(self.style.MIGRATE_HEADING("\nDemo logins"))
        rows = [("email", "role", "vendor", "password")] + [
            (
                user.email,
                user.get_role_display(),
                user.vendor.name if user.vendor else "",
                accounts_demo.DEMO_PASSWORD,
            )
            for user, _ in logins
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for index, row in enumerate(rows):
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(("  " + "  ".join(cells)).rstrip())
            if index == 0:
                self.stdout.write("  " + "  ".join("-" * w for w in widths))
        self.stdout.write(
            "\n  Vendor users (POCs, QA analysts) must set up an authenticator app (TOTP) at first"
            "\n  login before they see any data: log in, confirm the password if asked, scan the QR"
            "\n  code with any authenticator app and enter its 6-digit code."
        )
        self.stdout.write(self.style.MIGRATE_HEADING("\nThe story to look for"))
        for line in story_lines(accounts_demo.DEMO_PASSWORD):
            self.stdout.write(f"  {line}".rstrip())
        self.stdout.write(self.style.SUCCESS(f"\nServing on {SERVE_URL}"))
