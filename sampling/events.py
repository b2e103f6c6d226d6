"""What sampling announces. Higher apps subscribe (the list of who listens to what is
``qa_program.events``): sampling never calls the apps above it."""

from django.dispatch import Signal

# run=: the run is drawn and its draw has committed (status done): its assigned tickets can
# become audits. Sent once per draw that completes, never for a draw that rolled back or for
# a run that was already done.
run_drawn = Signal()
