"""The escrow admin (Chinese by default): scoped lists with history, the federation
dashboard with its chart, and workflow actions (freeze, unfreeze, review claims, reconcile)
that call the same services as the API. Money moves only through those services."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ScopedReadOnlyAdmin
from core.errors import DomainError
from core.money import yuan

from . import reconciliation, services, statements
from .models import (
    BankLine,
    BankStatement,
    ClaimLine,
    CustodialAccount,
    Deposit,
    ExpenseClaim,
    Statement,
    Voucher,
)
from .selectors import (
    accounts_visible_to,
    bank_statements_visible_to,
    claims_visible_to,
    dashboard,
    deposits_visible_to,
    is_staff_of,
    mask_account_number,
    statements_visible_to,
)

CHART_WIDTH = 420


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=500, widget=forms.Textarea(
        attrs={"rows": 2, "cols": 60}))  # fmt: skip


class PayForm(forms.Form):
    payout_reference = forms.CharField(
        label=_("payout reference"), max_length=100,
        help_text=_("The bank's reference of the transfer made to the payees."),
    )  # fmt: skip
    reason = forms.CharField(label=_("reason"), max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))  # fmt: skip
    # Generated when the form is shown: a second submission of the same form pays nothing.
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=80)


class EscrowAdmin(ScopedReadOnlyAdmin):
    """Read in scope; change only through the workflow actions (the services)."""

    def get_readonly_fields(self, request, obj=None):
        # Every field is shown, none is a form field (also on a historical version's page).
        fields = list(super().get_readonly_fields(request, obj))
        return [*dict.fromkeys([*fields, *(self.fields or [])])]

    def _with_reason(self, request, queryset, call, title, done_message):
        """An action that asks for a reason first, then calls `call(obj, reason)` for each."""
        if "apply" in request.POST:
            form = ReasonForm(request.POST)
            if form.is_valid():
                done = 0
                for obj in queryset:
                    try:
                        call(obj, form.cleaned_data["reason"])
                        done += 1
                    except DomainError as exc:
                        messages.error(request, f"{obj}: {exc.detail}")
                if done:
                    messages.success(request, done_message % {"n": done})
                return HttpResponseRedirect(request.get_full_path())
        else:
            form = ReasonForm()
        return self._action_form(request, queryset, form, title)

    def _action_form(self, request, queryset, form, title):
        return TemplateResponse(
            request,
            "admin/escrow/reason_action.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "objects": queryset,
                "form": form,
                "action": request.POST.get("action"),
                "opts": self.model._meta,
            },
        )


# --------------------------------------------------------------------------- accounts


@admin.register(CustodialAccount)
class CustodialAccountAdmin(EscrowAdmin):
    selector = staticmethod(accounts_visible_to)
    list_display = ["organization", "federation", "state", "posted", "receivable", "opened_at"]
    list_filter = ["state"]
    list_select_related = ["organization", "federation", "ledger_account__balance"]
    fields = ["federation", "organization", "ledger_account", "state", "frozen_reason",
              "frozen_by", "frozen_at", "advance_voucher_days", "opened_by", "opened_at",
              "closed_at"]  # fmt: skip
    actions = ["freeze", "unfreeze"]

    @admin.display(description=_("posted balance"))
    def posted(self, obj):
        return yuan(obj.ledger_account.balance.posted)

    @admin.display(description=_("receivable"))
    def receivable(self, obj):
        return yuan(obj.ledger_account.balance.receivable)

    @admin.action(description=_("Freeze (no money leaves; a reason is required)"))
    def freeze(self, request, queryset):
        return self._with_reason(
            request, queryset,
            lambda obj, reason: services.account_freeze(
                actor=request.user, account_id=obj.pk, reason=reason),
            gettext("Freeze custodial accounts"), gettext("%(n)d accounts frozen."),
        )  # fmt: skip

    @admin.action(description=_("Unfreeze"))
    def unfreeze(self, request, queryset):
        return self._with_reason(
            request, queryset,
            lambda obj, reason: services.account_unfreeze(
                actor=request.user, account_id=obj.pk, reason=reason),
            gettext("Unfreeze custodial accounts"), gettext("%(n)d accounts unfrozen."),
        )  # fmt: skip

    def get_urls(self):
        return [
            path(
                "dashboard/",
                self.admin_site.admin_view(self.dashboard_view),
                name="escrow_custodialaccount_dashboard",
            ),  # fmt: skip
            *super().get_urls(),
        ]

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        data = dashboard(request.user)
        top = max([Decimal(1)] + [m["posted"] + m["receivable"] for m in data["members"]])
        bars = [
            {
                "label": m["organization"],
                "posted": m["posted"],
                "receivable": m["receivable"],
                "posted_width": float(m["posted"] / top * CHART_WIDTH),
                "receivable_width": float(m["receivable"] / top * CHART_WIDTH),
                "y": i * 26,
            }
            for i, m in enumerate(data["members"])
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Custody dashboard"),
            "d": data,
            "bars": bars,
            "chart_height": max(26, len(bars) * 26),
            "chart_width": CHART_WIDTH,
        }
        return TemplateResponse(request, "admin/escrow/dashboard.html", context)


@admin.register(Deposit)
class DepositAdmin(EscrowAdmin):
    selector = staticmethod(deposits_visible_to)
    list_display = ["id", "account", "kind", "amount", "state", "bank_reference", "confirmed_by",
                    "confirmed_at"]  # fmt: skip
    list_filter = ["state", "kind"]
    fields = ["account", "kind", "transfer", "funding_source", "amount", "payer", "memo", "state",
              "bank_reference", "confirmed_by", "confirmed_at", "created_by",
              "created_at"]  # fmt: skip


# --------------------------------------------------------------------------- claims


class ReadOnlyInline(admin.TabularInline):
    """Rows of the object the page shows (the parent admin scoped it): read, never written."""

    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ClaimLineInline(ReadOnlyInline):
    model = ClaimLine
    extra = 0
    can_delete = False
    fields = ["category", "description", "amount", "payee_name", "payee_bank", "payee_number",
              "funding_source", "project", "reservation"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("payee account number"))
    def payee_number(self, line):
        """In full only for the custodian federation's staff (they pay)."""
        request = getattr(self, "_request", None)
        if request is not None and is_staff_of(request.user, line.claim.account.federation_id):
            return line.payee_account_number
        return mask_account_number(line.payee_account_number)

    def get_queryset(self, request):
        self._request = request
        return (
            super()
            .get_queryset(request)
            .select_related("claim__account", "funding_source", "project")
        )


