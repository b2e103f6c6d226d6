from django.contrib import admin

from .models import Connector


@admin.register(Connector)
class ConnectorAdmin(admin.ModelAdmin):
    list_display = ["name", "base_url", "source", "vendor", "is_active", "last_status",
                    "last_run_at", "tickets_pulled"]
    list_filter = ["is_active", "last_status"]
    readonly_fields = ["running_since", "last_status", "last_run_at", "last_success_at",
                       "last_error", "last_run_pages", "last_run_tickets", "pages_imported",
                       "tickets_pulled", "created_at"]
