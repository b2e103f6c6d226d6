from django.contrib import admin

from .models import Agent, ContractTarget, Site, Vendor, Workflow


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SiteInline]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "vendor", "country", "timezone", "active"]
    list_filter = ["vendor", "country"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ["external_id", "vendor", "site", "active"]
    list_filter = ["vendor", "active"]
    search_fields = ["external_id"]
    list_select_related = ["vendor", "site"]
    raw_id_fields = ["site"]


@admin.register(Workflow)
class WorkflowAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "policy_area", "language", "active"]
    list_filter = ["kind", "language"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ContractTarget)
class ContractTargetAdmin(admin.ModelAdmin):
    list_display = [
        "vendor", "workflow", "metric", "direction", "target", "effective_from", "effective_to"
    ]
    list_filter = ["vendor", "metric"]
