"""What coaching announces (subscribers: ``qa_program.events``)."""

from django.dispatch import Signal

# action=: a coaching action was opened for an agent, a site or a vendor.
coaching_opened = Signal()
