"""The vendor QA analyst role: bound to one vendor and never staff, like a vendor POC."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_vendor_poc_is_never_staff"),
        ("vendors", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="role",
            field=models.CharField(
                choices=[
                    ("manager", "Program manager"), ("auditor", "QA auditor"),
                    ("vendor_poc", "Vendor POC"), ("vendor_qa", "Vendor QA analyst"),
                    ("admin", "Admin"),
                ],
                default="auditor", max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="vendor",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=models.deletion.PROTECT, related_name="users",
                to="vendors.vendor",
                help_text="Only for vendor users (POCs, QA analysts): the one vendor whose "
                "data they may see.",
            ),
        ),
        migrations.RemoveConstraint(model_name="user", name="vendor_poc_has_exactly_one_vendor"),
        migrations.RemoveConstraint(model_name="user", name="vendor_poc_is_never_staff"),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("role__in", ("vendor_poc", "vendor_qa")), ("vendor__isnull", False)),
                    models.Q(
                        models.Q(("role__in", ("vendor_poc", "vendor_qa")), _negated=True),
                        ("vendor__isnull", True),
                    ),
                    _connector="OR",
                ),
                name="vendor_user_has_exactly_one_vendor",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("role__in", ("vendor_poc", "vendor_qa")), _negated=True),
                    models.Q(("is_staff", False), ("is_superuser", False)),
                    _connector="OR",
                ),
                name="vendor_user_is_never_staff",
            ),
        ),
    ]
