"""Admin for audit forms and audits (imported by audits/admin.py).

Form versions are built in the builder (/audit_forms/), which keeps published versions
frozen; here they are read-only so the admin cannot become a way around that. Audits and
their events are read-only too: they change only through the lifecycle functions, which
keep the history.
"""

from django.contrib import admin

from audits.models import Audit, AuditEvent

from .models import AuditForm, ErrorCategory, FormVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ErrorCategory)
class ErrorCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "active"]
    list_filter = ["kind", "active"]
    prepopulated_fields = {"slug": ["name"]}

    def has_delete_permission(self, request, obj=None):
        return False  # old forms and audits name it: retire it (active = off) instead


@admin.register(AuditForm)
class AuditFormAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_by", "created_at"]
    search_fields = ["name"]
    filter_horizontal = ["workflows"]
    readonly_fields = ["created_by", "created_at"]


@admin.register(FormVersion)
class FormVersionAdmin(ReadOnlyAdmin):
    list_display = ["form", "number", "status", "published_at", "retired_at"]
    list_filter = ["status"]
    list_select_related = ["form"]


class AuditEventInline(admin.TabularInline):
    model = AuditEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "by", "kind", "from_status", "to_status", "reason", "details"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Audit)
class AuditAdmin(ReadOnlyAdmin):
    list_display = ["id", "ticket", "form_version", "auditor", "status", "score", "passed"]
    list_filter = ["status", "unsampled", "critical_failed"]
    list_select_related = ["ticket", "form_version__form", "auditor"]
    raw_id_fields = ["ticket", "sampled_ticket"]
    inlines = [AuditEventInline]
    show_full_result_count = False
