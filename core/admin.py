"""Admin bases every app's admin uses: history on, revert off, a reason on every save,
nothing deleted, and each user's queryset narrowed to their scope.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import display, scoping
from .audited import set_reason
from .errors import DomainError

REASON_FIELD = "change_reason"


class PlainLinksMixin:
    """On a read-only page, a related object the user may not open is shown by its name,
    not as a link to a page that would answer 403 (Django links every read-only foreign
    key to its change page, whoever reads it)."""

    def _plain_name(self, field):
        name = f"{field.name}__plain"
        if not hasattr(self, name):

            def show(obj, _field=field):
                value = getattr(obj, _field.name, None)
                return "-" if value is None else str(value)

            show.short_description = field.verbose_name
            setattr(self, name, show)
        return name

    def _unlinked(self, request, names):
        out = []
        for name in names:
            if not isinstance(name, str):
                out.append(name)
                continue
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                out.append(name)
                continue
            target = (
                self.admin_site._registry.get(field.related_model) if field.is_relation else None
            )
            if field.many_to_one and target is not None and not target.has_view_permission(request):
                out.append(self._plain_name(field))
            else:
                out.append(name)
        return out

    def _read_only(self, request, obj) -> bool:
        return obj is not None and not self.has_change_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._read_only(request, obj):
            return fieldsets
        return [
            (name, {**opts, "fields": self._unlinked(request, opts["fields"])})
            for name, opts in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if self._read_only(request, obj):
            fields += [n for n in dir(self) if n.endswith("__plain")]
        return fields


class AuditedAdmin(PlainLinksMixin, SimpleHistoryAdmin):
    # One object's versions: who (user and service identity), why and what, without raw
    # column names or the reason twice (admin/audited/object_history_list.html).
    history_list_display: list[str] = []
    object_history_list_template = "admin/audited/object_history_list.html"

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        # An insert-only record without simple-history (a ledger transfer) is its own
        # record: its history page is Django's admin log, not a historical table.
        self.has_history = bool(getattr(model._meta, "simple_history_manager_attribute", None))
        if not self.has_history:
            self.object_history_template = None

    def history_view(self, request, object_id, extra_context=None):
        if not self.has_history:
            return admin.ModelAdmin.history_view(self, request, object_id, extra_context)
        return super().history_view(request, object_id, extra_context)

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


class ServiceAdmin:
    """Mixin for an admin whose saves call use-case services with explicit values.

    `save_model` passes `service_values(form, change)` (the form's model fields; on a change
    only those changed; a foreign key as `<name>_id`; the reason) to the service, never the
    instance the form changed, then `saved(obj, row)` so the admin's messages and redirect
    name the saved row. A rule the service refuses (a DomainError) shows on the form, with
    what was typed, instead of a server error.
    """

    def service_values(self, form, change: bool) -> dict:
        model_fields = {f.name: f for f in form._meta.model._meta.concrete_fields}
        values = {}
        for name in form.fields:
            field = model_fields.get(name)
            if field is None or field.primary_key or name not in form.cleaned_data:
                continue
            if change and name not in form.changed_data:
                continue
            value = form.cleaned_data[name]
            if field.is_relation:
                values[field.attname] = value.pk if value is not None else None
            else:
                values[name] = value
        values["reason"] = form.cleaned_data.get(REASON_FIELD) or ""
        return values

    def saved(self, obj, row) -> None:
        for field in row._meta.concrete_fields:
            setattr(obj, field.attname, getattr(row, field.attname))
        obj._state.adding = False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            if request.method != "POST" or getattr(request, "_service_refused", None):
                raise
            # The transaction is rolled back; show the same form again, with the reason.
            request._service_refused = exc
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        refused = getattr(request, "_service_refused", None)
        if refused is None:
            return form

        class Refused(form):
            def _post_clean(self):
                super()._post_clean()
                shown = False
                for field, messages in (refused.fields or {}).items():
                    target = field if field in self.fields else None
                    general = field in ("__all__", "non_field_errors")
                    for message in messages if isinstance(messages, list) else [messages]:
                        text = str(message) if target or general else f"{field}: {message}"
                        self.add_error(target, text)
                        shown = True
                if not shown:
                    self.add_error(None, str(refused.detail))

        Refused.__name__ = form.__name__
        return Refused


class ReadOnlyAdmin(PlainLinksMixin, admin.ModelAdmin):
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
