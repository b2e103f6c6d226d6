"""Reading and checking the rows of a ticket CSV, one row at a time.

Nothing here writes: a checked row becomes a ``StagedTicket`` tuple (or a list of
``RowError``) and ``tickets.importing`` decides what to do with it. Everything needed to
check a row (vendors, sites, workflows, known agents) is loaded once into
``ProgramReference``; its size follows the program (tens of vendors, thousands of agents),
never the file.

Timestamps: ISO 8601. With an offset or ``Z`` they mean what they say. Without one they
are read in the row's site timezone (``Site.timezone``), and a local time that the site's
clocks skipped (spring forward) or passed twice (fall back) is refused, because guessing
would silently move a ticket by an hour. Everything is stored in UTC. A time before 2000 or
more than a day ahead of the import is refused as a typo.

``ai_score`` (an outside model's probability that the ticket fails QA) is a plain decimal
number from 0 to 1 and needs ``ai_model`` naming the model; ``ai_model`` without a score is
not kept, since a name with nothing to qualify would read as a score of nothing.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.formats import day, moment
from vendors.models import Agent, Site, Vendor, Workflow

from .import_report import RowError, shown
from .models import Ticket
from .population import sample_key

REQUIRED_COLUMNS = ("external_id", "vendor", "site", "agent", "workflow", "handled_at", "decision")
OPTIONAL_COLUMNS = (
    "policy", "language", "channel", "automated", "content_url", "excerpt", "source",
    "ai_score", "ai_model",
)
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
AUTOMATED_WORDS = {
    "true": True, "1": True, "yes": True, "automated": True,
    "false": False, "0": False, "no": False, "manual": False, "": False,
}
# Text that cannot be stored: bytes that were not UTF-8 (decoded as lone surrogates by the
# "surrogateescape" error handler) and NUL, which PostgreSQL text refuses.
UNSTORABLE = re.compile("[\x00\udc80-\udcff]")
UTC = dt.UTC
# The earliest handling time an import accepts (see parse_handled_at).
EARLIEST_HANDLED_AT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
# What Ticket.content_url may hold: an absolute http(s) URL with a host and no whitespace.
# (Django's URLValidator is far slower per row and this is what the field needs.)
HTTP_URL = re.compile(r"https?://[^\s/?#@]+(?::\d+)?(?:[/?#]\S*)?\Z", re.IGNORECASE)
# What ai_score may hold: a plain decimal number (float() alone would also take "nan",
# "infinity" and "1_0").
DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")
NOT_FINITE = {"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
# Control characters (C0, DEL and C1) have no place in a model's name.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


class StagedTicket(NamedTuple):
    """A checked row, ready to stage. ``agent`` is the agent's external id: new agents get
    their database id only once the whole file is known to be good."""

    row: int
    source: str
    external_id: str
    vendor_id: int
    site_id: int
    agent: str
    workflow_id: int
    handled_at: dt.datetime
    decision: str
    policy_label: str
    language: str
    channel: str
    automated: bool
    content_url: str
    excerpt: str
    extra: dict
    sample_key: int
    ai_score: float | None
    ai_model: str


class TicketIdentity(NamedTuple):
    """What is kept of a bad row: enough to still report ids duplicated inside the file."""

    row: int
    source: str
    external_id: str


@dataclass
class ProgramReference:
    """The program's vendors, sites, workflows and agents, as the import looks them up."""

    vendors: dict[str, int]
    sites: dict[tuple[int, str], tuple[int, ZoneInfo]]
    site_vendors: dict[str, list[str]]
    workflows: dict[str, int]
    agents: dict[tuple[int, str], int]
    # Agents first seen in this file: (vendor id, external id) -> site id of their first row.
    new_agents: dict[tuple[int, str], int] = field(default_factory=dict)

    @classmethod
    def load(cls, vendor_id: int | None = None) -> ProgramReference:
        """The whole program's reference data, or with ``vendor_id`` only that vendor's
        (with shared workflows): to rows checked against it, every other vendor, its sites
        and agents do not exist, so messages name none of them (a vendor-bound push)."""
        vendor_rows = Vendor.objects.all()
        site_rows = Site.objects.all()
        agent_rows = Agent.objects.all()
        if vendor_id is not None:
            vendor_rows = vendor_rows.filter(pk=vendor_id)
            site_rows = site_rows.filter(vendor_id=vendor_id)
            agent_rows = agent_rows.filter(vendor_id=vendor_id)
        vendors = dict(vendor_rows.values_list("slug", "id"))
        sites: dict[tuple[int, str], tuple[int, ZoneInfo]] = {}
        site_vendors: dict[str, list[str]] = {}
        slug_of = {pk: slug for slug, pk in vendors.items()}
        site_rows = site_rows.values_list("id", "vendor_id", "slug", "timezone")
        for pk, owner, slug, tz in site_rows:
            sites[(owner, slug)] = (pk, _zone(tz))
            site_vendors.setdefault(slug, []).append(slug_of[owner])
        return cls(
            vendors=vendors,
            sites=sites,
            site_vendors=site_vendors,
            workflows=dict(Workflow.objects.values_list("slug", "id")),
            agents={
                (vendor_id, external_id): pk
                for pk, vendor_id, external_id in agent_rows.values_list(
                    "id", "vendor_id", "external_id"
                )
            },
        )


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        # A site with a mistyped zone should not stop imports of offset-bearing timestamps;
        # naive ones are then read as UTC, which the site page shows.
        return ZoneInfo("UTC")


