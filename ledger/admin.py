"""Ledger admin (Chinese via gettext): read-only and scoped; money moves only in services."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ScopedReadOnlyAdmin
from core.money import money_display, yuan

from .models import Account, AccountBalance, Transfer
from .selectors import accounts_visible_to, transfers_visible_to


@admin.register(Account)
class AccountAdmin(ScopedReadOnlyAdmin):
    """Read-only: accounts are opened and money moves only through the domain services."""

    selector = staticmethod(accounts_visible_to)
    list_display = ["code", "name", "kind", "owner_type", "owner_id", "posted", "available"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["balance"]
    readonly_fields = ["posted", "pending", "receivable", "available", "created_at"]

    def _balance(self, obj):
        try:
            return obj.balance
        except AccountBalance.DoesNotExist:
            return None

    @admin.display(description=_("posted"))
    def posted(self, obj):
        b = self._balance(obj)
        return yuan(b.posted) if b else "-"

    @admin.display(description=_("reserved"))
    def pending(self, obj):
        b = self._balance(obj)
        return yuan(b.pending) if b else "-"

    @admin.display(description=_("receivable"))
    def receivable(self, obj):
        b = self._balance(obj)
        return yuan(b.receivable) if b else "-"

    @admin.display(description=_("available"))
    def available(self, obj):
        b = self._balance(obj)
        return yuan(b.available) if b else "-"


@admin.register(Transfer)
class TransferAdmin(ScopedReadOnlyAdmin):
    selector = staticmethod(transfers_visible_to)

    list_display = [
        "id",
        "created_at",
        "kind",
        "from_account",
        "to_account",
        "amount_money",
        "source_account",
        "state",
        "reverses",
    ]
    list_filter = ["kind", "state", "two_phase"]
    search_fields = ["=id", "memo", "=idempotency_key"]
    list_select_related = ["from_account", "to_account", "source_account"]
    amount_money = staticmethod(money_display("amount", _("amount (CNY)"), ordering="amount"))

    def get_fields(self, request, obj=None):
        # The view page shows the amount as money too (¥12,000.00).
        return ["amount_money" if f == "amount" else f for f in super().get_fields(request, obj)]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "amount_money"]

    date_hierarchy = None
    show_full_result_count = False
