from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from core.admin import AuditedAdmin

from .models import RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["region"]
    fields = ["role", "region", "federation", "organization", "is_active"]
    can_delete = False


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_service"]
    list_filter = ["is_active", "is_staff", "is_service"]
    inlines = [RoleAssignmentInline]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("Service"), {"fields": ["is_service"]}),)
    readonly_fields = ["is_service", "last_login", "date_joined"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: history must keep its authors


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(AuditedAdmin):
    list_display = ["user", "role", "region", "federation", "organization", "is_active"]
    list_filter = ["role", "is_active"]
    list_select_related = ["user", "region", "federation", "organization"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user", "region"]

    def has_delete_permission(self, request, obj=None):
        return False  # revoke by deactivating
