import contextvars

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import REASON_FIELD, AuditedAdmin, ServiceAdmin

from .models import Role, RoleAssignment, User
from .selectors import has_role
from .services import (
    role_assignment_grant,
    role_assignment_update,
    user_create,
    user_set_password,
    user_update,
)

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


# Who is changing a password in the admin (the password form is built without the request).
_password_actor: contextvars.ContextVar = contextvars.ContextVar("password_actor", default=None)


class PasswordChangeForm(AdminPasswordChangeForm):
    """The admin's password form, saved through `user_set_password`."""

    def save(self, commit=True):
        usable = self.cleaned_data.get("set_usable_password", True)
        self.user = user_set_password(
            actor=_password_actor.get(),
            user_id=self.user.pk,
            password=self.cleaned_data["password1"] if usable else None,
            reason=gettext("password changed in the admin"),
        )
        return self.user


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["region"]
    fields = ["role", "region", "federation", "organization", "is_active"]
    can_delete = False


@admin.register(User)
class UserAdmin(AuditorsMayRead, ServiceAdmin, AuditedAdmin, DjangoUserAdmin):
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
    change_password_form = PasswordChangeForm

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: history must keep its authors

    def save_model(self, request, obj, form, change):
        if change:
            saved = user_update(
                actor=request.user, user_id=obj.pk, **self.service_values(form, change)
            )
        else:
            usable = form.cleaned_data.get("set_usable_password", True)
            saved = user_create(
                actor=request.user,
                username=form.cleaned_data["username"],
                password=form.cleaned_data.get("password1") if usable else None,
                reason=form.cleaned_data.get(REASON_FIELD) or "",
            )
        self.saved(obj, saved)

    def save_formset(self, request, form, formset, change):
        """Each role assignment added or changed on the user's page goes through the
        services, with the reason typed for the user."""
        reason = form.cleaned_data.get(REASON_FIELD) or ""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline in formset.forms:
            if not inline.has_changed():
                continue
            existing = inline.instance.pk is not None
            values = self.service_values(inline, existing)
            values.pop("user_id", None)
            values["reason"] = reason
            if existing:
                saved = role_assignment_update(
                    actor=request.user, assignment_id=inline.instance.pk, **values
                )
                formset.changed_objects.append((saved, inline.changed_data))
            else:
                saved = role_assignment_grant(
                    actor=request.user, user_id=form.instance.pk, **values
                )
                formset.new_objects.append(saved)
            self.saved(inline.instance, saved)

    def user_change_password(self, request, id, form_url=""):
        token = _password_actor.set(request.user)
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _password_actor.reset(token)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(AuditorsMayRead, ServiceAdmin, AuditedAdmin):
    list_display = ["user", "role", "region", "federation", "organization", "is_active"]
    list_filter = ["role", "is_active"]
    list_select_related = ["user", "region", "federation", "organization"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user", "region"]

    def has_delete_permission(self, request, obj=None):
        return False  # revoke by deactivating

    def get_readonly_fields(self, request, obj=None):
        return ["user"] if obj is not None else []  # an assignment is one user's

    def save_model(self, request, obj, form, change):
        values = self.service_values(form, change)
        if change:
            saved = role_assignment_update(actor=request.user, assignment_id=obj.pk, **values)
        else:
            saved = role_assignment_grant(actor=request.user, **values)
        self.saved(obj, saved)
