"""Admin base for audited models: history views on, revert off, a reason on every save."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .base import set_reason

REASON_FIELD = "change_reason"


class AuditedAdmin(SimpleHistoryAdmin):
    history_list_display = ["history_actor", "history_change_reason"]

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
