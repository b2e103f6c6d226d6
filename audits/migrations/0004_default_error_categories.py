"""The error taxonomy a new program starts with; managers add free categories to it."""

from django.db import migrations

DEFAULTS = [
    ("Policy error", "policy-error", "policy"),
    ("Wrong action", "wrong-action", "wrong_action"),
    ("Procedural", "procedural", "procedural"),
    ("Customer experience", "customer-experience", "customer_experience"),
]


def add_default_categories(apps, schema_editor):
    ErrorCategory = apps.get_model("audits", "ErrorCategory")
    for name, slug, kind in DEFAULTS:
        ErrorCategory.objects.get_or_create(slug=slug, defaults={"name": name, "kind": kind})


class Migration(migrations.Migration):

    dependencies = [
        ("audits", "0003_audit_forms_and_audits"),
    ]

    operations = [
        migrations.RunPython(add_default_categories, migrations.RunPython.noop),
    ]
