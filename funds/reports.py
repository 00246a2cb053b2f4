"""The budget execution report (预算执行情况), computed from the ledger alone.

It lives in funds, the lowest layer that knows what the ledger's accounts mean (sources
and lines); projects, which posts allocations and payments, sits above and needs nothing
of its own here. No counter kept beside the ledger is read: every figure is a sum of
ledger transfers, grouped by the kind of the accounts on either side, read from the sums
the ledger itself keeps per account and money tag (the shares' posted flows by the other
side's account kind, `ledger.models.SourceBalance`: written by each posting in its own
statement, recomputed from the transfers and compared by `ledger_verify` like the balances).

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
  lines feed one commitment with the same tag, its payments go to the one of them with
  the lowest ledger account id (the commitment's share keeps it: `fed_by`).

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

A fixed number of queries whatever the size: the lines and sources in scope, the year's
sources by money tag, the region children, and one statement over the ledger's shares
(the holders' own, by the (account, source) index, and the commitments they fed, by the
fed_by index): it grows with the accounts in scope, never with their transfers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from federations.models import Region

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


@dataclass(frozen=True)
class SourceInfo:
    """What the report needs of a funding source (read with values(), not as models)."""

    pk: int
    name: str
    kind: str
    region_id: int
    region_path: str
    account_id: int
    money_tag_id: int


_SOURCE_VALUES = ("id", "name", "kind", "region_id", "region__path", "account_id", "money_tag_id")


def _source_infos(queryset) -> list[SourceInfo]:
    return [SourceInfo(*row) for row in queryset.values_list(*_SOURCE_VALUES).order_by("id")]


@dataclass
class Fact:
    """The figures of a line account's money (of one tag, or summed over a group of lines:
    what the grouping keeps of a line), or of one source's account."""

    region_id: int | None
    region_path: str
    source: SourceInfo | None
    category: str | None  # None: money at the source, not yet budgeted
    line_id: int | None
    figures: dict = field(default_factory=lambda: dict.fromkeys(FIGURES, ZERO))
    moved_out: Decimal = ZERO  # a source's money budgeted to lines (shown on the lines)
    label: str = ""  # a line's: region · category · source
    is_line: bool = True


def _d(value) -> Decimal:
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value)).quantize(Decimal("0.01"))


# The figures of the holders in scope (budget lines, sources) in one statement over the
# ledger's shares (ledger.SourceBalance: each posting keeps them in its own statement,
# ledger_verify recomputes them from the transfers), summed in the database by what the
# grouping keeps of a line (`_LINE_KEYS`) or per source. Parts: 0 a line's own shares,
# 1 what the commitments the lines fed (`fed_by`) paid out to anything that is not a line
# or a source, less what came back from it; 2 and 3 the same for sources. Sums: pending
# out, carried out, committed (out to commitments less back from them), in from anything
# else, out to outside parties, out to anything else. Indexed reads only ((account,
# source) and the partial fed_by index); no transfer is read.
_OWN = """SUM({t}.pending), SUM({t}.out_carried), SUM({t}.out_commitment - {t}.in_commitment),
  SUM({t}.in_funding_source + {t}.in_budget_line + {t}.in_custodial + {t}.in_external
      + {t}.in_carried),
  SUM({t}.out_external), SUM({t}.out_funding_source + {t}.out_budget_line + {t}.out_custodial)"""
_PAID = """SUM({t}.out_commitment + {t}.out_custodial + {t}.out_external - {t}.in_commitment
      - {t}.in_custodial - {t}.in_external), 0, 0, 0, 0, 0"""
_PART = """SELECT {part}, {keys}, {sums}
FROM {holders} h JOIN ledger_sourcebalance {t} ON {t}.{join} = h.h_account{where}
GROUP BY {group}"""
# What a line's figures are summed by (three key columns: id, id, text), per grouping.
_LINE_KEYS = {
    "line": ("h.h_line", "{t}.source_account_id", "NULL"),
    "region": ("h.h_region", "NULL", "h.h_path"),
    "category": ("NULL", "NULL", "h.h_category"),
    "source_kind": ("{t}.source_account_id", "NULL", "NULL"),
    "source": ("{t}.source_account_id", "NULL", "NULL"),
}
_SOURCE_KEYS = ("h.h_source", "NULL", "NULL")
_NULLS = ("CAST(NULL AS BIGINT)", "CAST(NULL AS BIGINT)", "CAST(NULL AS TEXT)")


