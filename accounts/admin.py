from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "role", "vendor", "is_active", "last_login"]
    list_filter = ["role", "vendor", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    autocomplete_fields = ["vendor"]
    filter_horizontal = ["conflicted_vendors", "groups", "user_permissions"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Role", {"fields": ["role", "vendor", "conflicted_vendors"]}),
        ("Personal info", {"fields": ["first_name", "last_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {"classes": ["wide"], "fields": ["email", "role", "vendor", "password1", "password2"]},
        )
    ]
