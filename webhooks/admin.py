from django.contrib import admin

from .models import Delivery, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "url", "vendor", "is_active", "created_at"]
    list_filter = ["kind", "is_active", "vendor"]
    exclude = ["secret"]
    readonly_fields = ["kind", "vendor", "created_by"]

    def has_add_permission(self, request):
        return False  # registered on the Webhooks page, where the secret is shown once


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "endpoint", "event", "status", "attempts", "last_status_code",
                    "created_at", "delivered_at"]
    list_filter = ["status", "event"]
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False