def _part(part: int, keys: tuple, holders: str, tag_filter: str) -> str:
    t = "c" if part % 2 else "b"
    keys = [k.format(t=t) for k in keys]
    typed = [k if k != "NULL" else _NULLS[i] for i, k in enumerate(keys)]  # UNION types
    return _PART.format(
        part=part,
        keys=", ".join(typed),
        sums=(_PAID if part % 2 else _OWN).format(t=t),
        holders=holders,
        t=t,
        join="fed_by_id" if part % 2 else "account_id",
        where=f" WHERE {t}.source_account_id IN ({tag_filter})" if tag_filter else "",
        group=", ".join(k for k in keys if k != "NULL"),
    )


def _figures(group_by: str, lines_qs, sources_qs, tags_qs):
    """Rows (part, key, key, key, six sums) from the ledger for the holders in scope."""
    lines_sql, params = (
        lines_qs.annotate(
            h_account=F("account_id"),
            h_line=F("id"),
            h_region=F("budget__region_id"),
            h_path=F("budget__region__path"),
            h_category=F("category"),
        )
        .values("h_account", "h_line", "h_region", "h_path", "h_category")
        .order_by()
        .query.sql_with_params()
    )
    ctes, params = [f"lines AS ({lines_sql})"], list(params)
    if sources_qs is not None:
        query = (
            sources_qs.annotate(h_account=F("account_id"), h_source=F("id"))
            .values("h_account", "h_source")
            .order_by()
            .query
        )
        sources_sql, sources_params = query.sql_with_params()
        ctes.append(f"sources AS ({sources_sql})")
        params += sources_params
    tag_filter = ""
    if tags_qs is not None:
        tag_filter, tags_params = tags_qs.values("money_tag_id").order_by().query.sql_with_params()
    keys = _LINE_KEYS[group_by]
    parts = [_part(0, keys, "lines", tag_filter), _part(1, keys, "lines", tag_filter)]
    if tags_qs is not None:
        params += [*tags_params, *tags_params]
    if sources_qs is not None:
        parts += [_part(2, _SOURCE_KEYS, "sources", ""), _part(3, _SOURCE_KEYS, "sources", "")]
    sql = f"WITH {', '.join(ctes)}\n" + "\nUNION ALL\n".join(parts)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def execution_facts(region: Region, year: int, *, group_by: str = "line", **filters) -> list[Fact]:
    """The report's facts for a region subtree and year, from the ledger, one per source for
    the money still at the source and, for the lines, one per what `group_by` keeps of
    them: "line" (the default) one per budget line and money tag; "region" per region;
    "category" per category; "source_kind" and "source" per money tag."""
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
        sources_qs = None  # money at a source has no category yet
    if sources_qs is not None and filters.get("source_kind"):
        sources_qs = sources_qs.filter(kind=filters["source_kind"])
    if sources_qs is not None and filters.get("source"):
        sources_qs = sources_qs.filter(pk=filters["source"])
    # The year's sources by money tag (a line's money may be another source's after a
    # cross-source adjustment; carried money keeps the tag of the source it came from).
    year_sources = FundingSource.objects.filter(fiscal_year__year=year, money_tag__isnull=False)
    tags_qs = None  # a line's money counts when its tag is of a source the filters keep
    if filters.get("source_kind") or filters.get("source"):
        tags_qs = year_sources
        if filters.get("source_kind"):
            tags_qs = tags_qs.filter(kind=filters["source_kind"])
        if filters.get("source"):
            tags_qs = tags_qs.filter(pk=filters["source"])
    lines = {}
    if group_by == "line":
        lines = {
            r["id"]: r
            for r in lines_qs.values(
                "id",
                "category",
                "budget__region_id",
                "budget__region__path",
                "budget__region__name",
                "source__name",
            )  # fmt: skip
        }
    sources = {}
    if sources_qs is not None:
        sources = {s.pk: s for s in _source_infos(sources_qs)}
    tag_sources = {}
    if group_by in ("line", "source", "source_kind"):
        tag_sources = {s.money_tag_id: s for s in _source_infos(year_sources)}
    facts: dict[tuple, Fact] = {}

    def fact_for(part, k1, k2, k3) -> Fact | None:
        key = (part > 1, k1, k2, k3)
        fact = facts.get(key)
        if fact is not None:
            return fact
        if part > 1:  # a source's own account
            source = sources[k1]
            fact = Fact(source.region_id, source.region_path, source, None, None, is_line=False)
        elif group_by == "line":
            row = lines[k1]
            fact = Fact(row["budget__region_id"], row["budget__region__path"],
                        tag_sources.get(k2), row["category"], k1,
                        label=f"{row['budget__region__name']}·{row['category']}·"
                        f"{row['source__name']}")  # fmt: skip
        elif group_by == "region":
            fact = Fact(k1, k3, None, None, None)
        elif group_by == "category":
            fact = Fact(None, "", None, k3, None)
        else:  # source, source_kind
            fact = Fact(None, "", tag_sources.get(k1), None, None)
        facts[key] = fact
        return fact

    for part, k1, k2, k3, *sums in _figures(group_by, lines_qs, sources_qs, tags_qs):
        fact = fact_for(part, k1, k2, k3)
        f = fact.figures
        if part % 2:  # paid: what the commitments it fed paid out, net
            f["paid"] += _d(sums[0])
            continue
        pending, carried, committed, in_other, out_external, out_other = (_d(x) for x in sums)
        f["reserved"] += pending
        f["carried_forward"] += carried
        f["committed"] += committed
        if fact.is_line:  # budgets and adjustments in, less adjustments out
            f["budgeted"] += in_other - out_external - out_other
        else:  # from outside or carried in, less reversals; budgeted to lines
            f["appropriated"] += in_other - out_external
            fact.moved_out += out_other

    for fact in facts.values():
        f = fact.figures
        start = f["budgeted"] if fact.is_line else f["appropriated"] - fact.moved_out
        f["available"] = start - f["reserved"] - f["committed"] - f["carried_forward"]
    return list(facts.values())


