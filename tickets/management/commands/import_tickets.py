"""``python manage.py import_tickets FILE.csv``: the same import as the upload page.

On a terminal it draws a progress bar with the time left (rich, on stderr); piped, in a log
or under CI (``CI`` set) it prints only the one-line summary, as before."""

import os
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError

from accounts.progress import ProgressReporter
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
            with self.progress_bar() as progress:
                report = import_tickets_from_path(file, default_source=source, progress=progress)
        except OSError as exc:
            raise CommandError(f"{file}: cannot be read: {exc.strerror or exc}") from exc
        if not report.ok:
            for line in report.lines()[1:]:
                self.stderr.write(line)
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))

    def wants_bar(self) -> bool:
        stream = getattr(self.stderr, "_out", self.stderr)
        return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("CI")

    @contextmanager
    def progress_bar(self):
        """A reporter that draws rich's bar on a terminal, or one that draws nothing."""
        if not self.wants_bar():
            yield ProgressReporter()
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        bar = Progress(
            TextColumn("{task.description:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[unit]}"),
            TimeRemainingColumn(),
            console=Console(file=getattr(self.stderr, "_out", self.stderr)),
            transient=True,
        )
        tasks = {}

        def show(snapshot):
            task = tasks.get(snapshot.phase)
            if task is None:
                task = tasks[snapshot.phase] = bar.add_task(
                    snapshot.phase, total=snapshot.total, unit=snapshot.unit.split()[0]
                )
            bar.update(task, completed=snapshot.done, total=snapshot.total)

        with bar:
            yield ProgressReporter(listener=show)
