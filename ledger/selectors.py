"""Reads: balances (constant time, from the caches), traces, and scoped lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Q, QuerySet

from core import scoping
from core.compiled import Compiled

from .models import Account, SourceBalance, Transfer, TransferState

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class BalanceView:
    account_id: int
    posted: Decimal
    pending: Decimal  # reserved: pending transfers out
    receivable: Decimal  # pending transfers in: expected, not spendable

    @property
    def available(self) -> Decimal:
        return self.posted - self.pending


@dataclass(frozen=True)
class SourceShare(BalanceView):
    source_account_id: int = 0


def _account_id(account) -> int:
    return account.pk if isinstance(account, Account) else int(account)


def _money(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))  # SQLite


def balance(account) -> BalanceView:
    """The account's cached balance: one primary-key read, whatever the ledger's length.

    Plain SQL: on the hot path of every payment check, the ORM's query building cost
    several times the read itself.
    """
    account_id = _account_id(account)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT posted, pending, receivable FROM ledger_accountbalance WHERE account_id = %s",
            [account_id],
        )
        row = cursor.fetchone()
    posted, pending, receivable = (_money(v) for v in row) if row else (ZERO, ZERO, ZERO)
    return BalanceView(account_id, posted, pending, receivable)


def balance_by_source(account) -> list[SourceShare]:
    """The account's balance broken down by funding source (one indexed read)."""
    account_id = _account_id(account)
    rows = (
        SourceBalance.objects.filter(account_id=account_id)
        .order_by("source_account_id")
        .values_list("source_account_id", "posted", "pending", "receivable")
    )
    return [
        SourceShare(account_id, posted, pending, receivable, source_account_id=source)
        for source, posted, pending, receivable in rows
    ]


def source_share(account, source_account) -> SourceShare:
    account_id, source_id = _account_id(account), _account_id(source_account)
    row = (
        SourceBalance.objects.filter(account_id=account_id, source_account_id=source_id)
        .values_list("posted", "pending", "receivable")
        .first()
    )
    posted, pending, receivable = row or (ZERO, ZERO, ZERO)
    return SourceShare(account_id, posted, pending, receivable, source_account_id=source_id)


@dataclass
class Trace:
    """Where a transfer's money came from: its funding source, and the transfers (of that
    source) that brought the money to each account on the way, nearest first."""

    transfer: Transfer
    source_account: Account
    owner_type: str
    owner_id: int | None
    steps: list[list[Transfer]] = field(default_factory=list)
    reached_source: bool = False


def trace(transfer, *, max_depth: int = 10, per_step: int = 20) -> Trace:
    """Follow the money of `transfer` back through the accounts to its funding source."""
    if not isinstance(transfer, Transfer):
        transfer = Transfer.objects.get(pk=transfer)
    source = Account.objects.get(pk=transfer.source_account_id)
    result = Trace(transfer, source, source.owner_type, source.owner_id)
    frontier = {transfer.from_account_id}
    seen = set(frontier)
    for _depth in range(max_depth):
        if source.pk in frontier:
            result.reached_source = True
            break
        feeding = list(
            Transfer.objects.filter(
                to_account_id__in=frontier,
                source_account_id=source.pk,
                state=TransferState.POSTED,
                id__lt=transfer.pk,
            )
            .select_related("from_account", "to_account")
            .order_by("-id")[:per_step]
        )
        if not feeding:
            break
        result.steps.append(feeding)
        frontier = {t.from_account_id for t in feeding} - seen
        seen |= frontier
        if not frontier:
            break
    else:
        result.reached_source = source.pk in frontier
    return result


def accounts_visible_to(user) -> QuerySet[Account]:
    """Accounts the user may read: by region path subtree, federation id or organization id
    (the scope the account declares, `Account.scope`)."""
    return scoping.visible_to(user, Account.objects.all())


def transfers_visible_to(user) -> QuerySet[Transfer]:
    """Transfers touching (from, to, or spending the source of) an account the user sees."""
    if scoping.sees_everything(user):
        return Transfer.objects.all()
    accounts = accounts_visible_to(user).values("id")
    return Transfer.objects.filter(
        Q(from_account_id__in=accounts)
        | Q(to_account_id__in=accounts)
        | Q(source_account_id__in=accounts)
    )


_FOR_OWNER = Compiled(
    lambda owner_type, owner_id, kind: Account.objects.filter(
        owner_type=owner_type, owner_id=owner_id, kind=kind
    ).order_by("pk")[:1]
)


def account_for_owner(owner_type: str, owner_id: int, kind: str) -> Account | None:
    return _FOR_OWNER.first(owner_type, owner_id, kind)  # every payment asks: compiled once
