"""``{% dispute_section audit %}``: the disputes box of the audit page (its disputes, and the
vendor POC's "Dispute" button while the window is open), so the audit view needs no
knowledge of disputes."""

from django import template

from accounts.scoping import visible_to
from audits import disputes
from audits.models import Dispute

register = template.Library()


@register.inclusion_tag("audits/disputes/_audit_section.html", takes_context=True)
def dispute_section(context, audit):
    user = context["request"].user
    return {
        "audit": audit,
        "disputes": list(visible_to(user, Dispute.objects.filter(audit=audit))),
        "can_raise": disputes.can_raise(audit, user),
        "closes_at": disputes.window_closes_at(audit),
    }
