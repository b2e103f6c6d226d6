from django.contrib import admin

from .models import Ticket, TicketChange, TicketImport, TicketPush


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


@admin.register(TicketPush)
class TicketPushAdmin(admin.ModelAdmin):
    """Pushed batches (POST /api/v1/tickets/bulk/): a record, changed only by pushes."""

    list_display = ["pushed_at", "pushed_by", "status_code", "rows", "created_count",
                    "updated_count", "unchanged_count"]
    list_filter = ["status_code"]
    list_select_related = ["pushed_by"]
    readonly_fields = [f.name for f in TicketPush._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(TicketChange)
class TicketChangeAdmin(admin.ModelAdmin):
    """What pushes changed on tickets already present (before and after)."""

    list_display = ["ticket", "changed_at", "push"]
    raw_id_fields = ["ticket", "push"]
    readonly_fields = [f.name for f in TicketChange._meta.fields]

    def has_add_permission(self, request):
        return False
