"""Approvals admin (Chinese via gettext): policies (administrators, audited), requests with
their trail, the inbox page with approve / reject / return buttons, delegations.

Every write goes through approvals.services, as the API's do. Other apps show an object's
approval trail on their own admin pages with `ApprovalTrailMixin` (or `approval_trail()`
in a template context):

    class BudgetAdmin(ApprovalTrailMixin, ScopedAdmin):
        approval_owner_type = "funds.budget"
        readonly_fields = ["approval_trail"]
"""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from access.models import Role
from access.selectors import has_role, sees_everything
from core.admin import REASON_FIELD, AuditedAdmin, ReadOnlyAdmin, ScopedReadOnlyAdmin
from core.errors import DomainError
from core.money import yuan
from federations.models import Region

from . import services
from .models import (
    ApprovalDecision,
    ApprovalPolicy,
    ApprovalRequest,
    ApprovalTier,
    Delegation,
    Verdict,
)
from .registry import kind_label, steps
from .selectors import (
    approval_trail as trail_rows,
)
from .selectors import (
    delegations_visible_to,
    inbox_for,
    inbox_requests,
    request_with_trail,
    requests_visible_to,
    summaries_for,
)

INBOX_PAGE_SIZE = 50
INBOX_COUNT_CAP = 1000


def approval_trail(owner_type: str, owner_id) -> str:
    """The approval trail of one object as an HTML fragment (for any admin page)."""
    rows = trail_rows(owner_type, owner_id) if owner_id else []
    return render_to_string("admin/approvals/trail.html", {"requests": rows})


class ApprovalTrailMixin:
    """Add "approval_trail" to a ModelAdmin's readonly_fields to show the object's trail.
    `approval_owner_type` is the owner_type its requests were submitted with."""

    approval_owner_type: str = ""

    @admin.display(description=_("approval trail"))
    def approval_trail(self, obj):
        owner_type = self.approval_owner_type or f"{obj._meta.app_label}.{obj._meta.model_name}"
        return approval_trail(owner_type, obj.pk)


# --------------------------------------------------------------------------- policies


def _is_administrator(request) -> bool:
    return request.user.is_active and sees_everything(request.user)


class TierFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        tiers = [
            {k: form.cleaned_data[k] for k in ("above_amount", "level", "count")}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        try:
            services.clean_tiers(tiers)
        except DomainError as exc:
            raise ValidationError(str(exc.detail)) from None
        self.tiers = tiers


class ApprovalTierInline(admin.TabularInline):
    model = ApprovalTier
    formset = TierFormSet
    extra = 1
    fields = ["above_amount", "level", "count"]


class PolicyForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("step kind"), choices=())

    class Meta:
        model = ApprovalPolicy
        fields = ["kind", "region", "overdue_after_hours", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A read-only page has no form fields: Django shows the values itself.
        if "kind" in self.fields:
            self.fields["kind"].choices = [(s.kind, str(s.label)) for s in steps()]
        if "region" in self.fields:
            self.fields["region"].queryset = Region.objects.filter(
                level__in=["city", "county", "township"]
            )
        if self.instance.pk:  # a policy's step and region never change: make another one
            for name in ("kind", "region"):
                if name in self.fields:
                    self.fields[name].disabled = True


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(AuditedAdmin):
    form = PolicyForm
    inlines = [ApprovalTierInline]
    list_display = ["kind_display", "region", "tier_summary", "overdue_after_hours", "is_active"]
    list_filter = ["is_active", "kind"]
    list_select_related = ["region"]
    search_fields = ["kind", "region__name"]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return _is_administrator(request)

    def has_change_permission(self, request, obj=None):
        return _is_administrator(request)

    def has_delete_permission(self, request, obj=None):
        return False  # made inactive instead: requests name the policy they were under

    @admin.display(description=_("step kind"))
    def kind_display(self, obj):
        return kind_label(obj.kind)

    @admin.display(description=_("approval tiers"))
    def tier_summary(self, obj):
        return "；".join(str(t) for t in obj.tiers.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tiers")

    def save_model(self, request, obj, form, change):
        """Written in save_related, through the services, together with its tiers."""

    def save_formset(self, request, form, formset, change):
        """The tiers are written by the services (save_related)."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            self.save_formset(request, form, formset, change)
        tiers = getattr(formsets[0], "tiers", None) if formsets else None
        reason = form.cleaned_data.get(REASON_FIELD) or ""
        data = form.cleaned_data
        if change:
            services.policy_update(
                actor=request.user,
                policy_id=form.instance.pk,
                tiers=tiers,
                overdue_after_hours=data["overdue_after_hours"],
                is_active=data["is_active"],
                reason=reason,
            )
        else:
            policy = services.policy_create(
                actor=request.user,
                kind=data["kind"],
                region=data["region"],
                tiers=tiers or [],
                overdue_after_hours=data["overdue_after_hours"],
                reason=reason,
            )
            if not data["is_active"]:
                services.policy_update(
                    actor=request.user, policy_id=policy.pk, is_active=False, reason=reason
                )
            form.instance.pk = policy.pk
            form.instance._state.adding = False


# --------------------------------------------------------------------------- requests


class DecideForm(forms.Form):
    verdict = forms.ChoiceField(choices=Verdict.choices)
    reason = forms.CharField(required=False, max_length=2000)


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(ScopedReadOnlyAdmin):
    """Requests in the user's scope (read-only) with their trail; the inbox page decides."""

    selector = staticmethod(requests_visible_to)
    list_display = [
        "id",
        "kind_display",
        "owner_display",
        "amount",
        "state",
        "submitter",
        "submitted_at",
        "decided_at",
    ]
    list_filter = ["state", "kind"]
    list_select_related = ["submitter"]
    search_fields = ["=id", "=owner_id", "owner_type"]
    show_full_result_count = False
    fields = [
        "kind",
        "owner_display",
        "amount",
        "scope_region",
        "region",
        "federation",
        "organization",
        "submitter",
        "created_by",
        "reason",
        "state",
        "submitted_at",
        "due_at",
        "overdue_since",
        "decided_at",
        "trail",
    ]
    readonly_fields = fields

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    @admin.display(description=_("step kind"))
    def kind_display(self, obj):
        return kind_label(obj.kind)

    @admin.display(description=_("object"))
    def owner_display(self, obj):
        """The object's kind by its model's name (the engine imports no domain app: the
        registry of installed models names it) and its number."""
        try:
            name = apps.get_model(obj.owner_type)._meta.verbose_name
        except (LookupError, ValueError):
            name = obj.owner_type
        return f"{name} #{obj.owner_id}"

    @admin.display(description=_("approval trail"))
    def trail(self, obj):
        return approval_trail(obj.owner_type, obj.owner_id)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("inbox/", view(self.inbox_view), name="approvals_inbox"),
            path("inbox/<int:pk>/decide/", view(self.decide_view), name="approvals_decide"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "inbox_url": reverse("admin:approvals_inbox")}
        return super().changelist_view(request, extra_context)

    def inbox_view(self, request):
        if not self.has_module_permission(request):
            raise PermissionDenied
        now = timezone.now()
        queryset = inbox_for(request.user).order_by("submitted_at", "id")
        total = queryset[: INBOX_COUNT_CAP + 1].count()  # counting 100,000 is slow
        rows = inbox_requests(queryset[:INBOX_PAGE_SIZE])
        summaries = summaries_for(rows)
        items = [
            {
                "request": r,
                "amount": yuan(r.amount),  # ¥12,345.67, as every money column of the admin
                "summary": summaries.get(r.pk),
                "kind": kind_label(r.kind),
                "age_days": (now - r.submitted_at).days,
                "overdue": r.due_at <= now,
            }
            for r in rows
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Waiting for my approval"),
            "items": items,
            "total": f"{INBOX_COUNT_CAP}+" if total > INBOX_COUNT_CAP else total,
            "shown": len(items),
            "is_officer": has_role(request.user, Role.FINANCE_OFFICER)
            or has_role(request.user, Role.FEDERATION_STAFF),
        }
        return TemplateResponse(request, "admin/approvals/inbox.html", context)

    def decide_view(self, request, pk):
        if request.method != "POST" or not self.has_module_permission(request):
            raise PermissionDenied
        form = DecideForm(request.POST)
        back = HttpResponseRedirect(reverse("admin:approvals_inbox"))
        if not form.is_valid():
            messages.error(request, gettext("Choose approve, reject or return."))
            return back
        service = {
            Verdict.APPROVE: services.request_approve,
            Verdict.REJECT: services.request_reject,
            Verdict.RETURN: services.request_return,
        }[form.cleaned_data["verdict"]]
        try:
            result = service(actor=request.user, request_id=pk, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, f"#{pk}: {exc.detail}")
            return back
        messages.success(
            request,
            gettext("#%(id)d: %(verdict)s recorded; the request is %(state)s.")
            % {
                "id": pk,
                "verdict": Verdict(form.cleaned_data["verdict"]).label,
                "state": result.get_state_display(),
            },
        )
        return back

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            return None
        return request_with_trail(ApprovalRequest.objects.filter(pk=obj.pk)).first()


@admin.register(ApprovalDecision)
class ApprovalDecisionAdmin(ReadOnlyAdmin):
    list_display = ["request", "user_name", "level", "region", "verdict", "decided_at"]
    list_filter = ["verdict", "level"]
    list_select_related = ["request", "region"]
    show_full_result_count = False

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def get_queryset(self, request):
        visible = requests_visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(request__in=visible)


# --------------------------------------------------------------------------- delegations


@admin.register(Delegation)
class DelegationAdmin(ScopedReadOnlyAdmin):
    """Granted through the API (an officer to a peer); revoked here or there."""

    selector = staticmethod(delegations_visible_to)
    list_display = [
        "from_user", "to_user", "region", "federation", "starts_on", "ends_on", "revoked_at"
    ]  # fmt: skip
    list_filter = ["level"]
    list_select_related = ["from_user", "to_user", "region", "federation"]
    actions = ["revoke"]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    @admin.action(description=_("Revoke the selected delegations"))
    def revoke(self, request, queryset):
        done = 0
        for delegation in queryset:
            try:
                services.delegation_revoke(
                    actor=request.user, delegation_id=delegation.pk, reason=gettext("revoked")
                )
                done += 1
            except DomainError as exc:
                messages.error(request, f"{delegation}: {exc.detail}")
        if done:
            messages.success(request, gettext("%(n)d revoked.") % {"n": done})
