"""``python manage.py import_calibration FILE.csv``: an offline calibration exercise."""

from django.core.management.base import BaseCommand, CommandError

from calibration.importing import COLUMNS, import_calibration_from_path


class Command(BaseCommand):
    help = (
        f"Import calibration ratings from a UTF-8 CSV file with columns {','.join(COLUMNS)} "
        "(rater = email, or 'gold' for the answer key), all rows or none. Exits non-zero, "
        "writing nothing, when any row is bad."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path to the CSV file.")

    def handle(self, *args, file: str, **options):
        try:
            report = import_calibration_from_path(file)
        except OSError as exc:
            raise CommandError(f"{file}: cannot be read: {exc.strerror or exc}") from exc
        if not report.ok:
            for line in report.lines()[1:]:
                self.stderr.write(line)
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))
