"""Admin for audit forms.

Form versions are built in the builder (/audits/forms/), which keeps published versions
frozen; here they are read-only so the admin cannot become a way around that.
"""

from django.contrib import admin

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
