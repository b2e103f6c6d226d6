"""What calibration announces (subscribers: ``qa_program.events``)."""

from django.dispatch import Signal

# session=: a calibration session was closed; its results may now be read.
session_closed = Signal()
