"""``python manage.py import_tickets FILE.csv``: the same import as the upload page."""

from django.core.management.base import BaseCommand, CommandError

from tickets.import_rows import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from tickets.importing import import_tickets_from_path


class Command(BaseCommand):
    help = (
        "Import tickets from a UTF-8 CSV file, all rows or none. Required columns: "
        f"{','.join(REQUIRED_COLUMNS)}; optional: {','.join(OPTIONAL_COLUMNS)}. "
        "Exits non-zero, writing nothing, when any row is bad."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the CSV file.")
        parser.add_argument(
            "--source",
            default="",
            help="Ticket source for rows without a source value (ids are unique per source).",
        )

    def handle(self, *args, file: str, source: str, **options):
        try:
            report = import_tickets_from_path(file, default_source=source)
        except OSError as exc:
            raise CommandError(f"{file}: cannot be read: {exc.strerror or exc}") from exc
        if not report.ok:
            for line in report.lines()[1:]:
                self.stderr.write(line)
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))
