"""The budget execution report (预算执行情况), computed from the ledger alone.

It lives in funds, the lowest layer that knows what the ledger's accounts mean (sources
and lines); projects, which posts allocations and payments, sits above and needs nothing
of its own here. No counter kept beside the ledger is read: every figure is a sum of
ledger transfers, grouped by the kind of the accounts on either side.

The contract with the apps that move money out of budget lines (projects):

- Allocating is a transfer from a budget line's account (kind `budget_line`) to a project
  commitment account (kind `commitment`), carrying the line's money tag as its source:
  `ledger.reserve` when approved (pending: *reserved*), `ledger.commit_pending` at contract
  signing (posted: *committed*), `ledger.void_pending` when released. Money given back to
  the line is a transfer (or reversal) from the commitment account to the line.
- Paying is a posted transfer out of the commitment account to anything that is not a
  budget line (an outside payee, a custodial account): *paid*; its reversal, back into the
  commitment account from the same kind of account, un-pays.
- One commitment account per allocation, fed from one line: the report attributes a
  commitment's payments to the line that fed it (with the same money tag). If several
  lines feed one commitment with the same tag, its payments go to the first of them.

The figures, per row:

- appropriated: posted into a source's account from outside (the treasury, donors) or
  carried in from an earlier year, less reversals back out;
- budgeted: posted into lines from sources and other lines (budgets, adjustments), less
  what left them for sources or other lines (adjustments out);
- reserved: pending out of lines; committed: posted out of lines into commitments, less
  what came back; paid: out of those commitments to payees, less reversals;
- carried_forward: posted out with kind `carry_forward` (into the next year);
- available: money still to be budgeted (at the source) or allocated (on lines):
  appropriated − budgeted − carried (sources) and budgeted − reserved − committed −
  carried (lines), which is the accounts' cached available balance, checked by tests.

A fixed number of queries whatever the size: the lines and sources in scope, the years'
sources by money tag, the region children, and six grouped sums over the ledger.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Min, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from federations.models import Region
from ledger.models import AccountKind, Transfer, TransferKind, TransferState

from .models import ApprovalState, BudgetLine, FundingSource, PurchaseCategory, SourceKind

ZERO = Decimal("0.00")
FIGURES = ("appropriated", "budgeted", "reserved", "committed", "paid", "carried_forward",
           "available")  # fmt: skip
GROUPS = ("region", "source_kind", "source", "category", "line")
FIGURE_LABELS = {
    "appropriated": gettext_lazy("Appropriated"),
    "budgeted": gettext_lazy("Budgeted"),
    "reserved": gettext_lazy("Reserved (pending)"),
    "committed": gettext_lazy("Committed"),
    "paid": gettext_lazy("Paid"),
    "carried_forward": gettext_lazy("Carried forward"),
    "available": gettext_lazy("Available"),
}


@dataclass
class Fact:
    """The figures of one line account's money of one tag, or of one source's account."""

    region_id: int
    region_path: str
    source: FundingSource | None
    category: str | None  # None: money at the source, not yet budgeted
    line_id: int | None
    figures: dict = field(default_factory=lambda: dict.fromkeys(FIGURES, ZERO))
    moved_out: Decimal = ZERO  # a source's money budgeted to lines (shown on the lines)


def _d(value) -> Decimal:
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value)).quantize(Decimal("0.01"))


def _flows(holders_q: Q, *, side: str):
    """Sums of transfers out of (side="from") or into (side="to") the accounts matched by
    `holders_q`, by account, money tag, the other side's account kind, kind and state."""
    other = "to" if side == "from" else "from"
    return (
        Transfer.objects.filter(holders_q)
        .values(
            f"{side}_account_id", "source_account_id", f"{other}_account__kind", "kind", "state"
        )  # fmt: skip
        .annotate(total=Sum("amount"))
        .order_by()
    )


def _holders(field: str, lines_sub, sources_sub) -> Q:
    return Q(**{f"{field}__in": lines_sub}) | Q(**{f"{field}__in": sources_sub})