class VoucherInline(ReadOnlyInline):
    model = Voucher
    extra = 0
    can_delete = False
    fields = ["original_name", "kind", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ExpenseClaim)
class ExpenseClaimAdmin(EscrowAdmin):
    selector = staticmethod(claims_visible_to)
    list_display = ["id", "title", "account", "state", "total", "is_advance", "submitted_at",
                    "paid_at", "vouchers_due_on"]  # fmt: skip
    list_display_links = ["id", "title"]
    list_filter = ["state", "is_advance"]
    fields = ["account", "title", "state", "is_advance", "total", "approval_request",
              "created_by", "created_at", "submitted_at", "decided_at", "paid_at", "paid_by",
              "payout_reference", "vouchers_due_on", "vouchers_received_at",
              "last_reason"]  # fmt: skip
    inlines = [ClaimLineInline, VoucherInline]
    actions = ["forward", "return_claims", "reject", "pay"]

    @admin.action(description=_("Forward to approval (reviewed by federation staff)"))
    def forward(self, request, queryset):
        done = 0
        for claim in queryset:
            try:
                services.claim_forward(actor=request.user, claim_id=claim.pk)
                done += 1
            except DomainError as exc:
                messages.error(request, f"{claim}: {exc.detail}")
        if done:
            messages.success(request, gettext("%(n)d claims forwarded.") % {"n": done})

    @admin.action(description=_("Return for more information"))
    def return_claims(self, request, queryset):
        return self._with_reason(
            request, queryset,
            lambda obj, reason: services.claim_return(
                actor=request.user, claim_id=obj.pk, reason=reason),
            gettext("Return claims for more information"), gettext("%(n)d claims returned."),
        )  # fmt: skip

    @admin.action(description=_("Reject"))
    def reject(self, request, queryset):
        return self._with_reason(
            request, queryset,
            lambda obj, reason: services.claim_reject(
                actor=request.user, claim_id=obj.pk, reason=reason),
            gettext("Reject claims"), gettext("%(n)d claims rejected."),
        )  # fmt: skip

    @admin.action(description=_("Pay (record the bank payout)"))
    def pay(self, request, queryset):
        """Federation staff record the payout of one approved claim with the bank's
        reference (services.claim_pay: the reservations are posted once)."""
        claims = list(queryset[:2])
        if len(claims) != 1:
            messages.error(request, gettext(
                "Pay one claim at a time: each payout has its own bank reference."))  # fmt: skip
            return None
        (claim,) = claims
        if "apply" in request.POST:
            form = PayForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    services.claim_pay(
                        actor=request.user, claim_id=claim.pk,
                        payout_reference=data["payout_reference"],
                        idempotency_key=data["request_key"], reason=data["reason"],
                    )  # fmt: skip
                except DomainError as exc:
                    messages.error(request, f"{claim}: {exc.detail}")
                else:
                    messages.success(request, gettext(
                        "Claim #%(id)s paid (payout reference %(ref)s).")
                        % {"id": claim.pk, "ref": data["payout_reference"]})  # fmt: skip
                return HttpResponseRedirect(request.get_full_path())
        else:
            form = PayForm(initial={"request_key": f"admin-{uuid.uuid4().hex}"})
        return self._action_form(request, queryset, form, gettext("Pay expense claim"))