def _child_regions(region: Region) -> dict[str, Region]:
    return {r.path: r for r in Region.objects.filter(parent=region)}


def budget_execution(region: Region, year: int, *, group_by: str = "region", **filters) -> dict:
    """Rows of the report for `region` (its subtree) and `year`, grouped by `group_by`:

    region: each child region (and the region itself for its own money: "本级");
    source_kind, source, category: one row each; line: one row per budget line (and one
    per source for money not yet budgeted)."""
    facts = execution_facts(region, year, group_by=group_by, **filters)
    rows: dict = {}
    children = _child_regions(region) if group_by == "region" else {}
    labels = {c: str(label) for c, label in PurchaseCategory.choices}
    depth = region.path.count("/")  # "/a/b/" has 3: a child's path has one segment more
    groups: dict = {}
    for fact in facts:
        identity = _identity(fact, group_by, depth)
        group = groups.get(identity)
        if group is None:
            group = groups[identity] = _group(fact, group_by, region, children, labels)
        key, label, extra = group
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


def _identity(fact: Fact, group_by: str, depth: int):
    """What decides a fact's row, cheaply (the row's label is built once per row)."""
    if group_by == "region":
        return "/".join(fact.region_path.split("/")[: depth + 1])
    if group_by == "source_kind":
        return fact.source.kind if fact.source else ""
    if group_by == "source":
        return fact.source.pk if fact.source else None
    if group_by == "category":
        return fact.category
    return fact.line_id or ("source", fact.source.pk if fact.source else None)


def _group(fact: Fact, group_by: str, region: Region, children: dict, labels: dict):
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
            {"source": source.pk, "sort": f"{source.region_path}{source.pk:09d}"},
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
    region_name, category, source_name = fact.label.split("·", 2)
    label = f"{region_name}·{labels.get(category, category)}·{source_name}"
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
