"""Tickets and audit forms leave the audits app for their own apps (``tickets``,
``audit_forms``); their tables keep their names, so no row moves. Here the audits app forgets
the models (state only), its foreign keys follow them, and the content types (permissions, admin
history) are relabelled so nothing that points at them is lost."""

import django.db.models.deletion
from django.db import migrations, models

MOVED = {
    "tickets": ["ticket", "ticketimport"],
    "audit_forms": [
        "errorcategory", "auditform", "formversion", "formsection", "formquestion", "formchoice",
    ],
}


def relabel_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for app_label, models_ in MOVED.items():
        for model in models_:
            if not content_type.objects.filter(app_label=app_label, model=model).exists():
                content_type.objects.filter(app_label="audits", model=model).update(
                    app_label=app_label
                )


def label_them_audits_again(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for app_label, models_ in MOVED.items():
        content_type.objects.filter(app_label=app_label, model__in=models_).update(
            app_label="audits"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('audits', '0009_content_retention'),
        ('audit_forms', '0001_initial'),
        ('tickets', '0001_initial'),
        ('coaching', '0002_alter_coachingaction_category_and_more'),
        ('sampling', '0005_alter_sampledticket_ticket_alter_samplingplan_form'),
        ('scorecards', '0008_alter_auditorday_form'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='auditform',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='auditform',
                    name='workflows',
                ),
                migrations.RemoveField(
                    model_name='formversion',
                    name='form',
                ),
                migrations.RemoveField(
                    model_name='formchoice',
                    name='error_category',
                ),
                migrations.RemoveField(
                    model_name='formquestion',
                    name='error_category',
                ),
                migrations.RemoveField(
                    model_name='formchoice',
                    name='question',
                ),
                migrations.RemoveField(
                    model_name='formquestion',
                    name='section',
                ),
                migrations.RemoveField(
                    model_name='formquestion',
                    name='version',
                ),
                migrations.RemoveField(
                    model_name='formsection',
                    name='version',
                ),
                migrations.RemoveField(
                    model_name='formversion',
                    name='based_on',
                ),
                migrations.RemoveField(
                    model_name='formversion',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='formversion',
                    name='published_by',
                ),
                migrations.RemoveField(
                    model_name='formversion',
                    name='retired_by',
                ),
                migrations.AlterField(
                    model_name='audit',
                    name='form_version',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='audits', to='audit_forms.formversion'),
                ),
                migrations.AlterField(
                    model_name='historicalaudit',
                    name='form_version',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='audit_forms.formversion'),
                ),
                migrations.RemoveField(
                    model_name='ticket',
                    name='agent',
                ),
                migrations.RemoveField(
                    model_name='ticket',
                    name='site',
                ),
                migrations.RemoveField(
                    model_name='ticket',
                    name='vendor',
                ),
                migrations.RemoveField(
                    model_name='ticket',
                    name='workflow',
                ),
                migrations.AlterField(
                    model_name='audit',
                    name='ticket',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='audits', to='tickets.ticket'),
                ),
                migrations.AlterField(
                    model_name='historicalaudit',
                    name='ticket',
                    field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='tickets.ticket'),
                ),
                migrations.RemoveField(
                    model_name='ticketimport',
                    name='uploaded_by',
                ),
                migrations.DeleteModel(
                    name='AuditForm',
                ),
                migrations.DeleteModel(
                    name='ErrorCategory',
                ),
                migrations.DeleteModel(
                    name='FormChoice',
                ),
                migrations.DeleteModel(
                    name='FormQuestion',
                ),
                migrations.DeleteModel(
                    name='FormSection',
                ),
                migrations.DeleteModel(
                    name='FormVersion',
                ),
                migrations.DeleteModel(
                    name='Ticket',
                ),
                migrations.DeleteModel(
                    name='TicketImport',
                ),
            ],
        ),
        migrations.RunPython(relabel_content_types, label_them_audits_again),
    ]
