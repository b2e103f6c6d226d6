"""Red flags from the models that score tickets: a model whose recent audits show it
significantly worse than the weeks before (``scorecards.model_monitoring.degradation_checks``).
As of now, like calibration's flags: the recent window is the RECENT_WEEKS of complete ISO weeks
before the current one, whatever the overview's period, so the flag (and the webhook that
announces it) changes once a week."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse

from accounts.formats import day
from rollups.periods import monday

from .flags import RedFlag
from .model_monitoring import DegradationCheck, degradation_checks


def last_complete_week(now: dt.datetime) -> dt.date:
    """The Monday of the last whole ISO week before ``now`` (UTC)."""
    return monday(now.astimezone(dt.UTC).date()) - dt.timedelta(weeks=1)


def degraded_models(now: dt.datetime) -> list[DegradationCheck]:
    """The models degraded as of ``now``: one grouped query over every model."""
    return [check for check in degradation_checks(last_complete_week(now)) if check.degraded]


def flag_text(check: DegradationCheck) -> str:
    result = check.result
    reasons = []
    if result.auc_fell:
        reasons.append(
            f"AUC fell from {result.reference_auc.value:.3f} to "
            f"{result.recent_auc.value:.3f} (one-sided p {check.auc_p_text})"
        )
    if result.calibration_moved:
        before, after = result.reference_calibration.gap, result.recent_calibration.gap
        reasons.append(
            f"observed − predicted failure rate moved from {before * 100:+.1f} to "
            f"{after * 100:+.1f} pts (p {check.calibration_p_text})"
        )
    return (
        f"Model {check.model} degraded over the {check.recent_audits} audits of "
        f"{day(check.recent[0])} – {day(check.recent[1])} against the "
        f"{check.reference_audits} before: {'; '.join(reasons)}."
    )


def flag_url(check: DegradationCheck) -> str:
    query = urlencode(
        {"model": check.model, "period": "week", "date": (check.recent[1]).isoformat()}
    )
    return f"{reverse('scorecards:models')}?{query}#model-degradation"


def model_flags(now: dt.datetime) -> list[RedFlag]:
    """One "model_degraded" flag per degraded model, to its monitoring page."""
    return [
        RedFlag("model_degraded", flag_text(check), flag_url(check))
        for check in degraded_models(now)
    ]
