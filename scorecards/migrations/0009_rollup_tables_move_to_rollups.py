"""The derived tables (cells, stratum totals, auditor and finalised days, week sums) leave the
scorecards app for ``rollups``; their tables keep their names, so no row moves. Here scorecards
forgets the models (state only) and their content types are relabelled."""

from django.db import migrations

MOVED = ["auditcell", "sitecell", "vendorcell", "auditorday", "stratumtotal", "finalisedday",
         "weeksums"]


def relabel_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not content_type.objects.filter(app_label="rollups", model=model).exists():
            content_type.objects.filter(app_label="scorecards", model=model).update(
                app_label="rollups"
            )


def label_them_scorecards_again(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="rollups", model__in=MOVED).update(
        app_label="scorecards"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('scorecards', '0008_alter_auditorday_form'),
        ('rollups', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='auditorday',
                    name='auditor',
                ),
                migrations.RemoveField(
                    model_name='auditorday',
                    name='form',
                ),
                migrations.RemoveField(
                    model_name='finalisedday',
                    name='auditor',
                ),
                migrations.RemoveField(
                    model_name='finalisedday',
                    name='vendor',
                ),
                migrations.RemoveField(
                    model_name='sitecell',
                    name='site',
                ),
                migrations.RemoveField(
                    model_name='sitecell',
                    name='stratum',
                ),
                migrations.RemoveField(
                    model_name='sitecell',
                    name='vendor',
                ),
                migrations.RemoveField(
                    model_name='sitecell',
                    name='workflow',
                ),
                migrations.RemoveField(
                    model_name='stratumtotal',
                    name='run',
                ),
                migrations.RemoveField(
                    model_name='stratumtotal',
                    name='stratum',
                ),
                migrations.RemoveField(
                    model_name='vendorcell',
                    name='stratum',
                ),
                migrations.RemoveField(
                    model_name='vendorcell',
                    name='vendor',
                ),
                migrations.RemoveField(
                    model_name='vendorcell',
                    name='workflow',
                ),
                migrations.RemoveField(
                    model_name='weeksums',
                    name='vendor',
                ),
                migrations.DeleteModel(
                    name='AuditCell',
                ),
                migrations.DeleteModel(
                    name='AuditorDay',
                ),
                migrations.DeleteModel(
                    name='FinalisedDay',
                ),
                migrations.DeleteModel(
                    name='SiteCell',
                ),
                migrations.DeleteModel(
                    name='StratumTotal',
                ),
                migrations.DeleteModel(
                    name='VendorCell',
                ),
                migrations.DeleteModel(
                    name='WeekSums',
                ),
            ],
        ),
        migrations.RunPython(relabel_content_types, label_them_scorecards_again),
    ]
