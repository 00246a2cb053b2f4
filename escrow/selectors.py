"""Reads of escrow: what each user may see, balances, the dashboard.

Who sees what (DESIGN.md section 2; out of scope is 404):
- federation staff: their federation's accounts and everything in them;
- an organization's representative: its own account, claims, statements;
- finance officers and auditors: the accounts in their region subtree (read; officers also
  decide claims in the approval engine and may freeze);
- administrators: everything.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone

from access.models import Role
from access.selectors import active_assignments, sees_everything
from core import scoping
from ledger import selectors as ledger_selectors
from ledger.models import Account, SourceBalance, Transfer, TransferState

from .models import (
    AccountState,
    BankLine,
    BankMatch,
    BankStatement,
    ClaimLine,
    ClaimState,
    CustodialAccount,
    Deposit,
    ExpenseClaim,
    Statement,
    Voucher,
)

ZERO = Decimal("0.00")
CUSTODIAL = "custodial"
OWNER_TYPE = "federations.organization"


def accounts_visible_to(user) -> QuerySet[CustodialAccount]:
    return scoping.visible_to(
        user,
        CustodialAccount.objects.select_related(
            "federation", "organization", "ledger_account", "frozen_by"
        ),
    )


def deposits_visible_to(user) -> QuerySet[Deposit]:
    return scoping.visible_to(
        user,
        Deposit.objects.select_related(
            "account__organization", "account__federation", "funding_source", "confirmed_by",
            "transfer",
        ),
    )  # fmt: skip


def claims_visible_to(user) -> QuerySet[ExpenseClaim]:
    return scoping.visible_to(
        user,
        ExpenseClaim.objects.select_related(
            "account__organization", "account__federation", "created_by", "paid_by"
        ),
    )


def lines_visible_to(user) -> QuerySet[ClaimLine]:
    return scoping.visible_to(user, ClaimLine.objects.select_related("funding_source"))


def vouchers_visible_to(user) -> QuerySet[Voucher]:
    return scoping.visible_to(user, Voucher.objects.all())


def statements_visible_to(user) -> QuerySet[Statement]:
    return scoping.visible_to(
        user, Statement.objects.select_related("account__organization", "account__federation")
    )


def bank_statements_visible_to(user) -> QuerySet[BankStatement]:
    return scoping.visible_to(user, BankStatement.objects.select_related("federation"))


def bank_lines_visible_to(user) -> QuerySet[BankLine]:
    return scoping.visible_to(user, BankLine.objects.all())


def bank_matches_visible_to(user) -> QuerySet[BankMatch]:
    return scoping.visible_to(user, BankMatch.objects.select_related("line", "transfer"))


# --------------------------------------------------------------------------- roles


def staff_federation_ids(user) -> set[int]:
    return {
        a.federation_id
        for a in active_assignments(user)
        if a.role == Role.FEDERATION_STAFF and a.federation_id
    }


def is_staff_of(user, federation_id: int) -> bool:
    """Federation staff of that federation (administrators too): they pay, so they see
    payees' account numbers in full."""
    return sees_everything(user) or federation_id in staff_federation_ids(user)


def is_officer_over(user, township_path: str) -> bool:
    """A finance officer whose region subtree holds the township (administrators too)."""
    if sees_everything(user):
        return True
    return any(
        a.role == Role.FINANCE_OFFICER and a.scope_path and township_path.startswith(a.scope_path)
        for a in active_assignments(user)
    )


def is_rep_of(user, organization_id: int) -> bool:
    return any(
        a.role == Role.ORGANIZATION_REP and a.organization_id == organization_id
        for a in active_assignments(user)
    )


def mask_account_number(number: str) -> str:
    """'6222 0212 3456 7890' → '************7890' (the last four digits only)."""
    digits = (number or "").replace(" ", "")
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


# --------------------------------------------------------------------------- money


def balance(account: CustodialAccount):
    return ledger_selectors.balance(account.ledger_account_id)


def pending_into(ledger_account_ids) -> QuerySet[Transfer]:
    """Pending transfers into these custodial ledger accounts (receivable money): milestone
    payments from projects, announced campaign money and other income."""
    return Transfer.objects.filter(
        state=TransferState.PENDING, to_account_id__in=ledger_account_ids
    ).select_related("from_account", "source_account")


