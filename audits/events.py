"""What the audit lifecycle and disputes announce. Higher apps subscribe (the list of who
listens to what is ``qa_program.events``); an event is sent inside the step's transaction, so a
subscriber that acts later registers its work with ``transaction.on_commit``."""

from django.dispatch import Signal

# audit=: a step changed whether or how the audit counts (submit, reopen, dispute, resolve,
# finalise).
audit_changed = Signal()
# audit=: the audit is final; its vendor may now see the finding.
audit_finalised = Signal()
# dispute=: a vendor POC disputed questions of a final audit.
dispute_raised = Signal()
# dispute=: a QA lead upheld or overturned it.
dispute_decided = Signal()
