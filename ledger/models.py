"""The double-entry ledger: accounts, transfers, cached balances.

Every money movement of the project is one `Transfer` from one `Account` to another. A
transfer carries the funding source it spends (that source's own ledger account), so any
balance can be broken down by source. Transfers are insert-only: PostgreSQL refuses
UPDATE, DELETE and TRUNCATE on them (core/triggers.py, declared below), except the one-time
change of a pending transfer to posted or voided. They are links of the one hash chain
(core/chain.py; registered in ledger/chain.py).

Balances are derived data, cached per account (`AccountBalance`) and per account and
source (`SourceBalance`) and updated by guarded SQL in the posting's own transaction (see
services.py). They are not audited row by row (a history row per posting would halve the
throughput); `ledger_verify` recomputes them from the transfers instead.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.audited import AuditedModel
from core.errors import Conflict
from core.money import yuan
from core.scoping import Scope
from core.triggers import OneTimeChange

MONEY = {"max_digits": 18, "decimal_places": 2}

# The SECURITY DEFINER function that alone writes transfers and balances on PostgreSQL
# (ledger/writer.py); the application's role may only SELECT those tables (core/roles.py).
WRITER = "ledger_write(jsonb)"


class AccountKind(models.TextChoices):
    FUNDING_SOURCE = "funding_source", _("Funding source")
    BUDGET_LINE = "budget_line", _("Budget line")
    COMMITMENT = "commitment", _("Project commitment")
    CUSTODIAL = "custodial", _("Custodial account")
    EXTERNAL = "external", _("Outside party")


class TransferKind(models.TextChoices):
    FUNDING = "funding", _("Funding received")
    BUDGET = "budget", _("Budgeted to a line")
    ADJUSTMENT = "adjustment", _("Budget adjustment")
    CARRY_FORWARD = "carry_forward", _("Carried forward")
    ALLOCATION = "allocation", _("Allocation")
    DONATION = "donation", _("Donation")
    PAYMENT = "payment", _("Payment")
    DEPOSIT = "deposit", _("Custodial deposit")
    EXPENSE = "expense", _("Expense")
    REFUND = "refund", _("Refund")
    REVERSAL = "reversal", _("Reversal")
    TRANSFER = "transfer", _("Transfer")


class TransferState(models.TextChoices):
    PENDING = "pending", _("Pending")
    POSTED = "posted", _("Posted")
    VOIDED = "voided", _("Voided")


REGION_PATH = RegexValidator(
    r"^(/[0-9A-Za-z]+)+/$", _('A region path such as "/370500/370502/".'), code="invalid"
)


class Account(AuditedModel):
    """A ledger account. Its owner is named by type and id, so the ledger imports no owner app.

    Only outside parties (`external`: treasury, donors, payees) may go negative. The kind
    never changes once the account exists, because the balance guards depend on it.

    Its scope is data the domain gives it when it opens the account, not foreign keys into
    the domain's tables: the materialized path of the region it lies in, and the ids of the
    federation and the organization it belongs to (any of them empty). They decide who may
    read it and its transfers (`scope`, read by core.scoping / access), and where the
    auditors' workbench places its history (`audit_region_path`).
    """

    scope = Scope(
        region_path="region_path", federation="federation_id", organization="organization_id"
    )
    audit_region_path = "region_path"  # a column holding a region path (audit/registry.py)

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=AccountKind.choices)
    owner_type = models.CharField(
        _("owner type"),
        max_length=64,
        blank=True,
        default="",
        help_text=_('The owning model as "app_label.modelname", e.g. funds.fundingsource.'),
    )
    owner_id = models.PositiveBigIntegerField(_("owner id"), null=True, blank=True)
    region_path = models.CharField(
        _("region path"),
        max_length=255,
        blank=True,
        default="",
        validators=[REGION_PATH],
        help_text=_("The materialized path of the region the account lies in."),
    )
    federation_id = models.PositiveBigIntegerField(_("federation id"), null=True, blank=True)
    organization_id = models.PositiveBigIntegerField(_("organization id"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("opened at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["id"]
        indexes = [
            # used by: the API's ?kind= filter (ledger.api.LedgerAccountFilter)
            models.Index(fields=["kind", "id"], name="ledger_account_kind"),
            # used by: accounts_visible_to (region subtree: region_path LIKE 'prefix%'),
            # the auditors' region filter (audit.history) and transfers_in_region
            models.Index(
                fields=["region_path"],
                name="ledger_account_region_path",
                opclasses=["varchar_pattern_ops"],
            ),
            # used by: accounts_visible_to for federation staff, the ?federation= filter
            models.Index(fields=["federation_id", "id"], name="ledger_account_federation"),
            # used by: accounts_visible_to for organization representatives, ?organization=
            models.Index(fields=["organization_id", "id"], name="ledger_account_org"),
            # used by: open_account's idempotency, account_for_owner, ?owner_type=&owner_id=
            models.Index(fields=["owner_type", "owner_id"], name="ledger_account_owner"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["owner_type", "owner_id", "kind"],
                condition=Q(owner_id__isnull=False),
                name="ledger_account_one_per_owner_kind",
                violation_error_message=_("This owner already has an account of this kind."),
            ),
            models.CheckConstraint(
                condition=Q(owner_id__isnull=True) | ~Q(owner_type=""),
                name="ledger_account_owner_typed",
                violation_error_message=_("An owner id needs an owner type."),
            ),
        ]

    def __str__(self):
        return f"{self.code} · {self.name}"

    @property
    def is_guarded(self) -> bool:
        """Guarded accounts never go below zero; only outside parties may."""
        return self.kind != AccountKind.EXTERNAL

    def clean(self):
        super().clean()
        if self.pk:
            old_kind = Account.objects.filter(pk=self.pk).values_list("kind", flat=True).first()
            if old_kind is not None and old_kind != self.kind:
                raise ValidationError({"kind": _("An account's kind never changes.")})

    def delete(self, *args, **kwargs):
        raise Conflict(
            _("Ledger accounts are closed (made inactive), never deleted."),
            code="account_not_deletable",
        )


class Balance(models.Model):
    """Cached balances (derived data, recomputed by ledger_verify). Not audited row by row."""

    audit_never_deleted = True  # PostgreSQL refuses DELETE and TRUNCATE (core/triggers.py)
    audit_written_through = WRITER  # the application's role: SELECT only (core/roles.py)

    is_guarded = models.BooleanField(_("guarded"), default=True)
    posted = models.DecimalField(_("posted"), default=0, **MONEY)
    pending = models.DecimalField(
        _("reserved"), default=0, help_text=_("Pending transfers out."), **MONEY
    )
    receivable = models.DecimalField(
        _("receivable"), default=0, help_text=_("Pending transfers in."), **MONEY
    )

    class Meta:
        abstract = True

    @property
    def available(self):
        return self.posted - self.pending


def _balance_checks(prefix: str) -> list:
    return [
        models.CheckConstraint(
            condition=Q(is_guarded=False) | Q(posted__gte=F("pending")),
            name=f"{prefix}_guarded_not_negative",
            violation_error_message=_("A guarded account cannot go below zero."),
        ),
        models.CheckConstraint(
            condition=Q(pending__gte=0) & Q(receivable__gte=0),
            name=f"{prefix}_pending_not_negative",
            violation_error_message=_("Reservations cannot be negative."),
        ),
    ]


class AccountBalance(Balance):
    account = models.OneToOneField(
        Account,
        verbose_name=_("account"),
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="balance",
    )
    # Copy of Account.is_active, changed with it under this row's lock (services.close_account):
    # the posting's guarded UPDATE of this row refuses a closed account without reading
    # another table, and a posting racing a closure waits for it and then sees it closed.
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("account balance")
        verbose_name_plural = _("account balances")
        constraints = _balance_checks("ledger_accountbalance")

    def __str__(self):
        return f"{self.account_id}: {self.posted}"


# Cumulative posted flows kept on each share (SourceBalance), by direction and by the kind
# of the account on the other side; a `carry_forward` transfer counts as carried instead.
# Pending money is the shares' pending (out) and receivable (in). Read by the budget
# execution report (funds/reports.py) instead of scanning transfers; recomputed from the
# transfers by ledger_verify like the balances.
FLOW_KINDS = tuple(AccountKind.values)  # the counterparty kinds, in the columns' order
FLOWS_IN = tuple(f"in_{kind}" for kind in FLOW_KINDS) + ("in_carried",)
FLOWS_OUT = tuple(f"out_{kind}" for kind in FLOW_KINDS) + ("out_carried",)
FLOWS = FLOWS_IN + FLOWS_OUT
FEEDING_KINDS = (AccountKind.FUNDING_SOURCE, AccountKind.BUDGET_LINE)


def flow_fields(transfer_kind: str, from_kind: str, to_kind: str) -> tuple[str, str]:
    """The flow columns a posted transfer adds its amount to: (payer's, payee's)."""
    if transfer_kind == TransferKind.CARRY_FORWARD:
        return "out_carried", "in_carried"
    return f"out_{to_kind}", f"in_{from_kind}"


def _flow(verbose_name):
    # db_default: the posting's SQL names only the column it adds to
    return models.DecimalField(verbose_name, default=0, db_default=0, **MONEY)


class SourceBalance(Balance):
    """An account's share of one funding source, and the posted flows that made it.

    The flow columns add up every posted transfer of this account and source by direction
    and by the other side's account kind (`in_budget_line`: posted in from budget lines;
    `out_carried`: posted out as `carry_forward`, whatever the other side), so
    `posted = sum(in_*) - sum(out_*)`. `fed_by`, on a commitment account's share only: the
    lowest id of the funding sources and budget lines that moved (or reserved) money of
    this source into it: the line a commitment's payments are reported under.
    """

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="source_balances",
        db_index=False,  # the (account, source) unique index covers it
    )
    source_account = models.ForeignKey(
        Account,
        verbose_name=_("funding source"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    in_funding_source = _flow(_("posted in from funding sources"))
    in_budget_line = _flow(_("posted in from budget lines"))
    in_commitment = _flow(_("posted in from commitments"))
    in_custodial = _flow(_("posted in from custodial accounts"))
    in_external = _flow(_("posted in from outside parties"))
    in_carried = _flow(_("carried in"))
    out_funding_source = _flow(_("posted out to funding sources"))
    out_budget_line = _flow(_("posted out to budget lines"))
    out_commitment = _flow(_("posted out to commitments"))
    out_custodial = _flow(_("posted out to custodial accounts"))
    out_external = _flow(_("posted out to outside parties"))
    out_carried = _flow(_("carried out"))
    fed_by = models.ForeignKey(
        Account,
        verbose_name=_("fed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the partial index below
        help_text=_("A commitment's share: the lowest source or line that fed it."),
    )

    class Meta:
        verbose_name = _("balance by funding source")
        verbose_name_plural = _("balances by funding source")
        indexes = [
            # used by: the budget execution report (funds/reports.py): the commitments the
            # lines and sources in scope fed. Partial: only commitments' shares are indexed,
            # and fed_by is set when the share is created, so balance updates stay HOT.
            models.Index(
                fields=["fed_by"],
                name="ledger_sourcebalance_fed_by",
                condition=Q(fed_by__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "source_account"], name="ledger_sourcebalance_unique"
            ),
            *_balance_checks("ledger_sourcebalance"),
        ]

    def __str__(self):
        return f"{self.account_id}/{self.source_account_id}: {self.posted}"


class TransferQuerySet(models.QuerySet):
    def _refuse(self, *args, **kwargs):
        from .errors import TransferImmutable

        raise TransferImmutable()

    update = _refuse
    bulk_update = _refuse
    delete = _refuse
    aupdate = _refuse
    abulk_update = _refuse
    adelete = _refuse


class Transfer(models.Model):
    """One movement of money. Insert-only; a mistake is corrected by a reversing transfer."""

    # PostgreSQL refuses UPDATE, DELETE and TRUNCATE (core/triggers.py) but for the one
    # change a transfer makes: pending to posted or voided, once, with who and when.
    audit_append_only = True
    audit_written_through = WRITER  # the application's role: SELECT only (core/roles.py)
    audit_append_only_except = OneTimeChange(
        column="state",
        source="pending",
        targets=("posted", "voided"),
        fills=("resolved_at", "resolved_by_id", "resolution_key", "resolution_proof"),
    )

    from_account = models.ForeignKey(
        Account,
        verbose_name=_("from account"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # covered by the (account, id) index below
    )
    to_account = models.ForeignKey(
        Account,
        verbose_name=_("to account"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # covered by the (account, id) index below
    )
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    source_account = models.ForeignKey(
        Account,
        verbose_name=_("funding source"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        help_text=_("The ledger account of the funding source this money belongs to."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TransferKind.choices)
    memo = models.CharField(_("memo"), max_length=500, blank=True, default="")
    state = models.CharField(_("state"), max_length=10, choices=TransferState.choices)
    two_phase = models.BooleanField(_("reserved first"), default=False)
    reverses = models.ForeignKey(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # the partial unique index below (NULLs are not indexed)
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=100)
    request_hash = models.CharField(_("request hash"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # every index costs each posting; nobody filters by it
    )
    created_at = models.DateTimeField(_("created at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    resolution_key = models.CharField(
        _("resolution idempotency key"), max_length=100, null=True, blank=True
    )
    # Written by ledger.services only: HMACs under a key outside the database (ledger/proof.py).
    proof = models.CharField(_("proof"), max_length=64, null=True, blank=True)
    resolution_proof = models.CharField(_("resolution proof"), max_length=64, null=True, blank=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-id"]
        # Every index costs each posting (one more btree insertion in its statement), so
        # the table keeps only the indexes a query of the project uses, named beside each.
        # Partial indexes cost nothing for the rows outside their condition (a direct
        # posting is not pending, not two-phase, resolves nothing and reverses nothing).
        indexes = [
            # used by: transfers_visible_to (from_account_id IN visible accounts), the API's
            # ?account= and ?from_account= filters
            models.Index(fields=["from_account", "id"], name="ledger_transfer_from"),
            # used by: the same for to_account, and selectors.trace (money into an account)
            models.Index(fields=["to_account", "id"], name="ledger_transfer_to"),
            # used by: transfers_visible_to (source_account_id IN ...), the API's ?source=,
            # selectors.trace (transfers of one funding source)
            models.Index(fields=["source_account", "id"], name="ledger_transfer_source"),
            # used by: the API's ?kind= filter, newest first
            models.Index(fields=["kind", "id"], name="ledger_transfer_kind"),
            # used by: the API's ?date_from=/?date_to= filters and the auditors' timeline
            # (audit.history orders and bounds registered timelines by created_at)
            models.Index(fields=["created_at"], name="ledger_transfer_created"),
            # used by: the API's ?state=pending (outstanding reservations; pending rows only)
            models.Index(
                fields=["id"], name="ledger_transfer_pending", condition=Q(state="pending")
            ),
            # used by: the chain's "resolved" event (ledger/chain.py, recent="resolved_at"):
            # the sealer's pass over two-phase transfers resolved lately
            models.Index(
                fields=["resolved_at"],
                name="ledger_transfer_resolved",
                condition=Q(two_phase=True),
            ),
        ]
        constraints = [
            # used by: every posting (its INSERT fails on a used key, and a second request
            # waits for the first: services._KeyUsed) and the replay of a repeated request
            # (services._replay). A plain btree: no query searches keys by pattern, so no
            # varchar_pattern_ops twin.
            models.UniqueConstraint(
                fields=["idempotency_key"], name="ledger_transfer_idempotency_key_once"
            ),
            # used by: commit/void replays (services._resolve); a pending transfer resolves
            # once per key. Partial: unresolved and direct transfers (NULL) are not indexed.
            models.UniqueConstraint(
                fields=["resolution_key"],
                condition=Q(resolution_key__isnull=False),
                name="ledger_transfer_resolution_key_once",
            ),
            # used by: the API's reversed_by (reverses_id = <id>) and ?reverses= filter; a
            # transfer is reversed once. Partial: only reversals are indexed.
            models.UniqueConstraint(
                fields=["reverses"],
                condition=Q(reverses__isnull=False),
                name="ledger_transfer_reverses_once",
                violation_error_message=_("This transfer has already been reversed."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="ledger_transfer_amount_positive",
                violation_error_message=_("A transfer moves a positive amount."),
            ),
            models.CheckConstraint(
                condition=~Q(from_account=F("to_account")),
                name="ledger_transfer_two_accounts",
                violation_error_message=_("A transfer moves money between two accounts."),
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "posted", "voided"]),
                name="ledger_transfer_state_valid",
            ),
            models.CheckConstraint(
                condition=(Q(state="pending") & Q(resolved_at__isnull=True))
                | (~Q(state="pending") & Q(resolved_at__isnull=False)),
                name="ledger_transfer_resolved_once",
                violation_error_message=_("A transfer is resolved exactly when it is not pending."),
            ),
            models.CheckConstraint(
                condition=Q(two_phase=True) | Q(state="posted"),
                name="ledger_transfer_direct_is_posted",
            ),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True) | (Q(state="posted") & Q(two_phase=False)),
                name="ledger_transfer_reversal_posted",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.from_account_id}→{self.to_account_id} {yuan(self.amount)}"

    def save(self, *args, **kwargs):
        # Transfers are written by ledger.services only (guarded SQL); never by save().
        from .errors import TransferImmutable

        raise TransferImmutable()

    def delete(self, *args, **kwargs):
        from .errors import TransferImmutable

        raise TransferImmutable()

    @property
    def reversed_by(self) -> Transfer | None:
        """The transfer that reverses this one, if any (at most one)."""
        return Transfer.objects.filter(reverses_id=self.pk).first() if self.pk else None
