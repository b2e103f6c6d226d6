"""What a ticket import found and did, in one object that the command prints, the upload
page renders and the TicketImport row stores as JSON, so all three say the same thing."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# A file with a systematic problem (wrong date format in every row) would otherwise produce
# a million lines of report; the first thousand say enough, the totals say the rest.
ERROR_REPORT_LIMIT = 1000
VALUE_DISPLAY_LIMIT = 80


def shown(value: str) -> str:
    """A cell value quoted for a message, shortened so one long excerpt cannot flood it."""
    if len(value) > VALUE_DISPLAY_LIMIT:
        value = value[: VALUE_DISPLAY_LIMIT - 1] + "…"
    return repr(value)


def counted(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


@dataclass(frozen=True, order=True)
class RowError:
    """One wrong value: the file row (the header is row 1), the column, and what is wrong.

    ``problem`` already quotes the offending value, e.g. "'2026-13-01' is not a date and
    time", so ``str()`` reads as a sentence a manager can act on.
    """

    row: int
    field: str
    problem: str

    def __str__(self) -> str:
        return f"row {self.row}, field {self.field}: {self.problem}"


@dataclass
class RowErrors:
    """The problems an all-or-nothing import found: every one counted, the first
    ERROR_REPORT_LIMIT kept to show. Every import's report (tickets, calibration ratings,
    vendor QA) is one of these with its own counts."""

    file_name: str = ""
    rows_read: int = 0
    error_count: int = 0
    bad_rows: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def errors_not_shown(self) -> int:
        return self.error_count - len(self.errors)

    def add_errors(self, errors: list[RowError]) -> None:
        """Record the problems of one row (all of its bad fields at once)."""
        if not errors:
            return
        self.bad_rows += 1
        self.error_count += len(errors)
        room = ERROR_REPORT_LIMIT - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])

    def summary(self) -> str:
        """One line for the command output and the page heading."""
        name = self.file_name or "the file"
        if not self.ok:
            return (
                f"{name}: {counted(self.error_count, 'problem')} in "
                f"{counted(self.bad_rows, 'row')} of {self.rows_read:,}; nothing was imported."
            )
        return f"{name}: {self.done()}"

    def done(self) -> str:
        """What a clean import wrote, after the file's name."""
        return f"{counted(self.rows_read, 'row')} read."

    def lines(self) -> list[str]:
        """The summary, then every reported problem, then how many were left out."""
        out = [self.summary(), *(str(error) for error in self.errors)]
        if self.errors_not_shown:
            out.append(f"… and {self.errors_not_shown:,} more problems not listed.")
        return out


@dataclass
class ImportReport(RowErrors):
    """Counts and problems of one ticket import. ``ok`` is False when any row was bad, in
    which case nothing was written and ``created``/``already_present`` stay 0."""

    created: int = 0
    already_present: int = 0
    agents_created: int = 0

    def merge_errors(self, errors: list[RowError], total: int, rows: int) -> None:
        """Fold in problems found after the streaming pass (duplicates found in the
        database), keeping the report's first ERROR_REPORT_LIMIT errors in row order."""
        self.error_count += total
        self.bad_rows += rows
        self.errors = sorted(self.errors + errors)[:ERROR_REPORT_LIMIT]

    def done(self) -> str:
        return (
            f"{counted(self.rows_read, 'row')} read; "
            f"{counted(self.created, 'new ticket')}, {self.already_present:,} already present; "
            f"{counted(self.agents_created, 'agent')} created."
        )

    def as_dict(self) -> dict:
        data = asdict(self)
        data["errors"] = [asdict(error) for error in self.errors]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ImportReport:
        data = dict(data)
        errors = [RowError(**error) for error in data.pop("errors", [])]
        known = {name for name in cls.__dataclass_fields__ if name != "errors"}
        return cls(errors=errors, **{k: v for k, v in data.items() if k in known})
