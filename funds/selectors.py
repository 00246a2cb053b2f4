"""Reads of funds, narrowed to what the user may see.

Finance officers and auditors see the sources, budgets, lines, adjustments and
carry-forwards of their region subtree; a finance officer also sees the sources of the
regions above its own (the county's special fund a township budgets from). Other roles see
none of them (their lists are empty, an object answers 404). Administrators see everything.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, QuerySet

from access.models import Role
from access.selectors import active_assignments, has_role, scope_q, sees_everything
from federations.models import Region
from ledger.models import SourceBalance

from .models import (
    ApprovalState,
    Budget,
    BudgetAdjustment,
    BudgetLine,
    CarryForward,
    FiscalYear,
    FundingSource,
)

ZERO = Decimal("0.00")
READER_ROLES = (Role.FINANCE_OFFICER, Role.AUDITOR)


def _region_q(user, lookup: str) -> Q | None:
    return scope_q(user, region=lookup, roles=READER_ROLES)


def _visible(user, queryset: QuerySet, lookup: str) -> QuerySet:
    q = _region_q(user, lookup)
    return queryset.none() if q is None else queryset.filter(q)


def officer_paths(user) -> list[str]:
    """The region paths where `user` is a finance officer."""
    return [
        a.scope_path
        for a in active_assignments(user)
        if a.role == Role.FINANCE_OFFICER and a.scope_path
    ]


def ancestor_paths(path: str) -> list[str]:
    """ "/a/b/c/" → ["/a/", "/a/b/"] (the regions above, not the region itself)."""
    codes = [c for c in path.split("/") if c]
    return ["/" + "/".join(codes[:i]) + "/" for i in range(1, len(codes))]


def in_officer_scope(user, region: Region) -> bool:
    """Whether `user` acts as finance officer for `region` (its subtree holds it)."""
    if sees_everything(user):
        return True
    return any(region.path.startswith(p) for p in officer_paths(user))


def regions_visible_to(user) -> QuerySet:
    return _visible(user, Region.objects.all(), "self")


def fiscal_years_visible_to(user) -> QuerySet:
    if sees_everything(user) or has_role(user, *READER_ROLES):
        return FiscalYear.objects.all()
    return FiscalYear.objects.none()


def sources_visible_to(user) -> QuerySet:
    """Sources in the user's subtree, and for finance officers the sources above it."""
    queryset = FundingSource.objects.select_related("fiscal_year", "region", "account")
    if sees_everything(user):
        return queryset
    q = _region_q(user, "region")
    above = {p for path in officer_paths(user) for p in ancestor_paths(path)}
    if above:
        up = Q(region__path__in=sorted(above))
        q = up if q is None else q | up
    return queryset.none() if q is None else queryset.filter(q)


def budgets_visible_to(user) -> QuerySet:
    return _visible(user, Budget.objects.select_related("fiscal_year", "region"), "region")


def lines_visible_to(user) -> QuerySet:
    return _visible(
        user,
        BudgetLine.objects.select_related(
            "budget__fiscal_year", "budget__region", "source__fiscal_year", "account"
        ),
        "budget__region",
    )


def adjustments_visible_to(user) -> QuerySet:
    return _visible(
        user,
        BudgetAdjustment.objects.select_related(
            "budget__fiscal_year", "budget__region", "from_line", "to_line"
        ),
        "budget__region",
    )


def carry_forwards_visible_to(user) -> QuerySet:
    return _visible(
        user,
        CarryForward.objects.select_related("source__fiscal_year", "source__region"),
        "source__region",
    )


# --------------------------------------------------------------------------- money


def source_available(source: FundingSource) -> Decimal:
    """What a source's own account may still give to budget lines (the ledger's figure:
    posted − reserved of the source's money in its account)."""
    if source.account_id is None:
        return ZERO
    share = SourceBalance.objects.filter(
        account_id=source.account_id, source_account_id=source.money_tag_id
    ).first()
    return share.available if share else ZERO


def line_available(line: BudgetLine, tag_id: int | None = None) -> Decimal:
    """What can still be allocated from a line, of its source's money (or of `tag_id`)."""
    if line.account_id is None:
        return ZERO
    share = SourceBalance.objects.filter(
        account_id=line.account_id, source_account_id=tag_id or line.source.money_tag_id
    ).first()
    return share.available if share else ZERO


def unallocated_of(source: FundingSource) -> list[dict]:
    """Where a source's money still unallocated sits in its year: the source's own account
    and every line of that year holding its money, with the amount each may give."""
    tag = source.money_tag_id
    if tag is None:
        return []
    accounts = [source.account_id] + list(
        BudgetLine.objects.filter(
            budget__fiscal_year=source.fiscal_year_id, account__isnull=False
        ).values_list("account_id", flat=True)
    )
    shares = SourceBalance.objects.filter(account_id__in=accounts, source_account_id=tag).values(
        "account_id", "posted", "pending"
    )
    return [
        {"account_id": s["account_id"], "amount": s["posted"] - s["pending"]}
        for s in shares
        if s["posted"] - s["pending"] > 0
    ]


def closing_report(year: FiscalYear, *, user) -> dict:
    """Each source's and line's unallocated money in `year` (what closing leaves behind)."""
    sources = list(
        sources_visible_to(user)
        .filter(fiscal_year=year, state=ApprovalState.APPROVED)
        .order_by("region__path", "id")
    )
    lines = list(
        lines_visible_to(user)
        .filter(budget__fiscal_year=year, budget__state=ApprovalState.APPROVED)
        .select_related("source")
        .order_by("budget__region__path", "id")
    )
    keys = [(s.account_id, s.money_tag_id) for s in sources] + [
        (ln.account_id, ln.source.money_tag_id) for ln in lines
    ]
    accounts = {k[0] for k in keys if k[0]}
    shares = {
        (b.account_id, b.source_account_id): b.posted - b.pending
        for b in SourceBalance.objects.filter(account_id__in=accounts)
    }
    line_money: dict[int, Decimal] = {}
    for b_key, amount in shares.items():
        line_money.setdefault(b_key[0], ZERO)
        line_money[b_key[0]] += amount
    source_rows = [
        {
            "source": s.pk,
            "name": s.name,
            "kind": s.kind,
            "region": s.region_id,
            "unallocated": shares.get((s.account_id, s.money_tag_id), ZERO),
        }
        for s in sources
    ]
    line_rows = [
        {
            "line": ln.pk,
            "budget": ln.budget_id,
            "region": ln.budget.region_id,
            "category": ln.category,
            "source": ln.source_id,
            "unallocated": line_money.get(ln.account_id, ZERO),
        }
        for ln in lines
    ]
    return {
        "fiscal_year": year.year,
        "state": year.state,
        "sources": source_rows,
        "lines": line_rows,
        "total_unallocated": sum((r["unallocated"] for r in source_rows), ZERO)
        + sum((r["unallocated"] for r in line_rows), ZERO),
    }
