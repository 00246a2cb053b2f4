"""Ledger admin (Chinese via gettext): accounts audited; transfers and chain read-only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.admin import REASON_FIELD, AuditedAdmin

from . import services
from .models import Account, AccountBalance, ChainSeal, Transfer, VerificationRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """Insert-only ledger records: look, never add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind", "owner_type", "owner_id", "posted", "available"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["balance"]
    autocomplete_fields = ["region"]
    readonly_fields = ["posted", "pending", "receivable", "available", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:  # the kind and owner never change
            fields += ["kind", "owner_type", "owner_id"]
        return fields

    def has_delete_permission(self, request, obj=None):
        return False  # accounts are made inactive, never deleted

    def _balance(self, obj):
        try:
            return obj.balance
        except AccountBalance.DoesNotExist:
            return None

    @admin.display(description=_("posted"))
    def posted(self, obj):
        b = self._balance(obj)
        return b.posted if b else "-"

    @admin.display(description=_("reserved"))
    def pending(self, obj):
        b = self._balance(obj)
        return b.pending if b else "-"

    @admin.display(description=_("receivable"))
    def receivable(self, obj):
        b = self._balance(obj)
        return b.receivable if b else "-"

    @admin.display(description=_("available"))
    def available(self, obj):
        b = self._balance(obj)
        return b.available if b else "-"

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # Opened through the service, so its balance rows exist from the start.
        opened = services.open_account(
            actor=request.user,
            kind=obj.kind,
            name=obj.name,
            code=obj.code,
            owner_type=obj.owner_type,
            owner_id=obj.owner_id,
            region=obj.region,
            federation=obj.federation,
            organization=obj.organization,
            reason=form.cleaned_data.get(REASON_FIELD) or "",
        )
        obj.pk = opened.pk
        obj._state.adding = False


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "created_at",
        "kind",
        "from_account",
        "to_account",
        "amount",
        "source_account",
        "state",
        "reverses",
    ]
    list_filter = ["kind", "state", "two_phase"]
    search_fields = ["=id", "memo", "=idempotency_key"]
    list_select_related = ["from_account", "to_account", "source_account"]
    date_hierarchy = None
    show_full_result_count = False


@admin.register(ChainSeal)
class ChainSealAdmin(ReadOnlyAdmin):
    list_display = ["seq", "transfer", "event", "hash", "sealed_at"]
    list_filter = ["event"]
    show_full_result_count = False


@admin.register(VerificationRun)
class VerificationRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "ok", "first_bad", "head_id", "head_hash", "run_by"]
    list_filter = ["ok"]