# --------------------------------------------------------------------------- statements


@admin.register(Statement)
class StatementAdmin(EscrowAdmin):
    selector = staticmethod(statements_visible_to)
    list_display = ["account", "period_start", "opening_balance", "total_in", "total_out",
                    "closing_balance", "movement_count", "downloads"]  # fmt: skip
    list_filter = ["period_start"]
    fields = ["account", "period_start", "period_end", "opening_balance", "total_in",
              "total_out", "closing_balance", "movement_count", "sources",
              "generated_at"]  # fmt: skip
    readonly_fields = ["sources"]

    @admin.display(description=_("download"))
    def downloads(self, obj):
        return format_html_join(
            " ", '<a href="{}">{}</a>',
            ((reverse("admin:escrow_statement_download", args=[obj.pk, t]), t.upper())
             for t in ("csv", "xlsx", "pdf")),
        )  # fmt: skip

    @admin.display(description=_("by funding source"))
    def sources(self, obj):
        return format_html_join(
            "",
            "<div>{}：{} → {}</div>",
            ((s["name"], yuan(s["opening"]), yuan(s["closing"])) for s in obj.by_source),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/download/<str:file_type>/",
                self.admin_site.admin_view(self.download_view),
                name="escrow_statement_download",
            ),  # fmt: skip
            *super().get_urls(),
        ]

    def download_view(self, request, pk, file_type):
        statement = statements_visible_to(request.user).filter(pk=pk).first()
        if statement is None or file_type not in ("csv", "xlsx", "pdf"):
            raise Http404
        result = statements.stored_figures(statement)
        name = f"statement-{statement.account_id}-{statement.period_start:%Y%m}"
        return statements.response(statement.account, result, file_type, name)


# --------------------------------------------------------------------------- bank


class BankLineInline(ReadOnlyInline):
    model = BankLine
    extra = 0
    can_delete = False
    fields = ["row", "date", "amount", "reference", "counterparty", "matched"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("matched transfers"))
    def matched(self, line):
        return format_html_join(
            ", ", "#{} ({})", ((m.transfer_id, m.get_state_display()) for m in line.matches.all())
        ) or format_html("<b>{}</b>", gettext("unmatched"))


@admin.register(BankStatement)
class BankStatementAdmin(EscrowAdmin):
    selector = staticmethod(bank_statements_visible_to)
    list_display = ["federation", "period_start", "opening_balance", "closing_balance", "state",
                    "difference"]  # fmt: skip
    list_filter = ["state"]
    fields = ["federation", "period_start", "period_end", "opening_balance", "closing_balance",
              "file_name", "state", "report", "imported_by", "imported_at",
              "reconciled_at"]  # fmt: skip
    readonly_fields = ["report"]
    inlines = [BankLineInline]
    actions = ["reconcile"]

    @admin.display(description=_("difference"))
    def difference(self, obj):
        value = (obj.reconciliation or {}).get("difference")
        return yuan(value) if value is not None else "—"

    @admin.display(description=_("reconciliation"))
    def report(self, obj):
        r = obj.reconciliation or {}
        if not r:
            return "—"
        return format_html(
            "{}：{}；{}：{}；{}：{}；{}：{}；{}：{}",
            gettext("bank closing balance"), yuan(r["bank_closing"]),
            gettext("ledger closing balance"), yuan(r["ledger_closing"]),
            gettext("difference"), yuan(r["difference"]),
            gettext("unmatched bank lines"), len(r["unmatched_bank"]),
            gettext("unmatched ledger transfers"), len(r["unmatched_ledger"]),
        )  # fmt: skip

    @admin.action(description=_("Reconcile the month"))
    def reconcile(self, request, queryset):
        for statement in queryset:
            try:
                reconciliation.reconcile(actor=request.user, statement_id=statement.pk)
            except DomainError as exc:
                messages.error(request, f"{statement}: {exc.detail}")
