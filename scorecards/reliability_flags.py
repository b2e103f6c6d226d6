"""Red flags from calibration (``calibration.track_record``): a person whose accuracy against
the gold answers fell significantly in the latest window, and a form whose latest closed
session's alpha is below Krippendorff's 0.667. As of now, whatever the overview's period, like
the overdue disputes: a session is not tied to the weeks a scorecard covers."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from accounts.formats import day
from calibration.results import TENTATIVE
from calibration.track_record import drifting_people, forms_below_tentative

from .flags import RedFlag


def reliability_flags(now: dt.datetime) -> list[RedFlag]:
    """One flag per drifting person (to the reliability page) and per form below 0.667 (to
    its latest session's agreement). At most five queries, however many sessions and people."""
    page = reverse("calibration:reliability")
    flags = []
    for person, drift in drifting_people(now):
        who = (f"{person.vendor.name}'s QA analyst {person.email}" if person.vendor_id
               else f"Auditor {person.email}")
        flags.append(RedFlag("auditor_drift", f"{who}: {drift.text}", f"{page}#reliability-people"))
    for form, session, alpha in forms_below_tentative(now):
        url = reverse("calibration:session_detail", kwargs={"pk": session.pk})
        flags.append(RedFlag("form_alpha", (
            f"Form {form}: alpha {alpha:.3f} in the latest session ({session.name}, "
            f"{day(session.closed_at)}), below {TENTATIVE:.3f}"), f"{url}#agreement"))
    return flags
