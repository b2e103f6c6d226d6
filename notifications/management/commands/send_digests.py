"""``manage.py send_digests [--week YYYY-Www] [--dry-run]``: the weekly digests by hand.

The same function as the beat entry (``notifications.digests.send_digests``), so running it
after the beat, or twice, sends nothing twice.
"""

from django.core.management.base import BaseCommand, CommandError

from notifications import digests


class Command(BaseCommand):
    help = ("Email the weekly digest of an ISO week (default: the last complete week) to "
            "every program manager and vendor POC who has not had it.")

    def add_arguments(self, parser):
        parser.add_argument("--week", help="The ISO week the digest reports on, e.g. 2026-W10.")
        parser.add_argument("--dry-run", action="store_true",
                            help="List who would get it; send and record nothing.")

    def handle(self, *args, week=None, dry_run=False, **options):
        try:
            monday = digests.parse_week(week) if week else None
        except digests.WeekInvalid as error:
            raise CommandError(str(error)) from None
        run = digests.send_digests(monday, dry_run=dry_run)
        label = digests.week_label(run.week)
        if dry_run:
            for email in run.would_send:
                self.stdout.write(f"would send: {email}")
            self.stdout.write(f"{label}: {len(run.would_send)} would be sent, "
                              f"{run.already} already sent (dry run: nothing sent)")
            return
        for email in run.sent:
            self.stdout.write(f"sent: {email}")
        self.stdout.write(f"{label}: {len(run.sent)} sent, {run.already} already sent")
