from django import forms
from django.contrib import admin, messages
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from access.models import Role
from access.selectors import active_assignments, sees_everything
from core.admin import ScopedAdmin as CoreScopedAdmin
from core.admin import ServiceAdmin
from core.errors import DomainError

from . import admin_views
from .models import (
    Category,
    Federation,
    FederationStaff,
    Membership,
    Organization,
    Region,
)
from .selectors import (
    federations_visible_to,
    memberships_visible_to,
    organizations_visible_to,
    regions_visible_to,
    staff_visible_to,
)
from .services import (
    federation_register,
    federation_update,
    membership_add,
    membership_update,
    organization_change_state,
    organization_register,
    organization_update,
    staff_add,
    staff_update,
)


class ScopedAdmin(ServiceAdmin, CoreScopedAdmin):
    def _township_paths(self, request):
        return [
            a.federation.township.path
            for a in active_assignments(request.user)
            if a.role == Role.FEDERATION_STAFF and a.federation_id
        ]


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    """Every role reads the regions of its scope (the pages of its organizations link to
    them); administrators keep the tree."""

    selector = staticmethod(regions_visible_to)
    list_display = ["name", "code", "level", "area_type", "parent"]
    list_filter = ["level", "area_type"]
    search_fields = ["name", "code"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path"]


class OrganizationForm(forms.ModelForm):
    categories_field = forms.MultipleChoiceField(
        label=_("categories"),
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("One or more, from the policy's section 4(1)."),
    )

    class Meta:
        model = Organization
        fields = [
            "name",
            "community",
            "legal_status",
            "credit_code",
            "founded_on",
            "representative_name",
            "representative_phone",
            "representative_id_number",
            "party_form",
            "party_established_on",
            "party_ended_on",
            "is_brand",
            "brand_year",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["categories_field"].initial = list(
                self.instance.categories.values_list("category", flat=True)
            )


@admin.register(Organization)
class OrganizationAdmin(ScopedAdmin):
    selector = staticmethod(organizations_visible_to)
    writer_roles = (Role.ADMINISTRATOR, Role.FEDERATION_STAFF)
    form = OrganizationForm
    change_list_template = "admin/federations/organization/change_list.html"
    list_display = [
        "name",
        "community",
        "legal_status",
        "credit_code",
        "party_form",
        "is_brand",
        "state",
    ]
    list_filter = ["state", "legal_status", "party_form", "is_brand", "categories__category"]
    search_fields = ["name", "credit_code"]
    list_select_related = ["community"]
    autocomplete_fields = ["community"]
    readonly_fields = ["state"]
    actions = ["suspend", "reactivate", "dissolve"]
    fieldsets = [
        (None, {"fields": ["name", "community", "legal_status", "credit_code", "founded_on"]}),
        (_("categories"), {"fields": ["categories_field"]}),
        (
            _("representative"),
            {"fields": ["representative_name", "representative_phone", "representative_id_number"]},
        ),
        (
            _("party building"),
            {"fields": ["party_form", "party_established_on", "party_ended_on"]},
        ),
        (_("brand organization"), {"fields": ["is_brand", "brand_year", "state"]}),
    ]

    @admin.display(description=_("categories"))
    def category_labels(self, obj):
        return "、".join(str(c) for c in obj.categories.all()) if obj else ""

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read-only: the categories as their labels (the checkbox field is the form's own).
        return [
            (
                name,
                {
                    **opts,
                    "fields": [
                        "category_labels" if f == "categories_field" else f for f in opts["fields"]
                    ],
                },
            )
            for name, opts in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "category_labels"]

    def get_autocomplete_fields(self, request):
        # Region autocomplete is an administrator's tool; staff pick from their township.
        return self.autocomplete_fields if sees_everything(request.user) else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "community" and not sees_everything(request.user):
            paths = self._township_paths(request)
            qs = field.queryset.none()
            for p in paths:
                qs = qs | field.queryset.filter(path__startswith=p)
            field.queryset = qs
        return field

    def save_model(self, request, obj, form, change):
        values = self.service_values(form, change)
        if not change or "categories_field" in form.changed_data:
            values["categories"] = form.cleaned_data["categories_field"]
        if change:
            saved = organization_update(actor=request.user, organization_id=obj.pk, **values)
        else:
            saved = organization_register(actor=request.user, **values)
        self.saved(obj, saved)

    def _change_state(self, request, queryset, state, reason):
        done = 0
        for org in queryset:
            try:
                organization_change_state(
                    actor=request.user, organization_id=org.pk, state=state, reason=str(reason)
                )
                done += 1
            except DomainError as exc:
                messages.error(request, f"{org}: {exc.detail}")
        if done:
            messages.success(request, gettext("%(n)d organization(s) changed.") % {"n": done})

    @admin.action(description=_("Suspend the selected organizations"))
    def suspend(self, request, queryset):
        self._change_state(
            request, queryset, Organization.State.SUSPENDED, _("suspended in the admin")
        )

    @admin.action(description=_("Reactivate the selected organizations"))
    def reactivate(self, request, queryset):
        self._change_state(
            request, queryset, Organization.State.ACTIVE, _("reactivated in the admin")
        )

    @admin.action(description=_("Dissolve the selected organizations (ends memberships)"))
    def dissolve(self, request, queryset):
        self._change_state(
            request, queryset, Organization.State.DISSOLVED, _("dissolved in the admin")
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("targets/", view(self.targets_view), name="federations_targets"),
            path("import/", view(self.import_view), name="federations_import"),
            path(
                "import/template.<str:file_type>",
                view(self.template_view),
                name="federations_import_template",
            ),
            *super().get_urls(),
        ]

    def targets_view(self, request):
        return admin_views.targets(self, request)

    def import_view(self, request):
        return admin_views.import_register(self, request)

    def template_view(self, request, file_type):
        return admin_views.import_template(self, request, file_type)


class StaffInline(admin.TabularInline):
    model = FederationStaff
    extra = 0
    can_delete = False
    fields = ["name", "is_social_worker", "is_full_time", "started_on", "ended_on"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    can_delete = False
    fields = ["organization", "joined_on", "left_on"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Federation)
class FederationAdmin(ScopedAdmin):
    selector = staticmethod(federations_visible_to)
    list_display = ["name", "kind", "township", "credit_code", "head_name", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "credit_code"]
    list_select_related = ["township"]
    autocomplete_fields = ["township"]
    inlines = [StaffInline, MembershipInline]

    def save_model(self, request, obj, form, change):
        values = self.service_values(form, change)
        if change:
            saved = federation_update(actor=request.user, federation_id=obj.pk, **values)
        else:
            saved = federation_register(actor=request.user, **values)
        self.saved(obj, saved)

    def save_formset(self, request, form, formset, change):
        # The inlines are read-only: staff and members have their own pages.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


def _limit_federations(admin_obj, request, field):
    if not sees_everything(request.user):
        field.queryset = field.queryset.filter(
            pk__in=[
                a.federation_id
                for a in active_assignments(request.user)
                if a.role == Role.FEDERATION_STAFF
            ]
        )
    return field


@admin.register(FederationStaff)
class FederationStaffAdmin(ScopedAdmin):
    selector = staticmethod(staff_visible_to)
    writer_roles = (Role.ADMINISTRATOR, Role.FEDERATION_STAFF)
    list_display = [
        "name",
        "federation",
        "is_social_worker",
        "is_full_time",
        "started_on",
        "ended_on",
    ]
    list_filter = ["is_social_worker", "is_full_time"]
    search_fields = ["name", "federation__name"]
    list_select_related = ["federation"]
    autocomplete_fields = ["federation", "user"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return _limit_federations(self, request, field) if db_field.name == "federation" else field

    def save_model(self, request, obj, form, change):
        values = self.service_values(form, change)
        if change:
            saved = staff_update(actor=request.user, staff_id=obj.pk, **values)
        else:
            saved = staff_add(actor=request.user, **values)
        self.saved(obj, saved)


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    selector = staticmethod(memberships_visible_to)
    writer_roles = (Role.ADMINISTRATOR, Role.FEDERATION_STAFF)
    list_display = ["organization", "federation", "joined_on", "left_on"]
    list_filter = ["federation"]
    search_fields = ["organization__name", "federation__name"]
    autocomplete_fields = ["federation", "organization"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return _limit_federations(self, request, field) if db_field.name == "federation" else field

    def save_model(self, request, obj, form, change):
        values = self.service_values(form, change)
        if change:
            saved = membership_update(actor=request.user, membership_id=obj.pk, **values)
        else:
            saved = membership_add(actor=request.user, **values)
        self.saved(obj, saved)