@lru_cache(maxsize=1024)
def _did_you_mean(value: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(value, choices, n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def latest_handled_at(now: dt.datetime | None = None) -> dt.datetime:
    """The latest handling time an import accepts: a day after ``now`` (clocks and
    timezones of the vendor's tooling may run a little ahead, never a year)."""
    return (now or timezone.now()) + dt.timedelta(days=1)


def parse_handled_at(
    value: str, zone: ZoneInfo, latest: dt.datetime | None = None
) -> tuple[dt.datetime | None, str]:
    """An aware UTC datetime from an ISO 8601 cell, or (None, the problem).

    A naive time is read in ``zone``; it is refused when that local time happened twice
    or never (PEP 495: the two folds give different UTC offsets exactly then). Times
    before EARLIEST_HANDLED_AT or after ``latest`` (default ``latest_handled_at()``) are
    refused: a year 0001 or 9999 is a typo, and would overflow the week arithmetic.
    """
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None, (
            f"{shown(value)} is not a date and time (use ISO 8601, e.g. 2026-03-01T14:05:00Z)"
        )
    if "T" not in value and " " not in value:
        return None, f"{shown(value)} has no time of day (use e.g. 2026-03-01T14:05:00Z)"
    latest = latest or latest_handled_at()
    # Checked on the local date first: moving year 0001 or 9999 to UTC can overflow.
    if not EARLIEST_HANDLED_AT.year <= parsed.year <= latest.year or not (
        EARLIEST_HANDLED_AT <= (parsed if parsed.tzinfo else parsed.replace(tzinfo=zone))
        <= latest
    ):
        return None, (
            f"{shown(value)} is outside {day(EARLIEST_HANDLED_AT)} to "
            f"{moment(latest)} UTC (a ticket cannot be handled before 2000 or in "
            "the future)"
        )
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC), ""
    local = parsed.replace(tzinfo=zone)
    if local.utcoffset() != parsed.replace(tzinfo=zone, fold=1).utcoffset():
        round_trip = local.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        what = "never happened" if round_trip != parsed else "happened twice"
        return None, (
            f"{shown(value)} has no UTC offset and is ambiguous: that local time {what} "
            f"in {zone.key} (a daylight-saving change); add an offset such as +02:00 or Z"
        )
    return local.astimezone(UTC), ""


class TicketRowChecker:
    """Checks rows against one header and the program's reference data.

    ``check`` runs once per row of files with millions of rows, so it reads cells by
    precomputed position rather than through per-cell helpers.
    """

    def __init__(self, header: list[str], reference: ProgramReference, default_source: str):
        self.reference = reference
        self.default_source = default_source
        self.width = len(header)
        self.index = {name: i for i, name in enumerate(header) if name}
        # Position of each known column; an absent optional column points one past the
        # end of the row, where check() appends an empty cell.
        self.at = {name: self.index.get(name, self.width) for name in KNOWN_COLUMNS}
        self.extra_columns = [
            (name, i) for i, name in enumerate(header) if name and name not in KNOWN_COLUMNS
        ]
        self.limits = [
            (name, self.at[name], limit)
            for name, limit in [
                ("external_id", _max_length(Ticket, "external_id")),
                ("agent", _max_length(Agent, "external_id")),
                ("decision", _max_length(Ticket, "decision")),
                ("policy", _max_length(Ticket, "policy_label")),
                ("language", _max_length(Ticket, "language")),
                ("channel", _max_length(Ticket, "channel")),
                ("content_url", _max_length(Ticket, "content_url")),
                ("ai_model", _max_length(Ticket, "ai_model")),
            ]
        ]
        self.source_limit = _max_length(Ticket, "source")
        self.latest_handled_at = latest_handled_at()
        self.vendor_choices = tuple(reference.vendors)
        self.workflow_choices = tuple(reference.workflows)

    @staticmethod
    def header_errors(header: list[str]) -> list[RowError]:
        """Missing required columns and repeated column names, all reported on row 1."""
        errors = [
            RowError(1, name, f"required column is missing (the header has: {', '.join(header)})")
            for name in REQUIRED_COLUMNS
            if name not in header
        ]
        seen: set[str] = set()
        for name in header:
            if name and name in seen:
                errors.append(RowError(1, name, "column appears more than once in the header"))
            seen.add(name)
        return errors

    def check(
        self, row: int, cells: list[str]
    ) -> tuple[list[RowError], StagedTicket | TicketIdentity | None]:
        """The row's problems (every bad field, not just the first) and what to stage.

        A good row stages as a StagedTicket; a bad one as its TicketIdentity (so duplicate
        ids are still found) unless its id itself is unusable.
        """
        width = self.width
        if len(cells) != width:
            return [RowError(row, "(row)", f"has {len(cells)} cells; the header has {width}")], None
        if UNSTORABLE.search("\x1f".join(cells)):
            return self._unstorable(row, cells), None

        errors: list[RowError] = []
        ref, at = self.reference, self.at
        values = [cell.strip() for cell in cells]
        values.append("")  # what absent optional columns read
        source = values[at["source"]] or self.default_source
        external_id = values[at["external_id"]]
        for name in ("external_id", "agent", "decision"):
            if not values[at[name]]:
                errors.append(RowError(row, name, "is empty; a value is required"))
        for name, i, limit in self.limits:
            if len(values[i]) > limit:
                errors.append(
                    RowError(row, name, f"{shown(values[i])} is longer than {limit} characters")
                )
        if len(source) > self.source_limit:
            errors.append(RowError(
                row, "source", f"{shown(source)} is longer than {self.source_limit} characters"
            ))

        vendor_slug = values[at["vendor"]]
        vendor_id = ref.vendors.get(vendor_slug)
        site = None
        if vendor_id is None:
            hint = _did_you_mean(vendor_slug, self.vendor_choices)
            errors.append(RowError(row, "vendor", f"unknown vendor {shown(vendor_slug)}{hint}"))
        else:
            site = ref.sites.get((vendor_id, values[at["site"]]))
            if site is None:
                errors.append(self._site_error(row, values[at["site"]], vendor_slug))

        workflow_slug = values[at["workflow"]]
        workflow_id = ref.workflows.get(workflow_slug)
        if workflow_id is None:
            hint = _did_you_mean(workflow_slug, self.workflow_choices)
            errors.append(
                RowError(row, "workflow", f"unknown workflow {shown(workflow_slug)}{hint}")
            )

        handled_at, problem = parse_handled_at(
            values[at["handled_at"]], site[1] if site else UTC_ZONE, self.latest_handled_at
        )
        if problem:
            errors.append(RowError(row, "handled_at", problem))

        automated = AUTOMATED_WORDS.get(values[at["automated"]].lower())
        if automated is None:
            errors.append(RowError(
                row, "automated",
                f"{shown(values[at['automated']])} is not one of true/false, yes/no, 1/0, "
                "automated/manual",
            ))

        content_url = values[at["content_url"]]
        if content_url and not HTTP_URL.match(content_url):
            errors.append(
                RowError(row, "content_url", f"{shown(content_url)} is not an http(s) URL")
            )

        ai_score, ai_model = self._ai_score(row, values, errors)

        if errors:
            return errors, TicketIdentity(row, source, external_id) if external_id else None

        agent = values[at["agent"]]
        if (vendor_id, agent) not in ref.agents:
            ref.new_agents.setdefault((vendor_id, agent), site[0])
        excerpt_at = at["excerpt"]
        return [], StagedTicket(
            row, source, external_id, vendor_id, site[0], agent, workflow_id, handled_at,
            values[at["decision"]], values[at["policy"]], values[at["language"]],
            values[at["channel"]], automated, content_url,
            cells[excerpt_at] if excerpt_at < width else "",  # an excerpt keeps its spacing
            {name: cells[i] for name, i in self.extra_columns if cells[i]},
            sample_key(source, external_id),
            ai_score,
            ai_model,
        )

    def _ai_score(
        self, row: int, values: list[str], errors: list[RowError]
    ) -> tuple[float | None, str]:
        """The row's (ai_score, ai_model), appending their problems to ``errors``."""
        cell, ai_model = values[self.at["ai_score"]], values[self.at["ai_model"]]
        if CONTROL.search(ai_model):
            errors.append(RowError(row, "ai_model", f"{shown(ai_model)} has a control character"))
        if not cell:
            return None, ""
        if not ai_model:
            errors.append(RowError(
                row, "ai_model",
                "is empty; name the model that gave ai_score (e.g. llm-grader-v3)",
            ))
        if not DECIMAL.match(cell):
            if cell.lower() in NOT_FINITE:
                problem = "is not a finite number"
            elif "," in cell and DECIMAL.match(cell.replace(",", ".", 1)):
                problem = "is not a number (use a dot for decimals, e.g. 0.82)"
            else:
                problem = "is not a number (a probability from 0 to 1, e.g. 0.82)"
            errors.append(RowError(row, "ai_score", f"{shown(cell)} {problem}"))
            return None, ""
        score = float(cell)
        if not 0.0 <= score <= 1.0:
            errors.append(RowError(
                row, "ai_score",
                f"{shown(cell)} is outside 0 to 1 (the probability that the ticket fails QA)",
            ))
        return score, ai_model

    def _site_error(self, row: int, site_slug: str, vendor_slug: str) -> RowError:
        owners = self.reference.site_vendors.get(site_slug)
        if owners:
            return RowError(
                row, "site",
                f"site {shown(site_slug)} belongs to vendor {', '.join(map(repr, owners))},"
                f" not {vendor_slug!r}",
            )
        return RowError(row, "site", f"unknown site {shown(site_slug)} of vendor {vendor_slug!r}")

    def _unstorable(self, row: int, cells: list[str]) -> list[RowError]:
        names = {i: name for name, i in self.index.items()}
        errors = []
        for i, value in enumerate(cells):
            match = UNSTORABLE.search(value)
            if match is None:
                continue
            if match.group() == "\x00":
                problem = "contains a NUL character"
            else:
                raw = value.encode("utf-8", "surrogateescape")
                problem = f"has bytes that are not UTF-8: {raw[:VALUE_BYTES]!r}"
            errors.append(RowError(row, names.get(i, f"column {i + 1}"), problem))
        return errors


UTC_ZONE = ZoneInfo("UTC")
VALUE_BYTES = 60
