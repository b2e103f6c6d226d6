"""Read-only admin for the rollup cells: they are derived data, rebuilt from audits."""

from django.contrib import admin

from .models import AuditCell


@admin.register(AuditCell)
class AuditCellAdmin(admin.ModelAdmin):
    list_display = ("stratum", "vendor", "site", "agent", "workflow", "week", "audited",
                    "passed", "critical_failed", "updated_at")
    list_filter = ("week", "vendor")
    list_select_related = ("stratum", "vendor", "site", "agent", "workflow")
    date_hierarchy = "week"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
