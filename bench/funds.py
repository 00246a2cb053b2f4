"""Budget execution report benchmark.

    DATABASE_URL=postgres://.../fund_funds_bench python bench/funds.py

Needs a migrated PostgreSQL database. The first run bulk-loads (COPY, plain SQL) a bench
city (division code 990000) of BENCH_COUNTIES counties (default 3), each with 50 townships,
1,000 funding sources, 10,000 budget lines and 100,000 ledger transfers: per line its
budget transfer, two allocations to their own commitment accounts, six payments out of
them, and one pending allocation (plus one funding transfer per source). Later runs reuse
it. The ledger's shares (balances and their flows, what the report reads) are written
from the loaded transfers by ledger_verify's recomputation, as the postings would have.

Figures (median of BENCH_REPEAT runs, after one warm-up):

- report_county_ms: `funds.reports.budget_execution` for one county, grouped by region;
- report_county_lines_ms: the same county, one row per budget line (10,000 rows);
- report_city_ms: the whole bench city, grouped by county;
- report_queries: SQL statements per report grouped by region (the same for the county
  and the city: the sources in scope, the child regions, one statement over the ledger's
  shares); grouped by line, four (the lines, the sources, the year's money tags, the
  statement).

The last line printed is one JSON object.
"""

import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.audited import set_reason  # noqa: E402
from core.context import acting_as, service_user  # noqa: E402
from federations.models import Region  # noqa: E402
from funds.models import FiscalYear, PurchaseCategory  # noqa: E402
from funds.reports import budget_execution  # noqa: E402
from ledger.models import FLOWS  # noqa: E402
from ledger.verification import shares_sql  # noqa: E402

COUNTIES = int(os.environ.get("BENCH_COUNTIES", 3))
TOWNSHIPS = 50
SOURCES_PER_TOWNSHIP = 20
CATEGORIES = PurchaseCategory.values[:10]  # 20 sources × 10 categories = 200 lines
REPEAT = int(os.environ.get("BENCH_REPEAT", 5))
YEAR = 2026
CITY_CODE = "990000"


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def _region(code, name, level, parent=None):
    found = Region.objects.filter(code=code).first()
    if found is None:
        found = Region(code=code, name=name, level=level, parent=parent)
        set_reason(found, "bench").save()
    return found


class Ids:
    """Ids handed out in Python for COPY; the sequence is moved past them afterwards."""

    def __init__(self, table: str):
        self.table = table
        with connection.cursor() as c:
            c.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
            self.next = c.fetchone()[0] + 1

    def take(self) -> int:
        self.next += 1
        return self.next - 1

    def sync(self):
        with connection.cursor() as c:
            c.execute(
                f"SELECT setval(pg_get_serial_sequence('{self.table}', 'id'), %s)", [self.next]
            )


def copy(table: str, columns: list[str], rows: list[tuple]):
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buffer.seek(0)
    raw = connection.connection
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as pipe:
            pipe.write(buffer.getvalue())


