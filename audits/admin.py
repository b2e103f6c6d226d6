"""Admin for audits and disputes: read-only, since they change only through the lifecycle
functions, which keep the history."""

from django.contrib import admin

from audit_forms.admin import ReadOnlyAdmin

from .models import Audit, AuditEvent, Dispute, DisputedQuestion


class DisputedQuestionInline(admin.TabularInline):
    model = DisputedQuestion
    fields = ["question_key", "reason", "attachment_name", "original_answer", "decision",
              "corrected_answer", "reply"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    """Disputes are evidence: readable here, changed only through ``audits.disputes`` (raise,
    resolve), so the audit's rescoring, history and trail are never bypassed. Not
    SimpleHistoryAdmin, for the reason given on CoachingActionAdmin; the history is on
    ``Dispute.history``. Attachments are downloaded from the dispute page (scoped view)."""

    list_display = ["id", "audit", "vendor", "status", "raised_by", "raised_at", "due_at",
                    "resolved_by", "score_before", "score_after"]
    list_filter = ["status"]
    list_select_related = ["audit__ticket__vendor", "raised_by", "resolved_by"]
    raw_id_fields = ["audit", "raised_by", "resolved_by"]
    readonly_fields = [f.name for f in Dispute._meta.fields]
    inlines = [DisputedQuestionInline]
    date_hierarchy = "raised_at"
    show_full_result_count = False

    @admin.display(description="vendor", ordering="audit__ticket__vendor__name")
    def vendor(self, dispute: Dispute):
        return dispute.audit.ticket.vendor

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
