from django.apps import AppConfig


class AuditFormsConfig(AppConfig):
    name = "audit_forms"
    verbose_name = "Audit forms"
