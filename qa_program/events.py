"""Who listens to what: the one list of the program's events and their subscribers.

Lower apps announce what happened (``audits.events``, ``coaching.events``, ``sampling.events``)
and never call the apps above them; the subscribers below are those higher apps.
docs/architecture.md draws it.
"""

from audits import events as audit_events
from audits import opening
from coaching import events as coaching_events
from notifications import events as notifications
from rollups import tasks as rollups
from sampling import events as sampling_events

SUBSCRIBERS = [
    (audit_events.audit_changed, rollups.queue_refresh),
    (audit_events.audit_finalised, notifications.on_audit_finalised),
    (audit_events.dispute_raised, notifications.on_dispute_raised),
    (audit_events.dispute_decided, notifications.on_dispute_resolved),
    (coaching_events.coaching_opened, notifications.on_coaching_opened),
    (sampling_events.run_drawn, opening.open_drawn_run),
]


def subscribe_all() -> None:
    for event, subscriber in SUBSCRIBERS:
        event.connect(subscriber, weak=False, dispatch_uid=subscriber.__qualname__)