def execution_facts(region: Region, year: int, **filters) -> list[Fact]:
    """The report's facts for a region subtree and year, from the ledger: one per budget
    line and money tag, and one per source for the money still at the source."""
    lines_qs = BudgetLine.objects.filter(
        budget__fiscal_year__year=year,
        budget__region__path__startswith=region.path,
        budget__state=ApprovalState.APPROVED,
        account__isnull=False,
    )
    if filters.get("category"):
        lines_qs = lines_qs.filter(category=filters["category"])
    sources_qs = FundingSource.objects.filter(
        fiscal_year__year=year, region__path__startswith=region.path, account__isnull=False
    )
    if filters.get("category"):
        sources_qs = sources_qs.none()  # money at a source has no category yet
    if filters.get("source_kind"):
        sources_qs = sources_qs.filter(kind=filters["source_kind"])
    if filters.get("source"):
        sources_qs = sources_qs.filter(pk=filters["source"])
    lines = {
        r["account_id"]: r
        for r in lines_qs.values(
            "id", "account_id", "category", "budget__region_id", "budget__region__path"
        )  # fmt: skip
    }
    sources = {s.account_id: s for s in sources_qs.select_related("region")}
    lines_sub, sources_sub = lines_qs.values("account_id"), sources_qs.values("account_id")
    # The year's sources by money tag (a line's money may be another source's after a
    # cross-source adjustment; carried money keeps the tag of the source it came from).
    tag_sources = {
        s.money_tag_id: s
        for s in FundingSource.objects.filter(fiscal_year__year=year, money_tag__isnull=False)
        .select_related("region")
        .order_by("id")
    }
    facts: dict[tuple, Fact] = {}

    def fact_for(account_id, tag) -> Fact | None:
        source = sources.get(account_id)
        if source is not None:
            key = ("source", source.pk)
            if key not in facts:
                facts[key] = Fact(source.region_id, source.region.path, source, None, None)
            return facts[key]
        row = lines.get(account_id)
        if row is None:
            return None
        source = tag_sources.get(tag)
        if filters.get("source_kind") and (source is None or source.kind != filters["source_kind"]):
            return None
        if filters.get("source") and (source is None or source.pk != filters["source"]):
            return None
        key = ("line", row["id"], tag)
        if key not in facts:
            facts[key] = Fact(row["budget__region_id"], row["budget__region__path"], source,
                              row["category"], row["id"])  # fmt: skip
        return facts[key]

    for r in _flows(_holders("from_account_id", lines_sub, sources_sub), side="from"):
        fact = fact_for(r["from_account_id"], r["source_account_id"])
        if fact is None:
            continue
        f, amount, to_kind = fact.figures, _d(r["total"]), r["to_account__kind"]
        if r["state"] == TransferState.PENDING:
            f["reserved"] += amount
        elif r["state"] != TransferState.POSTED:
            continue
        elif r["kind"] == TransferKind.CARRY_FORWARD:
            f["carried_forward"] += amount
        elif to_kind == AccountKind.COMMITMENT:
            f["committed"] += amount
        elif fact.line_id is not None:
            f["budgeted"] -= amount  # an adjustment out of the line
        elif to_kind == AccountKind.EXTERNAL:
            f["appropriated"] -= amount  # a reversal back to the treasury or donor
        else:
            fact.moved_out += amount  # budgeted to lines (shown on the lines)
    for r in _flows(_holders("to_account_id", lines_sub, sources_sub), side="to"):
        if r["state"] != TransferState.POSTED:
            continue
        fact = fact_for(r["to_account_id"], r["source_account_id"])
        if fact is None:
            continue
        amount = _d(r["total"])
        if r["from_account__kind"] == AccountKind.COMMITMENT:
            fact.figures["committed"] -= amount  # given back
        elif fact.line_id is not None:
            fact.figures["budgeted"] += amount
        else:
            fact.figures["appropriated"] += amount  # from outside, or carried in

    # Commitments fed by these accounts, and what they paid out.
    feeding = _holders("from_account_id", lines_sub, sources_sub) & Q(
        to_account__kind=AccountKind.COMMITMENT
    )
    fed_by = {
        (r["to_account_id"], r["source_account_id"]): r["holder"]
        for r in Transfer.objects.filter(feeding)
        .values("to_account_id", "source_account_id")
        .annotate(holder=Min("from_account_id"))
        .order_by()
    }
    commitments = Transfer.objects.filter(feeding).values("to_account_id")
    spenders = {AccountKind.BUDGET_LINE, AccountKind.FUNDING_SOURCE}
    for side, sign in (("from", 1), ("to", -1)):
        holders_q = Q(**{f"{side}_account_id__in": commitments})
        for r in _flows(holders_q, side=side):
            other_kind = r["to_account__kind" if side == "from" else "from_account__kind"]
            if r["state"] != TransferState.POSTED or other_kind in spenders:
                continue
            holder = fed_by.get((r[f"{side}_account_id"], r["source_account_id"]))
            fact = fact_for(holder, r["source_account_id"]) if holder else None
            if fact is not None:
                fact.figures["paid"] += sign * _d(r["total"])

    for fact in facts.values():
        f = fact.figures
        start = f["budgeted"] if fact.line_id is not None else f["appropriated"] - fact.moved_out
        f["available"] = start - f["reserved"] - f["committed"] - f["carried_forward"]
    return list(facts.values())


