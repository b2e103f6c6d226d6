from django.db import migrations, models
from django.db.models import OuterRef, Subquery

# The statuses in which an audit carries a score, as audits.models.SCORED_STATUSES had them
# when this migration was written (a migration keeps its own copy of what it relies on).
SCORED_STATUSES = ("submitted", "disputed", "resolved", "final")


def copy_verdicts(apps, schema_editor):
    """Each sampled ticket whose audit carries a score takes its verdict: one UPDATE with a
    correlated subquery, done in the database."""
    SampledTicket = apps.get_model("sampling", "SampledTicket")
    Audit = apps.get_model("audits", "Audit")
    SampledTicket.objects.filter(audit__status__in=SCORED_STATUSES).update(
        passed=Subquery(
            Audit.objects.filter(sampled_ticket=OuterRef("pk")).values("passed")[:1]
        )
    )


class Migration(migrations.Migration):
    """The sampled ticket carries its audit's verdict, so the allocation reads past error
    rates without reading the audits (sampling sits below them)."""

    dependencies = [
        ("audits", "0010_tickets_and_audit_forms_move_out"),
        ("sampling", "0005_alter_sampledticket_ticket_alter_samplingplan_form"),
    ]

    operations = [
        migrations.AddField(
            model_name="sampledticket",
            name="passed",
            field=models.BooleanField(
                blank=True, help_text="The scored audit's verdict; empty until it is scored.",
                null=True,
            ),
        ),
        migrations.RunPython(copy_verdicts, migrations.RunPython.noop, elidable=True),
    ]
