"""Who listens to what: the one list of the program's events and their subscribers.

Lower apps announce what happened (``audits.events``, ``coaching.events``, ``sampling.events``,
``calibration.events``) and never call the apps above them; the subscribers below are those
higher apps. docs/architecture.md draws it. ``DRAWERS`` are the draws of plan kinds whose
population a higher app owns (``sampling.kinds``): a re-audit plan draws audits.
"""

from audits import events as audit_events
from audits import opening
from audits.reaudits import drawing as reaudit_drawing
from calibration import events as calibration_events
from coaching import events as coaching_events
from notifications import events as notifications
from rollups import tasks as rollups
from sampling import events as sampling_events
from sampling import kinds as sampling_kinds
from sampling.models import SamplingPlan
from webhooks import events as webhooks

SUBSCRIBERS = [
    (audit_events.audit_changed, rollups.queue_refresh),
    (audit_events.audit_finalised, notifications.on_audit_finalised),
    (audit_events.dispute_raised, notifications.on_dispute_raised),
    (audit_events.dispute_decided, notifications.on_dispute_resolved),
    (coaching_events.coaching_opened, notifications.on_coaching_opened),
    (sampling_events.run_drawn, opening.open_drawn_run),
    # Outbound webhooks: one pending delivery per subscribed endpoint, in the step's
    # transaction (webhooks.events lists the events and who may receive them).
    (audit_events.audit_finalised, webhooks.on_audit_finalised),
    (audit_events.dispute_raised, webhooks.on_dispute_raised),
    (audit_events.dispute_decided, webhooks.on_dispute_decided),
    (coaching_events.coaching_opened, webhooks.on_coaching_opened),
    (sampling_events.run_drawn, webhooks.on_run_drawn),
    (calibration_events.session_closed, webhooks.on_calibration_closed),
]


DRAWERS = [
    (SamplingPlan.Kind.REAUDIT, reaudit_drawing.draw_reaudit_run),
]


def subscribe_all() -> None:
    for event, subscriber in SUBSCRIBERS:
        # The module too: notifications and webhooks both have an ``on_audit_finalised``.
        event.connect(subscriber, weak=False,
                      dispatch_uid=f"{subscriber.__module__}.{subscriber.__qualname__}")
    for kind, drawer in DRAWERS:
        sampling_kinds.register_drawer(kind, drawer)
