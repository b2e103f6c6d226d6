from django.contrib import admin

from .models import Ticket, TicketImport


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["external_id", "source", "vendor", "site", "workflow", "handled_at", "decision"]
    list_filter = ["vendor", "workflow", "automated"]
    search_fields = ["external_id"]
    list_select_related = ["vendor", "site", "workflow"]
    raw_id_fields = ["agent", "site"]
    date_hierarchy = "handled_at"
    show_full_result_count = False


@admin.register(TicketImport)
class TicketImportAdmin(admin.ModelAdmin):
    """Uploads are a record of what was imported: readable here, changed only by imports."""

    list_display = [
        "original_name", "status", "uploaded_by", "created_at", "rows_read", "created_count",
        "existing_count", "error_count",
    ]
    list_filter = ["status"]
    search_fields = ["original_name"]
    list_select_related = ["uploaded_by"]
    readonly_fields = [f.name for f in TicketImport._meta.fields]

    def has_add_permission(self, request):
        return False
