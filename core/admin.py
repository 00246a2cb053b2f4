"""Admin bases every app's admin uses: history on, revert off, a reason on every save,
nothing deleted, and each user's queryset narrowed to their scope.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import display, scoping
from .audited import set_reason

REASON_FIELD = "change_reason"


class AuditedAdmin(SimpleHistoryAdmin):
    # One object's versions: who (user and service identity), why and what, without raw
    # column names or the reason twice (admin/audited/object_history_list.html).
    history_list_display: list[str] = []
    object_history_list_template = "admin/audited/object_history_list.html"

    def has_delete_permission(self, request, obj=None):
        return False  # nothing audited is deleted from the admin: deactivate or end instead

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        records = list(historical_records)
        for i, record in enumerate(records):
            previous = records[i + 1] if i + 1 < len(records) else record.prev_record
            if record.history_type == "-" or display.history_diff() is None:
                record.audited_changes = []
            else:
                record.audited_changes = display.history_diff()(type(record), record, previous)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # SIMPLE_HISTORY_REVERT_DISABLED only hides the button; a POST would still
        # revert. Old versions are for reading.
        if request.method != "GET":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    # The reason typed in the form goes into the history row of the object and its inlines.
    def get_form(self, request, obj=None, change=False, **kwargs):
        base = kwargs.get("form") or (
            getattr(self, "add_form", None) if obj is None and hasattr(self, "add_form") else None
        )
        base = base or self.form
        kwargs["form"] = type(
            f"Reasoned{base.__name__}",
            (base,),
            {
                REASON_FIELD: forms.CharField(
                    label=_("Reason for this change"),
                    required=False,
                    max_length=500,
                    help_text=_("Recorded in the change history."),
                )
            },
        )
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != REASON_FIELD]})
            for name, opts in super().get_fieldsets(request, obj)
        ]
        may_write = (
            self.has_change_permission(request, obj)
            if obj is not None
            else self.has_add_permission(request)
        )
        if not may_write:
            return fieldsets  # a read-only page has no reason to give
        return [*fieldsets, (_("Change history"), {"fields": [REASON_FIELD]})]

    def save_model(self, request, obj, form, change):
        set_reason(obj, form.cleaned_data.get(REASON_FIELD))
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        reason = form.cleaned_data.get(REASON_FIELD)
        for inline_form in formset.forms:
            if inline_form.has_changed():
                set_reason(inline_form.instance, reason)
        super().save_formset(request, form, formset, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Insert-only records (ledger transfers, seals, runs): look, never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedAdmin(AuditedAdmin):
    """Each role sees its scope (the same selectors as the API); nothing is ever deleted.

    `selector(user)` gives the visible queryset (default: the model's declared scope through
    core.scoping). `writer_roles` may add and change; the services check each write again.
    """

    selector = None
    writer_roles: tuple[str, ...] = ("administrator",)

    def get_queryset(self, request):
        selector = type(self).selector
        if selector is not None:
            qs = selector(request.user)
        else:
            qs = scoping.visible_to(request.user, super().get_queryset(request))
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def _has_any_role(self, request) -> bool:
        resolver = scoping.resolver()
        return resolver.sees_everything(request.user) or resolver.has_any_role(request.user)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff and self._has_any_role(request)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        resolver = scoping.resolver()
        return request.user.is_active and (
            resolver.sees_everything(request.user)
            or resolver.has_role(request.user, *self.writer_roles)
        )

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False  # dissolve, deactivate or end instead: history keeps everything

    def reason(self, form) -> str:
        return form.cleaned_data.get(REASON_FIELD) or ""


class ScopedReadOnlyAdmin(ScopedAdmin):
    """Scoped, and nobody writes through the admin (the ledger: money moves in services)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
