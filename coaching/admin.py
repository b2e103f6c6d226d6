from django.contrib import admin

from .models import CoachingAction


@admin.register(CoachingAction)
class CoachingActionAdmin(admin.ModelAdmin):
    """Read-mostly: the steps are taken on the coaching pages (coaching.actions), which check
    who may take them (and that the owner is a POC of the action's vendor); the admin is for
    looking and for fixing a title, description or due date, nothing the rules depend on.
    Not SimpleHistoryAdmin: its per-version route needs a second id the URL security walk
    cannot fill; the history is on ``CoachingAction.history``."""

    list_display = ["title", "vendor", "level", "category", "status", "due_date"]
    list_filter = ["status", "level", "vendor"]
    list_select_related = ["vendor", "category"]
    search_fields = ["title"]
    readonly_fields = [
        "vendor", "level", "site", "agent", "category", "workflow", "audits", "owner", "status",
        "opened_by", "opened_at", "acknowledged_at", "acknowledged_by", "completed_at",
        "completed_by", "verified_at", "verified_by", "cancelled_at", "cancelled_by",
    ]
