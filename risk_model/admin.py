from django.contrib import admin

from .models import RiskJob, RiskModel


@admin.register(RiskModel)
class RiskModelAdmin(admin.ModelAdmin):
    list_display = ("version", "trained_at", "audits", "auc", "brier", "estimator_bytes")
    exclude = ("estimator",)
    readonly_fields = [f.name for f in RiskModel._meta.fields if f.name != "estimator"]


@admin.register(RiskJob)
class RiskJobAdmin(admin.ModelAdmin):
    list_display = ("kind", "status", "created_at", "finished_at", "model", "tickets_scored")
    readonly_fields = (
        "kind",
        "status",
        "requested_by",
        "overwrite_outside",
        "finished_at",
        "model",
        "tickets_scored",
        "message",
    )
