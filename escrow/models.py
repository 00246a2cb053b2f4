"""Custodial accounts (资金代管) that a federation keeps for its member organizations without
legal personality, and what happens in them: deposits, expense claims with vouchers,
payouts, statements and the federation's bank reconciliation.

The money itself is in the ledger: each `CustodialAccount` points to its ledger account
(kind `custodial`, owner `federations.organization`), deposits and payouts are ledger
transfers. These tables hold the domain around them: states, who confirmed what with which
bank reference, claim lines and vouchers, statements' figures, bank lines and matches.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.audited import AuditedModel
from core.scoping import Scope
from core.uploads import UploadTo, get_private_storage

MONEY = {"max_digits": 18, "decimal_places": 2}

# What the rows of this app are scoped to, seen from the custodial account.
ACCOUNT_SCOPE = Scope(
    region="organization__community", federation="federation_id", organization="organization_id"
)


class AccountState(models.TextChoices):
    ACTIVE = "active", _("Active")
    FROZEN = "frozen", _("Frozen")
    CLOSED = "closed", _("Closed")


class CustodialAccount(AuditedModel):
    """One member organization's money held by its federation (one per organization)."""

    scope = ACCOUNT_SCOPE
    audit_region_lookup = "organization__community"

    federation = models.ForeignKey(
        "federations.Federation",
        verbose_name=_("custodian federation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    organization = models.ForeignKey(
        "federations.Organization",
        verbose_name=_("member organization"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    ledger_account = models.OneToOneField(
        "ledger.Account", verbose_name=_("ledger account"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    state = models.CharField(
        _("state"), max_length=10, choices=AccountState.choices, default=AccountState.ACTIVE
    )
    frozen_reason = models.CharField(_("freeze reason"), max_length=500, blank=True, default="")
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("frozen by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    advance_voucher_days = models.PositiveSmallIntegerField(
        _("days to bring vouchers of an advance"),
        default=30,
        help_text=_("A claim paid before its vouchers must get them within these days."),
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("custodial account")
        verbose_name_plural = _("custodial accounts")
        ordering = ["id"]
        indexes = [
            # used by: accounts_visible_to for federation staff, ?federation=, the dashboard
            models.Index(fields=["federation", "id"], name="escrow_account_federation"),
            # used by: ?state= and the statement run (active and frozen accounts)
            models.Index(fields=["state", "id"], name="escrow_account_state"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="escrow_account_one_per_org"),
            models.CheckConstraint(
                condition=~Q(state="frozen") | ~Q(frozen_reason=""),
                name="escrow_account_frozen_has_reason",
                violation_error_message=_("A frozen account says why."),
            ),
            models.CheckConstraint(
                condition=Q(advance_voucher_days__gte=1) & Q(advance_voucher_days__lte=365),
                name="escrow_account_advance_days_range",
                violation_error_message=_("From 1 to 365 days."),
            ),
        ]

    def __str__(self):
        return f"{self.organization} · {self.federation}"


class DepositKind(models.TextChoices):
    MILESTONE = "milestone", _("Project milestone payment")
    CAMPAIGN = "campaign", _("Campaign money")
    OTHER = "other", _("Other income")


class DepositState(models.TextChoices):
    RECEIVABLE = "receivable", _("Receivable (not yet arrived)")
    CONFIRMED = "confirmed", _("Arrived")
    VOIDED = "voided", _("Cancelled")


class Deposit(AuditedModel):
    """Money announced into a custodial account: a pending ledger transfer (receivable, not
    spendable) until federation staff confirm its arrival with the bank reference."""

    scope = ACCOUNT_SCOPE.prefixed("account")
    audit_region_lookup = "account__organization__community"

    account = models.ForeignKey(
        CustodialAccount, verbose_name=_("custodial account"), on_delete=models.PROTECT,
        related_name="deposits",
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=12, choices=DepositKind.choices)
    transfer = models.OneToOneField(
        "ledger.Transfer", verbose_name=_("ledger transfer"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    funding_source = models.ForeignKey(
        "funds.FundingSource", verbose_name=_("funding source"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    payer = models.CharField(_("payer"), max_length=200, blank=True, default="")
    memo = models.CharField(_("memo"), max_length=500, blank=True, default="")
    state = models.CharField(
        _("state"), max_length=12, choices=DepositState.choices, default=DepositState.RECEIVABLE
    )
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True, default="")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("deposit")
        verbose_name_plural = _("deposits")
        ordering = ["-id"]
        indexes = [
            # used by: ?account= and the statement's references
            models.Index(fields=["account", "id"], name="escrow_deposit_account"),
            # used by: ?state= (receivable deposits) and the dashboard
            models.Index(fields=["state", "id"], name="escrow_deposit_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="escrow_deposit_amount_positive"
            ),
            models.CheckConstraint(
                condition=~Q(state="confirmed") | ~Q(bank_reference=""),
                name="escrow_deposit_confirmed_has_reference",
                violation_error_message=_("An arrival is confirmed with its bank reference."),
            ),
            models.UniqueConstraint(
                fields=["account", "bank_reference"],
                condition=~Q(bank_reference=""),
                name="escrow_deposit_reference_once",
                violation_error_message=_("This bank reference is already confirmed here."),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ¥{self.amount}"


class ClaimState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")
    RETURNED = "returned", _("Returned for more information")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ExpenseCategory(models.TextChoices):
    MATERIALS = "materials", _("Materials and supplies")
    VENUE = "venue", _("Venue")
    TRANSPORT = "transport", _("Transport")
    PRINTING = "printing", _("Printing and publicity")
    MEALS = "meals", _("Meals for volunteers")
    SERVICES = "services", _("Professional services")
    INSURANCE = "insurance", _("Insurance")
    OTHER = "other", _("Other")


class ExpenseClaim(AuditedModel):
    """A claim by the organization's representative to pay expenses from its account."""

    scope = ACCOUNT_SCOPE.prefixed("account")
    audit_region_lookup = "account__organization__community"

    account = models.ForeignKey(
        CustodialAccount, verbose_name=_("custodial account"), on_delete=models.PROTECT,
        related_name="claims",
    )  # fmt: skip
    title = models.CharField(_("title"), max_length=200)
    state = models.CharField(
        _("state"), max_length=12, choices=ClaimState.choices, default=ClaimState.DRAFT
    )
    is_advance = models.BooleanField(
        _("advance"),
        default=False,
        help_text=_("Paid before its vouchers, which must follow within the account's days."),
    )
    total = models.DecimalField(_("total (CNY)"), default=0, **MONEY)
    approval_request = models.ForeignKey(
        "approvals.ApprovalRequest", verbose_name=_("approval request"),
        on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("paid by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    payout_reference = models.CharField(
        _("payout reference"), max_length=100, null=True, blank=True
    )
    payout_key = models.CharField(
        _("payout idempotency key"), max_length=100, null=True, blank=True
    )
    vouchers_due_on = models.DateField(_("vouchers due on"), null=True, blank=True)
    vouchers_received_at = models.DateTimeField(_("vouchers received at"), null=True, blank=True)
    last_reason = models.CharField(_("last reason"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("expense claim")
        verbose_name_plural = _("expense claims")
        ordering = ["-id"]
        indexes = [
            # used by: ?account=, the advance check on new claims
            models.Index(fields=["account", "state"], name="escrow_claim_account_state"),
            # used by: ?state= and the dashboard's claims waiting
            models.Index(fields=["state", "submitted_at"], name="escrow_claim_state"),
            # used by: the overdue advances (dashboard, reminder, claim block)
            models.Index(
                fields=["vouchers_due_on"],
                name="escrow_claim_advance_due",
                condition=Q(vouchers_due_on__isnull=False, vouchers_received_at__isnull=True),
            ),
        ]
        constraints = [
            # A claim is paid once: one payout reference and one key, ever.
            models.UniqueConstraint(
                fields=["payout_reference"],
                condition=Q(payout_reference__isnull=False),
                name="escrow_claim_payout_reference_once",
                violation_error_message=_("This payout reference was already used."),
            ),
            models.UniqueConstraint(
                fields=["payout_key"],
                condition=Q(payout_key__isnull=False),
                name="escrow_claim_payout_key_once",
            ),
            models.CheckConstraint(
                condition=~Q(state="paid")
                | (Q(payout_reference__isnull=False) & Q(paid_at__isnull=False)),
                name="escrow_claim_paid_has_reference",
                violation_error_message=_("A paid claim has its payout reference."),
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="escrow_claim_total_not_neg"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.title}"


class ClaimLine(AuditedModel):
    """One expense of a claim: what, how much, to whom, charged to which source (and project)."""

    scope = ACCOUNT_SCOPE.prefixed("claim__account")
    audit_region_lookup = "claim__account__organization__community"

    claim = models.ForeignKey(
        ExpenseClaim, verbose_name=_("claim"), on_delete=models.CASCADE, related_name="lines"
    )
    category = models.CharField(_("category"), max_length=16, choices=ExpenseCategory.choices)
    description = models.CharField(_("description"), max_length=300, blank=True, default="")
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    payee_name = models.CharField(_("payee"), max_length=200)
    payee_bank = models.CharField(_("payee bank"), max_length=200)
    payee_account_number = models.CharField(_("payee account number"), max_length=40)
    funding_source = models.ForeignKey(
        "funds.FundingSource", verbose_name=_("funding source charged"),
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    project = models.ForeignKey(
        "projects.Project", verbose_name=_("project charged"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
        help_text=_("The member's custody project the expense belongs to."),
    )  # fmt: skip
    reservation = models.OneToOneField(
        "ledger.Transfer", verbose_name=_("reservation"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("claim line")
        verbose_name_plural = _("claim lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="escrow_line_amount_positive",
                violation_error_message=_("The amount must be greater than zero."),
            ),
        ]

    def __str__(self):
        return f"{self.get_category_display()} ¥{self.amount}"


class Voucher(AuditedModel):
    """A receipt or invoice (PDF, JPEG or PNG, type checked from content), stored privately."""

    scope = ACCOUNT_SCOPE.prefixed("claim__account")
    audit_region_lookup = "claim__account__organization__community"

    claim = models.ForeignKey(
        ExpenseClaim, verbose_name=_("claim"), on_delete=models.PROTECT, related_name="vouchers"
    )
    file = models.FileField(
        _("file"), storage=get_private_storage, upload_to=UploadTo("vouchers"), max_length=200
    )
    kind = models.CharField(_("file type"), max_length=8)
    size = models.PositiveIntegerField(_("size (bytes)"))
    original_name = models.CharField(_("original name"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["pdf", "jpeg", "png"]), name="escrow_voucher_kind_known"
            ),
        ]

    def __str__(self):
        return self.original_name


class StatementKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")


class Statement(AuditedModel):
    """A monthly statement's figures (its movements are read from the ledger, which never
    changes, so a statement printed again shows the same rows)."""

    scope = ACCOUNT_SCOPE.prefixed("account")
    audit_region_lookup = "account__organization__community"

    account = models.ForeignKey(
        CustodialAccount, verbose_name=_("custodial account"), on_delete=models.PROTECT,
        related_name="statements",
    )  # fmt: skip
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to (inclusive)"))
    opening_balance = models.DecimalField(_("opening balance"), **MONEY)
    total_in = models.DecimalField(_("money in"), **MONEY)
    total_out = models.DecimalField(_("money out"), **MONEY)
    closing_balance = models.DecimalField(_("closing balance"), **MONEY)
    movement_count = models.PositiveIntegerField(_("movements"))
    by_source = models.JSONField(_("by funding source"), default=list)
    last_transfer_id = models.PositiveBigIntegerField(_("last transfer id"), null=True, blank=True)
    generated_at = models.DateTimeField(_("generated at"), auto_now_add=True)

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["-period_start", "account_id"]
        indexes = [
            # used by: ?period= (all statements of a month)
            models.Index(fields=["period_start"], name="escrow_statement_period"),
        ]
        constraints = [
            # Run twice, one statement: the database holds it. Also the index of ?account=
            # and of the previous closing balance.
            models.UniqueConstraint(
                fields=["account", "period_start"], name="escrow_statement_once_per_month"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="escrow_statement_period_order",
            ),
        ]

    def __str__(self):
        return f"{self.account} {self.period_start:%Y-%m}"


class BankStatementState(models.TextChoices):
    IMPORTED = "imported", _("Imported")
    RECONCILED = "reconciled", _("Reconciled")


class BankStatement(AuditedModel):
    """A month of the federation's bank account, imported from the bank's CSV/XLSX."""

    scope = Scope(region="federation__township", federation="federation_id")
    audit_region_lookup = "federation__township"

    federation = models.ForeignKey(
        "federations.Federation", verbose_name=_("federation"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to (inclusive)"))
    opening_balance = models.DecimalField(_("bank opening balance"), **MONEY)
    closing_balance = models.DecimalField(_("bank closing balance"), **MONEY)
    file_name = models.CharField(_("file"), max_length=200)
    column_mapping = models.JSONField(_("column mapping"), default=dict)
    state = models.CharField(
        _("state"), max_length=12, choices=BankStatementState.choices,
        default=BankStatementState.IMPORTED,
    )  # fmt: skip
    reconciliation = models.JSONField(_("reconciliation"), default=dict, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    reconciled_at = models.DateTimeField(_("reconciled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-period_start", "id"]
        indexes = [
            # used by: bank_statements_visible_to for federation staff, ?federation=
            models.Index(fields=["federation", "period_start"], name="escrow_bank_federation"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["federation", "period_start"],
                name="escrow_bank_once_per_month",
                violation_error_message=_("This month's bank statement is already imported."),
            ),
        ]

    def __str__(self):
        return f"{self.federation} {self.period_start:%Y-%m}"


class BankLine(AuditedModel):
    """One line of a bank statement: + money in, − money out."""

    scope = Scope(region="statement__federation__township", federation="statement__federation_id")
    audit_region_lookup = "statement__federation__township"

    statement = models.ForeignKey(
        BankStatement, verbose_name=_("bank statement"), on_delete=models.CASCADE,
        related_name="lines",
    )  # fmt: skip
    row = models.PositiveIntegerField(_("row"))
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount (CNY, + in, − out)"), **MONEY)
    reference = models.CharField(_("reference"), max_length=100, blank=True, default="")
    counterparty = models.CharField(_("counterparty"), max_length=200, blank=True, default="")
    memo = models.CharField(_("memo"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("bank line")
        verbose_name_plural = _("bank lines")
        ordering = ["statement_id", "row"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "row"], name="escrow_bankline_row_once"),
            models.CheckConstraint(condition=~Q(amount=0), name="escrow_bankline_not_zero"),
        ]

    def __str__(self):
        return f"{self.date} {self.amount} {self.reference}"


class MatchState(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested")
    CONFIRMED = "confirmed", _("Confirmed")


class BankMatch(AuditedModel):
    """A bank line matched to a ledger transfer (a line split over several transfers has one
    match each). A transfer is matched once; removing a match is a history record too."""

    scope = Scope(
        region="line__statement__federation__township",
        federation="line__statement__federation_id",
    )
    audit_region_lookup = "line__statement__federation__township"

    line = models.ForeignKey(
        BankLine, verbose_name=_("bank line"), on_delete=models.CASCADE, related_name="matches"
    )
    transfer = models.OneToOneField(
        "ledger.Transfer", verbose_name=_("ledger transfer"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    state = models.CharField(
        _("state"), max_length=12, choices=MatchState.choices, default=MatchState.SUGGESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bank match")
        verbose_name_plural = _("bank matches")
        ordering = ["line_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="escrow_match_amount_positive"),
        ]

    def __str__(self):
        return f"{self.line} ↔ #{self.transfer_id}"