def overdue_advances(*, on: datetime.date | None = None) -> QuerySet[ExpenseClaim]:
    """Claims paid before their vouchers whose days to bring them have passed."""
    on = on or timezone.localdate()
    return ExpenseClaim.objects.filter(
        vouchers_due_on__isnull=False, vouchers_received_at__isnull=True, vouchers_due_on__lt=on
    )


def dashboard(user, *, federation_id: int | None = None) -> dict:
    """The federation dashboard: held money, by member and by source, receivable, claims
    waiting and their age, advances overdue. A fixed number of queries."""
    accounts = accounts_visible_to(user).exclude(state=AccountState.CLOSED)
    if federation_id is not None:
        accounts = accounts.filter(federation_id=federation_id)
    rows = list(
        accounts.values(
            "id", "organization__name", "federation__name", "state", "ledger_account_id",
            "ledger_account__balance__posted", "ledger_account__balance__pending",
            "ledger_account__balance__receivable",
        ).order_by("organization__name", "id")
    )  # fmt: skip
    ledger_ids = [r["ledger_account_id"] for r in rows]
    members = [
        {
            "account": r["id"],
            "organization": r["organization__name"],
            "federation": r["federation__name"],
            "state": r["state"],
            "state_display": str(AccountState(r["state"]).label),
            "posted": r["ledger_account__balance__posted"] or ZERO,
            "reserved": r["ledger_account__balance__pending"] or ZERO,
            "receivable": r["ledger_account__balance__receivable"] or ZERO,
        }
        for r in rows
    ]
    by_source_rows = (
        SourceBalance.objects.filter(account_id__in=ledger_ids)
        .values("source_account_id")
        .annotate(posted=Sum("posted"), receivable=Sum("receivable"), reserved=Sum("pending"))
        .order_by("source_account_id")
    )
    by_source_rows = list(by_source_rows)
    names = dict(
        Account.objects.filter(pk__in=[r["source_account_id"] for r in by_source_rows]).values_list(
            "id", "name"
        )
    )
    by_source = [
        {
            "source_account": r["source_account_id"],
            "name": names.get(r["source_account_id"], ""),
            "posted": r["posted"] or ZERO,
            "reserved": r["reserved"] or ZERO,
            "receivable": r["receivable"] or ZERO,
        }
        for r in by_source_rows
        if r["posted"] or r["receivable"] or r["reserved"]
    ]
    account_ids = [r["id"] for r in rows]
    now = timezone.now()
    waiting = ExpenseClaim.objects.filter(
        account_id__in=account_ids, state__in=[ClaimState.SUBMITTED, ClaimState.APPROVED]
    ).aggregate(n=Count("id"), total=Sum("total"), oldest=Min("submitted_at"))
    overdue = list(
        overdue_advances()
        .filter(account_id__in=account_ids)
        .values("id", "title", "total", "vouchers_due_on", "account__organization__name")
        .order_by("vouchers_due_on", "id")
    )
    return {
        "total_held": sum((m["posted"] for m in members), ZERO),
        "total_reserved": sum((m["reserved"] for m in members), ZERO),
        "total_receivable": sum((m["receivable"] for m in members), ZERO),
        "members": members,
        "by_source": by_source,
        "claims_waiting": waiting["n"] or 0,
        "claims_waiting_total": waiting["total"] or ZERO,
        "oldest_waiting_days": (now - waiting["oldest"]).days if waiting["oldest"] else 0,
        "advances_overdue": [
            {
                "claim": a["id"],
                "title": a["title"],
                "total": a["total"],
                "due_on": a["vouchers_due_on"],
                "organization": a["account__organization__name"],
            }
            for a in overdue
        ],
    }


def federation_ledger_accounts(federation_id: int) -> list[int]:
    return list(
        CustodialAccount.objects.filter(federation_id=federation_id).values_list(
            "ledger_account_id", flat=True
        )
    )


def transfers_of(ledger_ids, *, start: datetime.datetime, end: datetime.datetime):
    """Posted transfers into or out of these accounts, posted in [start, end)."""
    return Transfer.objects.filter(
        Q(to_account_id__in=ledger_ids) | Q(from_account_id__in=ledger_ids),
        state=TransferState.POSTED,
        resolved_at__gte=start,
        resolved_at__lt=end,
    )
