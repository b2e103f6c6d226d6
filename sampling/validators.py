"""Validators for sampling plans' free-form fields, with messages that name the mistake."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from celery.schedules import crontab
from django.core.exceptions import ValidationError

# Ticket columns a plan may stratify by: the key a plan stores -> the Ticket field it groups on.
STRATUM_FIELDS: dict[str, str] = {
    "vendor": "vendor_id",
    "site": "site_id",
    "workflow": "workflow_id",
    "agent": "agent_id",
    "language": "language",
    "decision": "decision",
}
STRATUM_KEY_LABELS: dict[str, str] = {
    "vendor": "Vendor",
    "site": "Site",
    "workflow": "Workflow",
    "agent": "Agent",
    "language": "Language",
    "decision": "Decision",
}


def validate_strata_keys(value) -> None:
    """Strata keys are a list of distinct names from STRATUM_FIELDS (empty = one stratum)."""
    if not isinstance(value, list) or not all(isinstance(key, str) for key in value):
        raise ValidationError("Strata keys must be a list of names.")
    unknown = [key for key in value if key not in STRATUM_FIELDS]
    if unknown:
        raise ValidationError(
            f"Unknown strata key(s): {', '.join(unknown)}. "
            f"Choose from: {', '.join(STRATUM_FIELDS)}."
        )
    if len(set(value)) != len(value):
        raise ValidationError("Each strata key may appear only once.")


def validate_decision_types(value) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ValidationError("Decision types must be a list of non-empty names.")


def validate_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(
            f"{value!r} is not an IANA timezone name (e.g. Europe/Madrid)."
        ) from error


def validate_stratum_costs(value) -> None:
    """Costs are {"<key>=<value>": cost}, e.g. {"workflow=12": 3, "language=ja": 1.5}."""
    if not isinstance(value, dict):
        raise ValidationError('Costs must be an object like {"workflow=12": 2.5}.')
    for token, cost in value.items():
        key, sep, _ = str(token).partition("=")
        if not sep or key not in STRATUM_FIELDS:
            raise ValidationError(
                f"Cost entry {token!r} must look like '<key>=<value>' with key one of "
                f"{', '.join(STRATUM_FIELDS)}."
            )
        if isinstance(cost, bool) or not isinstance(cost, int | float) or cost <= 0:
            raise ValidationError(f"Cost for {token!r} must be a positive number.")


def validate_cron(value: str) -> None:
    """Five cron fields (minute hour day-of-month month day-of-week), as celery parses them."""
    fields = value.split()
    if len(fields) != 5:
        raise ValidationError(
            "A cron expression has five fields: minute hour day-of-month month day-of-week "
            "(e.g. '30 6 * * 1-5')."
        )
    minute, hour, day_of_month, month, day_of_week = fields
    try:
        crontab(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month,
            day_of_week=day_of_week,
        )
    except Exception as error:  # celery raises ValueError or its own ParseException
        raise ValidationError(f"Invalid cron expression {value!r}: {error}") from error
