"""The funds admin (Chinese by default): scoped lists with history, drafts written through
the services, workflow actions, and the budget execution page (预算执行情况)."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from access.models import Role
from core.admin import ScopedAdmin
from core.errors import DomainError

from . import admin_views, services
from .models import (
    Budget,
    BudgetAdjustment,
    BudgetLine,
    CarryForward,
    FiscalYear,
    FundingSource,
    PurchaseCategory,
)
from .selectors import (
    adjustments_visible_to,
    budgets_visible_to,
    carry_forwards_visible_to,
    fiscal_years_visible_to,
    lines_visible_to,
    sources_visible_to,
)

WRITERS = (Role.ADMINISTRATOR, Role.FINANCE_OFFICER)


class ServiceAdmin(ScopedAdmin):
    """Saves go through the services; a rule they refuse shows as a message, nothing saved."""

    writer_roles = WRITERS

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            with transaction.atomic():
                return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            messages.error(request, str(exc.detail))
            return HttpResponseRedirect(request.get_full_path())

    def _each(self, request, queryset, call, done_message):
        done = 0
        for obj in queryset:
            try:
                call(obj)
                done += 1
            except DomainError as exc:
                messages.error(request, f"{obj}: {exc.detail}")
        if done:
            messages.success(request, done_message % {"n": done})


@admin.register(FiscalYear)
class FiscalYearAdmin(ServiceAdmin):
    selector = staticmethod(fiscal_years_visible_to)
    list_display = ["year", "state", "closed_at", "closed_by"]
    list_filter = ["state"]
    fields = ["year", "state", "closed_at", "closed_by"]
    readonly_fields = ["state", "closed_at", "closed_by"]
    actions = ["close_years"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "year"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            created = services.fiscal_year_open(
                actor=request.user, year=obj.year, reason=self.reason(form)
            )
            obj.pk = created.pk
            obj.refresh_from_db()

    @admin.action(description=_("Close the selected fiscal years"))
    def close_years(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda fy: services.fiscal_year_close(
                actor=request.user, year=fy.year, reason=gettext("closed in the admin")
            ),
            gettext("%(n)d fiscal year(s) closed."),
        )


class SourceForm(forms.ModelForm):
    fiscal_year_number = forms.IntegerField(label=_("fiscal year"), min_value=2000,
                                            max_value=2100)  # fmt: skip
    categories_field = forms.MultipleChoiceField(
        label=_("allowed categories"),
        choices=PurchaseCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked: any category."),
    )

    class Meta:
        model = FundingSource
        fields = ["name", "kind", "region", "issuer", "document_number", "document_date",
                  "appropriated_amount", "requires_party_organization", "charity_only",
                  "purpose"]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["categories_field"].initial = self.instance.allowed_categories
            self.fields["fiscal_year_number"].initial = self.instance.fiscal_year.year
            self.fields["fiscal_year_number"].disabled = True


@admin.register(FundingSource)
class FundingSourceAdmin(ServiceAdmin):
    selector = staticmethod(sources_visible_to)
    form = SourceForm
    list_display = ["name", "kind", "fiscal_year", "region", "appropriated_amount",
                    "document_number", "state"]  # fmt: skip
    list_filter = ["state", "kind", "fiscal_year"]
    search_fields = ["name", "document_number", "issuer"]
    list_select_related = ["fiscal_year", "region"]
    readonly_fields = ["state", "account", "money_tag", "carried_from", "approved_at"]
    actions = ["submit"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "fiscal_year_number", "region", "appropriated_amount"]}),
        (_("document"), {"fields": ["issuer", "document_number", "document_date"]}),
        (
            _("restrictions"),
            {
                "fields": [
                    "categories_field",
                    "requires_party_organization",
                    "charity_only",
                    "purpose",
                ]
            },
        ),  # fmt: skip
        (
            _("ledger"),
            {"fields": ["state", "account", "money_tag", "carried_from", "approved_at"]},
        ),  # fmt: skip
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or (obj.state == "draft" and self.has_change_permission(request, obj)):
            return fieldsets
        # Read-only: the stored values by label, not the form-only input fields.
        shown = {"fiscal_year_number": "fiscal_year", "categories_field": "categories_display"}
        return [
            (name, {**opts, "fields": [shown.get(f, f) for f in opts["fields"]]})
            for name, opts in fieldsets
        ]

    @admin.display(description=_("allowed categories"))
    def categories_display(self, obj):
        labels = dict(PurchaseCategory.choices)
        return "、".join(str(labels.get(c, c)) for c in obj.allowed_categories) or "-"

    def get_readonly_fields(self, request, obj=None):
        if obj and (obj.state != "draft" or not self.has_change_permission(request, obj)):
            return [*(f.name for f in FundingSource._meta.fields), "categories_display"]
        if obj:
            return [*self.readonly_fields, "kind", "region"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in services.SOURCE_FIELDS
                if f in form.cleaned_data}  # fmt: skip
        data["allowed_categories"] = form.cleaned_data.get("categories_field") or []
        if change:
            services.source_update(actor=request.user, source_id=obj.pk,
                                   reason=self.reason(form), **data)  # fmt: skip
        else:
            created = services.source_create(
                actor=request.user, kind=obj.kind, region=obj.region_id,
                fiscal_year=form.cleaned_data["fiscal_year_number"], reason=self.reason(form),
                **data,
            )  # fmt: skip
            obj.pk = created.pk
            obj.refresh_from_db()

    @admin.action(description=_("Submit the selected drafts for approval"))
    def submit(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda s: services.source_submit(actor=request.user, source_id=s.pk),
            gettext("%(n)d submitted for approval."),
        )


class LineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0
    can_delete = False
    fields = ["category", "source", "amount", "description", "account"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Budget)
class BudgetAdmin(ServiceAdmin):
    selector = staticmethod(budgets_visible_to)
    list_display = ["title", "region", "fiscal_year", "state", "approved_at"]
    list_filter = ["state", "fiscal_year"]
    search_fields = ["title", "region__name"]
    list_select_related = ["region", "fiscal_year"]
    readonly_fields = ["state", "approved_at", "created_by_name"]
    fields = ["region", "fiscal_year", "title", "state", "approved_at", "created_by_name"]
    inlines = [LineInline]
    actions = ["submit"]
    change_list_template = "admin/funds/budget/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        return [*(f.name for f in Budget._meta.fields if f.name != "created_by"), "created_by_name"]

    @admin.display(description=_("created by"))
    def created_by_name(self, obj):
        # By name: a finance officer may not open user pages (a link would answer 403).
        return obj.created_by.display_name if obj and obj.created_by_id else "-"

    def save_model(self, request, obj, form, change):
        if not change:
            created = services.budget_create(
                actor=request.user, region=obj.region_id, fiscal_year=obj.fiscal_year.year,
                title=obj.title, reason=self.reason(form),
            )  # fmt: skip
            obj.pk = created.pk
            obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        pass  # lines have their own page (added and changed through the services)

    @admin.action(description=_("Submit the selected drafts for approval"))
    def submit(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda b: services.budget_submit(actor=request.user, budget_id=b.pk),
            gettext("%(n)d submitted for approval."),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("execution/", view(self.execution_view), name="funds_budget_execution"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "may_read_execution": admin_views.may_read_execution(request.user),
        }
        return super().changelist_view(request, extra_context)

    def execution_view(self, request):
        return admin_views.execution(self, request)


@admin.register(BudgetLine)
class BudgetLineAdmin(ServiceAdmin):
    selector = staticmethod(lines_visible_to)
    list_display = ["budget", "category", "source", "amount", "account"]
    list_filter = ["category", "budget__fiscal_year"]
    list_select_related = ["budget", "source", "account"]
    fields = ["budget", "category", "source", "amount", "description", "account"]
    readonly_fields = ["account"]

    def get_readonly_fields(self, request, obj=None):
        if obj and obj.budget.state != "draft":
            return self.fields
        return (
            [*self.readonly_fields, "budget", "category", "source"] if obj else self.readonly_fields
        )

    def save_model(self, request, obj, form, change):
        if change:
            services.line_update(actor=request.user, line_id=obj.pk, amount=obj.amount,
                                 description=obj.description, reason=self.reason(form))  # fmt: skip
        else:
            created = services.line_add(
                actor=request.user, budget_id=obj.budget_id, category=obj.category,
                source_id=obj.source_id, amount=obj.amount, description=obj.description,
                reason=self.reason(form),
            )  # fmt: skip
            obj.pk = created.pk
            obj.refresh_from_db()


@admin.register(BudgetAdjustment)
class AdjustmentAdmin(ServiceAdmin):
    selector = staticmethod(adjustments_visible_to)
    list_display = ["id", "budget", "from_line", "to_line", "amount", "state", "created_at"]
    list_filter = ["state"]
    list_select_related = ["budget", "from_line", "to_line"]
    fields = ["from_line", "to_line", "amount", "reason", "state", "decided_at"]
    readonly_fields = ["state", "decided_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            created = services.adjustment_request(
                actor=request.user, from_line_id=obj.from_line_id, to_line_id=obj.to_line_id,
                amount=obj.amount, reason=obj.reason,
            )  # fmt: skip
            obj.pk = created.pk
            obj.refresh_from_db()


@admin.register(CarryForward)
class CarryForwardAdmin(ServiceAdmin):
    selector = staticmethod(carry_forwards_visible_to)
    list_display = ["id", "source", "amount", "carried_into", "state", "created_at"]
    list_filter = ["state"]
    list_select_related = ["source", "carried_into"]
    fields = ["source", "reason", "amount", "carried_into", "state", "decided_at"]
    readonly_fields = ["amount", "carried_into", "state", "decided_at"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            created = services.carry_forward_request(
                actor=request.user, source_id=obj.source_id, reason=obj.reason
            )
            obj.pk = created.pk
            obj.refresh_from_db()
