from django.contrib import admin

from audit.admin import AuditedAdmin

from .models import Federation, Organization, Region


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ["name", "code", "level", "area_type", "parent"]
    list_filter = ["level", "area_type"]
    search_fields = ["name", "code"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path"]


@admin.register(Organization)
class OrganizationAdmin(AuditedAdmin):
    list_display = ["name", "community"]
    search_fields = ["name"]
    list_select_related = ["community"]
    autocomplete_fields = ["community"]


@admin.register(Federation)
class FederationAdmin(AuditedAdmin):
    list_display = ["name", "township"]
    search_fields = ["name"]
    list_select_related = ["township"]
    autocomplete_fields = ["township"]
