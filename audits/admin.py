from django.contrib import admin

from .models import Ticket


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["external_id", "source", "vendor", "site", "workflow", "handled_at", "decision"]
    list_filter = ["vendor", "workflow", "automated"]
    search_fields = ["external_id"]
    list_select_related = ["vendor", "site", "workflow"]
    raw_id_fields = ["agent", "site"]
    date_hierarchy = "handled_at"
    show_full_result_count = False
