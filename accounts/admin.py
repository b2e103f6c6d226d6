from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User

# One way in: the admin's own login form would check a password alone, skipping TOTP and
# allauth's login rate limits. Anonymous visitors go to /accounts/login/?next=... instead;
# a logged-in user who is not active staff gets a 403.
admin.site.login = secure_admin_login(admin.site.login)


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
