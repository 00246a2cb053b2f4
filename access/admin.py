from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from core.admin import AuditedAdmin

from .models import Role, RoleAssignment, User
from .selectors import has_role

# Permissions come from role assignments (access.RoleAssignment), never from groups.
admin.site.unregister(Group)


class AuditorsMayRead:
    """Auditors read users and role assignments (the authors of every change), and change
    nothing; administrators manage them."""

    def _auditor(self, request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and has_role(user, Role.AUDITOR))

    def has_module_permission(self, request):
        return super().has_module_permission(request) or self._auditor(request)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or self._auditor(request)


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["region"]
    fields = ["role", "region", "federation", "organization", "is_active"]
    can_delete = False


@admin.register(User)
class UserAdmin(AuditorsMayRead, AuditedAdmin, DjangoUserAdmin):
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_service"]
    list_filter = ["is_active", "is_staff", "is_service"]
    inlines = [RoleAssignmentInline]
    # What a user may do comes from role assignments (below), not from Django's groups and
    # per-model permissions, which are neither used nor shown.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
        (_("Service"), {"fields": ["is_service"]}),
    )
    readonly_fields = ["is_service", "last_login", "date_joined"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: history must keep its authors


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(AuditorsMayRead, AuditedAdmin):
    list_display = ["user", "role", "region", "federation", "organization", "is_active"]
    list_filter = ["role", "is_active"]
    list_select_related = ["user", "region", "federation", "organization"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user", "region"]

    def has_delete_permission(self, request, obj=None):
        return False  # revoke by deactivating
