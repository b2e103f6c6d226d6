"""Admin for sampling: plans editable (schedule kept in sync), runs and their rows read-only."""

from django.contrib import admin, messages

from .models import SampledTicket, SampleRun, SampleStratum, SamplingPlan
from .scheduling import PlanHasRuns, delete_plan, sync_plan_schedule


@admin.register(SamplingPlan)
class SamplingPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "active", "window_kind", "allocation", "schedule", "updated_at"]
    list_filter = ["active", "allocation", "schedule"]
    search_fields = ["name"]
    filter_horizontal = ["vendors", "sites", "workflows", "auditors"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        sync_plan_schedule(form.instance)

    def delete_model(self, request, obj):
        try:
            delete_plan(obj)
        except PlanHasRuns as error:
            self.message_user(request, str(error), messages.ERROR)

    def delete_queryset(self, request, queryset):
        for plan in queryset:
            self.delete_model(request, plan)


class SampleStratumInline(admin.TabularInline):
    model = SampleStratum
    fields = ["label", "population", "allocated", "drawn", "expected_rate", "cost"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SampleRun)
class SampleRunAdmin(admin.ModelAdmin):
    list_display = ["plan", "window_start", "window_end", "seed", "status", "sample_size"]
    list_filter = ["status", "trigger", "plan"]
    list_select_related = ["plan"]
    inlines = [SampleStratumInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(SampledTicket)
class SampledTicketAdmin(admin.ModelAdmin):
    list_display = ["ticket", "run", "stratum", "auditor", "due_at", "completed_at"]
    list_filter = ["run__plan"]
    list_select_related = ["ticket", "run__plan", "stratum", "auditor"]
    raw_id_fields = ["run", "stratum", "ticket", "auditor"]

    def has_add_permission(self, request):
        return False