def load_county(n: int, city: Region, year: FiscalYear, user_id: int):
    county = _region(f"9900{n:02d}", f"基准县{n}", "county", city)
    if Region.objects.filter(parent=county).exists():
        return county
    log(f"loading county {county.code} …")
    now = timezone.now().isoformat()
    towns = [_region(f"{county.code}{t:03d}", f"基准县{n}乡镇{t}", "township", county)
             for t in range(1, TOWNSHIPS + 1)]  # fmt: skip
    accounts, sources, budgets, lines, transfers = [], [], [], [], []
    acc, src_ids, bud_ids = Ids("ledger_account"), Ids("funds_fundingsource"), Ids("funds_budget")
    line_ids, tr_ids = Ids("funds_budgetline"), Ids("ledger_transfer")

    def account(kind, name, region_path):
        pk = acc.take()
        accounts.append((pk, f"bench:{kind}:{pk}", name, kind, "", None, True, now, region_path))
        return pk

    def transfer(a, b, amount, tag, kind, state="posted"):
        pk = tr_ids.take()
        resolved = None if state == "pending" else now
        transfers.append((pk, a, b, amount, tag, kind, "", state, state == "pending", None,
                          f"bench:{pk}", "0" * 64, user_id, now, resolved))  # fmt: skip

    for town in towns:
        treasury = account("external", f"{town.name}国库", town.path)
        payee = account("external", f"{town.name}承接方", town.path)
        budget = bud_ids.take()
        budgets.append((budget, town.pk, year.pk, f"{town.name}预算", "approved", user_id, now,
                        now))  # fmt: skip
        for s in range(SOURCES_PER_TOWNSHIP):
            src_account = account("funding_source", f"{town.name}资金{s}", town.path)
            source = src_ids.take()
            sources.append((source, f"{town.name}资金{s}", "community_welfare_subsidy", year.pk,
                            town.pk, "township", f"{town.name}财政所", f"基准〔{YEAR}〕{s}号",
                            "1000000.00", "[]", False, False, "", "approved", src_account,
                            src_account, user_id, now, now))  # fmt: skip
            transfer(treasury, src_account, "1000000.00", src_account, "funding")
            for category in CATEGORIES:
                line_account = account("budget_line", f"{town.name}{category}{s}", town.path)
                lines.append((line_ids.take(), budget, category, source, "10000.00", "",
                              line_account))  # fmt: skip
                transfer(src_account, line_account, "10000.00", src_account, "budget")
                for _ in range(2):
                    commitment = account("commitment", "项目承诺", town.path)
                    transfer(line_account, commitment, "3000.00", src_account, "allocation")
                    for _ in range(3):
                        transfer(commitment, payee, "500.00", src_account, "payment")
                transfer(line_account, account("commitment", "待签约", town.path), "1000.00",
                         src_account, "allocation", state="pending")  # fmt: skip
    with transaction.atomic():
        copy("ledger_account", ["id", "code", "name", "kind", "owner_type", "owner_id",
                                "is_active", "created_at", "region_path"], accounts)  # fmt: skip
        copy("funds_fundingsource", [
            "id", "name", "kind", "fiscal_year_id", "region_id", "region_level", "issuer",
            "document_number", "appropriated_amount", "allowed_categories",
            "requires_party_organization", "charity_only", "purpose", "state", "account_id",
            "money_tag_id", "created_by_id", "created_at", "approved_at"], sources)  # fmt: skip
        copy("funds_budget", ["id", "region_id", "fiscal_year_id", "title", "state",
                              "created_by_id", "created_at", "approved_at"], budgets)  # fmt: skip
        copy("funds_budgetline", ["id", "budget_id", "category", "source_id", "amount",
                                  "description", "account_id"], lines)  # fmt: skip
        copy("ledger_transfer", [
            "id", "from_account_id", "to_account_id", "amount", "source_account_id", "kind",
            "memo", "state", "two_phase", "reverses_id", "idempotency_key", "request_hash",
            "created_by_id", "created_at", "resolved_at"], transfers)  # fmt: skip
        for ids in (acc, src_ids, bud_ids, line_ids, tr_ids):
            ids.sync()
        with connection.cursor() as c:
            loaded = [transfers[0][0], transfers[-1][0]]
            c.execute(SHARES_SQL.format(shares=shares_sql("t.id BETWEEN %s AND %s")),
                      loaded * 2)  # fmt: skip
            c.execute(BALANCES_SQL, [accounts[0][0], accounts[-1][0]])
    with connection.cursor() as c:
        c.execute("ANALYZE ledger_transfer; ANALYZE ledger_account; ANALYZE funds_budgetline; "
                  "ANALYZE funds_fundingsource; ANALYZE funds_budget; "
                  "ANALYZE ledger_sourcebalance; ANALYZE ledger_accountbalance")  # fmt: skip
    log(f"  {len(lines)} lines, {len(transfers)} transfers, {len(accounts)} accounts")
    return county


# The ledger's shares of what was loaded (balances and flows), recomputed from its transfers
# the way ledger_verify does, as the postings would have written them; then the accounts'
# balances, the sums of their shares.
SHARES_SQL = f"""
INSERT INTO ledger_sourcebalance (account_id, source_account_id, posted, pending, receivable,
                                  fed_by_id, {", ".join(FLOWS)}, is_guarded)
SELECT x.*, a.kind <> 'external' FROM ({{shares}}) x JOIN ledger_account a ON a.id = x.account_id
"""
BALANCES_SQL = """
INSERT INTO ledger_accountbalance (account_id, is_active, is_guarded, posted, pending, receivable)
SELECT account_id, true, bool_and(is_guarded), SUM(posted), SUM(pending), SUM(receivable)
FROM ledger_sourcebalance WHERE account_id BETWEEN %s AND %s GROUP BY account_id
"""


class Counter:
    def __init__(self):
        self.n = 0

    def __call__(self, execute, sql, params, many, context):
        self.n += 1
        return execute(sql, params, many, context)


def timed(region, group_by):
    budget_execution(region, YEAR, group_by=group_by)  # warm-up
    times, queries = [], set()
    for _ in range(REPEAT):
        counter = Counter()
        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            report = budget_execution(region, YEAR, group_by=group_by)
            times.append((time.perf_counter() - start) * 1000)
        queries.add(counter.n)
    return round(statistics.median(times), 1), queries, report


def main():
    if connection.vendor != "postgresql":
        sys.exit("bench/funds.py runs on PostgreSQL (set DATABASE_URL)")
    actor = service_user("system.command")
    with acting_as(username="system.command", label="command:bench"):
        city = _region(CITY_CODE, "基准市", "city")
        year = FiscalYear.objects.filter(year=YEAR).first()
        if year is None:
            year = FiscalYear(year=YEAR)
            set_reason(year, "bench").save()
        counties = [load_county(n, city, year, actor.pk) for n in range(1, COUNTIES + 1)]
    county_ms, q1, county_report = timed(counties[0], "region")
    lines_ms, q2, lines_report = timed(counties[0], "line")
    city_ms, q3, city_report = timed(city, "region")
    log(f"county: {county_report['totals']}")
    log(f"county rows: {len(county_report['rows'])}, line rows: {len(lines_report['rows'])}")
    log(f"city rows: {len(city_report['rows'])}")
    queries = q1 | q3  # the same grouping, a county and the city
    print(json.dumps({
        "report_county_ms": county_ms,
        "report_county_lines_ms": lines_ms,
        "report_city_ms": city_ms,
        "report_queries": max(queries),
        "queries_same_for_every_size": len(queries) == 1,
        "county_lines": 10_000, "county_transfers": 100_000 + 1000,
        "city_counties": COUNTIES,
    }))  # fmt: skip


if __name__ == "__main__":
    main()