def _child_regions(region: Region) -> dict[str, Region]:
    return {r.path: r for r in Region.objects.filter(parent=region)}


def budget_execution(region: Region, year: int, *, group_by: str = "region", **filters) -> dict:
    """Rows of the report for `region` (its subtree) and `year`, grouped by `group_by`:

    region: each child region (and the region itself for its own money: "本级");
    source_kind, source, category: one row each; line: one row per budget line (and one
    per source for money not yet budgeted)."""
    facts = execution_facts(region, year, **filters)
    rows: dict = {}
    children = _child_regions(region) if group_by == "region" else {}
    line_info = {}
    if group_by == "line":
        ids = [f.line_id for f in facts if f.line_id]
        line_info = {
            ln.pk: ln
            for ln in BudgetLine.objects.filter(pk__in=ids).select_related(
                "budget__region", "source"
            )
        }
    for fact in facts:
        key, label, extra = _group(fact, group_by, region, children, line_info)
        row = rows.get(key)
        if row is None:
            row = rows[key] = {"key": key, "label": label, **extra, **dict.fromkeys(FIGURES, ZERO)}
        for name in FIGURES:
            row[name] += fact.figures[name]
    ordered = sorted(rows.values(), key=lambda r: (str(r.get("sort", "")), str(r["key"])))
    totals = dict.fromkeys(FIGURES, ZERO)
    for row in ordered:
        row.pop("sort", None)
        for name in FIGURES:
            totals[name] += row[name]
    return {
        "region": region.pk,
        "region_name": region.name,
        "fiscal_year": year,
        "group_by": group_by,
        "rows": ordered,
        "totals": totals,
    }


def _group(fact: Fact, group_by: str, region: Region, children: dict, line_info: dict):
    source = fact.source
    if group_by == "region":
        if fact.region_path == region.path:
            return (
                f"region:{region.pk}",
                _("%(name)s (own level)") % {"name": region.name},
                {"region": region.pk, "drill": False, "sort": region.path},
            )
        for path, child in children.items():
            if fact.region_path.startswith(path):
                return f"region:{child.pk}", child.name, {
                    "region": child.pk, "drill": child.level != Region.Level.COMMUNITY,
                    "sort": child.path}  # fmt: skip
        return "region:?", "?", {"region": None, "drill": False, "sort": "~"}
    if group_by == "source_kind":
        kind = source.kind if source else ""
        return f"kind:{kind}", str(SourceKind(kind).label) if kind else "?", {"sort": kind}
    if group_by == "source":
        if source is None:
            return "source:?", "?", {"source": None, "sort": "~"}
        return (
            f"source:{source.pk}",
            source.name,
            {"source": source.pk, "sort": f"{source.region.path}{source.pk:09d}"},
        )
    if group_by == "category":
        if fact.category is None:
            return "category:-", _("Not yet budgeted"), {"category": None, "sort": "~"}
        return (
            f"category:{fact.category}",
            str(PurchaseCategory(fact.category).label),
            {"category": fact.category, "sort": fact.category},
        )
    # line
    if fact.line_id is None:
        name = source.name if source else "?"
        return (
            f"source:{source.pk if source else 0}",
            _("%(s)s: not yet budgeted") % {"s": name},
            {"line": None, "source": source.pk if source else None, "sort": f"0{fact.region_path}"},
        )
    line = line_info.get(fact.line_id)
    label = (
        f"{line.budget.region.name}·{line.get_category_display()}·{line.source.name}"
        if line
        else str(fact.line_id)
    )
    return (
        f"line:{fact.line_id}",
        label,
        {
            "line": fact.line_id,
            "category": fact.category,
            "sort": f"1{fact.region_path}{fact.line_id:09d}",
        },
    )


# --------------------------------------------------------------------------- files


def _header() -> list[str]:
    return [_("Row")] + [str(FIGURE_LABELS[f]) for f in FIGURES]


def export_csv(report: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_header())
    for row in report["rows"]:
        writer.writerow([row["label"]] + [f"{row[f]:.2f}" for f in FIGURES])
    writer.writerow([_("Total")] + [f"{report['totals'][f]:.2f}" for f in FIGURES])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_xlsx(report: dict, *, title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Budget execution")[:31])
    sheet.append([title])
    sheet.append(_header())
    for row in report["rows"]:
        sheet.append([row["label"]] + [row[f] for f in FIGURES])
    sheet.append([_("Total")] + [report["totals"][f] for f in FIGURES])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
