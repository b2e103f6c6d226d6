"""Connectors: help desks the program pulls tickets from (docs/integrations.md, "Pulling
tickets from Zendesk").

A ``Connector`` names the help desk (base URL), how to sign in (an e-mail and the *name* of
an environment variable holding the API token: the token itself is never stored), how a help
desk ticket becomes one of the import's rows (``field_map``), and where the last run stopped
(``cursor``). ``connectors.pulling`` pulls and imports; a page and the cursor after it are
written in one transaction.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models

from accounts.outbound import secret_may_travel_to
from tickets.import_rows import KNOWN_COLUMNS, REQUIRED_COLUMNS

ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*\Z")
# A help desk field: "id", a dotted path ("via.channel"), "custom:<field id>" for a custom
# field, or "=<text>" for the same value on every ticket (a vendor bound to this help desk).
MAPPABLE = tuple(name for name in KNOWN_COLUMNS if name != "source")
DEFAULT_FIELD_MAP = {
    "external_id": "id", "agent": "assignee_id", "handled_at": "created_at",
    "decision": "status", "channel": "via.channel", "excerpt": "subject",
}


def default_field_map() -> dict:
    """The Zendesk fields most programs map; vendor, site and workflow are the program's own."""
    return dict(DEFAULT_FIELD_MAP)


def field_map_errors(field_map) -> list[str]:
    """What is wrong with a field map, in words (empty when it is usable)."""
    if not isinstance(field_map, dict):
        return ["The field map must be an object of import field → help desk field."]
    errors = [f"{name!r} is not an import field (one of {', '.join(MAPPABLE)})"
              for name in field_map if name not in MAPPABLE]
    errors += [f"{name!r} must map to a help desk field (a non-empty string)"
               for name, spec in field_map.items() if not isinstance(spec, str) or not spec]
    errors += [f"{name!r} is required: map it to a help desk field or a constant (=value)"
               for name in REQUIRED_COLUMNS if name not in field_map]
    return errors


class RunStatus(models.TextChoices):
    NEVER = "never", "never run"
    RUNNING = "running", "running"
    OK = "ok", "up to date"
    FAILED = "failed", "failed"


class Connector(models.Model):
    """One help desk's incremental ticket export (Zendesk's cursor-based format)."""

    internal_only = True  # program configuration: managers only
    vendor_path = "vendor"

    name = models.SlugField(max_length=60, unique=True,
                            help_text="Used by `manage.py pull_tickets NAME`.")
    base_url = models.URLField(help_text="e.g. https://acme.zendesk.com")
    email = models.CharField(
        max_length=254, blank=True,
        help_text="The Zendesk user of the API token (basic auth '<email>/token:<token>'); "
                  "empty for an OAuth token sent as a bearer token.")
    token_env = models.CharField(
        max_length=100, help_text="The environment variable holding the API token (the "
                                  "token is never stored in the database).")
    source = models.CharField(max_length=40, help_text="The imported tickets' source.")
    vendor = models.ForeignKey(
        "vendors.Vendor", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="When set, tickets are checked against this vendor's reference data only.")
    field_map = models.JSONField(default=default_field_map, help_text=(
        "Import field → help desk field: 'id', 'via.channel', 'custom:<id>' or '=<constant>'."))
    statuses = models.CharField(
        max_length=200, default="solved,closed", blank=True,
        help_text="Import only tickets in these statuses (comma-separated; empty: all). A "
                  "ticket still open comes again in a later page once it is solved.")
    start_time = models.PositiveBigIntegerField(
        default=0, help_text="Unix time the first pull starts from (used while no cursor).")
    cursor = models.TextField(blank=True, help_text="Where the next pull resumes.")
    is_active = models.BooleanField(default=True, help_text="Pulled by the schedule.")
    # A run holds the connector while this is recent (connectors.pulling.STALE_AFTER).
    running_since = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=10, choices=RunStatus.choices,
                                   default=RunStatus.NEVER)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_run_pages = models.PositiveIntegerField(default=0)
    last_run_tickets = models.PositiveIntegerField(default=0)
    pages_imported = models.PositiveBigIntegerField(default=0)
    tickets_pulled = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def status_filter(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.statuses.split(",") if part.strip())

    def clean(self) -> None:
        errors = {}
        if not ENV_NAME.match(self.token_env or ""):
            errors["token_env"] = "An environment variable name: capitals, digits and _."
        if not secret_may_travel_to(self.base_url):
            errors["base_url"] = "Use https: the API token travels with every request."
        problems = field_map_errors(self.field_map)
        if problems:
            errors["field_map"] = problems
        if errors:
            raise ValidationError(errors)
