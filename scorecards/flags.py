"""A red flag on the program overview: one thing that needs a decision, and where to take it.

Kept apart from ``scorecards.overview`` so the sections that raise flags (targets, runs,
p-charts there; disputes, coaching and calibration in ``scorecards.follow_ups``; vendors'
over-reported QA in ``scorecards.reported_qa``; calibration's drift and low alpha in
``scorecards.reliability_flags``; a scoring model's degradation in ``scorecards.model_flags``)
share it.
"""

from __future__ import annotations

from dataclasses import dataclass

# The kinds, in the order the overview lists them.
KINDS = ("target", "run", "out_of_control", "dispute_overdue", "coaching_overdue",
         "calibration", "auditor_drift", "form_alpha", "vendor_qa", "model_degraded")


@dataclass(frozen=True)
class RedFlag:
    kind: str  # one of KINDS
    text: str
    url: str


