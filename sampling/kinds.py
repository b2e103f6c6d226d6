"""What a run of each plan kind draws from, when it is not sampling's own ticket population.

A ticket sample is drawn by ``sampling.drawing`` from the tickets. A re-audit plan draws
finalised *audits*, which belong to the audits app above sampling: sampling cannot read them,
so the app that owns such a population registers the draw of its kind here, and
``qa_program.events`` wires it at start-up (as it wires the event subscribers). The
registered draw runs inside ``draw_sample``'s transaction, lock and failure handling, and must
write the run's strata, sampled tickets and finished state itself.
"""

from __future__ import annotations

from collections.abc import Callable

from .models import SampleRun

# (run, progress) -> None; progress(percent, message) reports the draw's steps.
Drawer = Callable[[SampleRun, Callable[[int, str], None]], None]

_DRAWERS: dict[str, Drawer] = {}


def register_drawer(kind: str, drawer: Drawer) -> None:
    """Let ``drawer`` draw the runs of plans of ``kind`` (idempotent)."""
    _DRAWERS[kind] = drawer


def drawer_for(kind: str) -> Drawer:
    """The registered draw of ``kind``; LookupError (the run fails, saying so) when none is."""
    try:
        return _DRAWERS[kind]
    except KeyError:
        raise LookupError(f"No draw is registered for {kind!r} plans.") from None
