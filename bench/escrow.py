"""Custodial statements benchmark.

    python bench/escrow.py          # PostgreSQL at 127.0.0.1:5432, database fund_escrow_bench

Creates and migrates its own database (`fund_escrow_bench`; BENCH_DATABASE_URL to change it)
and, on the first run, bulk-loads in plain SQL (the cached balances written from the loaded
transfers, as the postings would have): one federation holding BENCH_ACCOUNTS custodial
accounts (default 5,000), each with 4 movements in the bench month, and one account with
10,000 movements (half deposits in, half payouts out, over three funding sources) in that
month. Later runs reuse it.

Figures:

- statement_10k_ms: the monthly statement of the 10,000-movement account, made from the
  ledger (figures by source) and written as CSV with every movement (counterparty,
  reference, running balance) — median of BENCH_REPEAT runs after one warm-up;
- statement_10k_xlsx_ms: the same as XLSX;
- statement_peak_rss_mb: the process's peak resident memory after those runs (whole
  Python + Django process); statement_py_peak_mb: the largest Python allocation during
  one statement (tracemalloc), and statement_1k_py_peak_mb the same for a 1,000-movement
  period of the same account: flat memory means the two are close;
- statement_run_5k_s: the monthly run (`escrow.statements.monthly_run`, the beat task's
  work) over every account, stored statements deleted first;
- statement_run_queries_per_account: SQL statements per account in that run (the account
  read in chunks of 500 and the run's three bulk reads not counted).

The last line printed is one JSON object.
"""

import datetime
import io
import json
import os
import resource
import statistics
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fund_escrow_bench"
)
os.environ["DATABASE_URL"] = DB_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")


def _create_database():
    import psycopg

    name = urlparse(DB_URL).path.lstrip("/")
    admin_url = DB_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone():
            conn.execute(f'create database "{name}"')


_create_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", 5000))
BIG = 10_000
REPEAT = int(os.environ.get("BENCH_REPEAT", 5))
YEAR, MONTH = 2026, 3
CITY = "980000"


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def _instant(day, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def load():
    from access.models import User
    from core.audited import set_reason
    from escrow.models import CustodialAccount
    from federations.codes import make_credit_code
    from federations.models import Federation, Organization, Region

    if CustodialAccount.objects.filter(federation__township__code=f"{CITY}001").count() >= ACCOUNTS:
        return
    log("loading bench data (once)…")
    actor = User.objects.filter(username="bench").first()
    if actor is None:
        actor = User(username="bench", first_name="bench")
        set_reason(actor, "bench").save()

    def region(code, name, level, parent=None):
        found = Region.objects.filter(code=code).first()
        if found is None:
            area = "urban" if level == "community" else ""
            found = Region(code=code, name=name, level=level, parent=parent, area_type=area)
            set_reason(found, "bench").save()
        return found

    city = region(CITY, "基准市", "city")
    county = region(f"{CITY}1", "基准区", "county", city)
    town = region(f"{CITY}001", "基准街道", "township", county)
    community = region(f"{CITY}001001", "基准社区", "community", town)
    federation = Federation.objects.filter(township=town).first()
    if federation is None:
        federation = Federation(name="基准联合会", township=town,
                                credit_code=make_credit_code("51", "370502", 999))  # fmt: skip
        set_reason(federation, "bench").save()
    template = Organization(name="基准组织模板", community=community)
    set_reason(template, "bench").save()
    org_table = Organization._meta.db_table
    columns = [f.column for f in Organization._meta.concrete_fields if f.column != "id"]
    select = ", ".join("'基准组织' || g" if c == "name" else c for c in columns)
    now = timezone.now()
    with connection.cursor() as c:
        c.execute(
            f"INSERT INTO {org_table} ({', '.join(columns)}) SELECT {select} FROM {org_table}, "
            f"generate_series(1, %s) g WHERE id = %s RETURNING id",
            [ACCOUNTS, template.pk],
        )
        org_ids = [r[0] for r in c.fetchall()]

        # Outside parties and three funding sources (ledger accounts only: the bench needs
        # no funds rows).
        def account(code, name, kind, owner_id=None):
            c.execute(
                "INSERT INTO ledger_account (code, name, kind, owner_type, owner_id, region_path, "
                "federation_id, organization_id, is_active, created_at) VALUES "
                "(%s, %s, %s, %s, %s, %s, %s, %s, true, %s) RETURNING id",
                [code, name, kind, "federations.organization" if owner_id else "", owner_id,
                 community.path, federation.pk, owner_id, now],
            )  # fmt: skip
            new_id = c.fetchone()[0]
            c.execute(
                "INSERT INTO ledger_accountbalance (account_id, posted, pending, receivable, "
                "is_guarded, is_active) VALUES (%s, 0, 0, 0, %s, true)",
                [new_id, kind != "external"],
            )
            return new_id

        payer = account("bench:payer", "基准付款方", "external")
        payee = account("bench:payee", "基准收款方", "external")
        sources = [account(f"bench:source:{i}", f"基准资金{i}", "funding_source") for i in range(3)]
        ledger_ids = [account(f"bench:custodial:{o}", f"基准代管{o}", "custodial", o)
                      for o in org_ids]  # fmt: skip
        c.execute(
            "INSERT INTO escrow_custodialaccount (federation_id, organization_id, "
            "ledger_account_id, state, frozen_reason, advance_voucher_days, opened_by_id, "
            "opened_at) SELECT %s, o, l, 'active', '', 30, %s, %s FROM unnest(%s::bigint[], "
            "%s::bigint[]) AS t(o, l)",
            [federation.pk, actor.pk, _instant(datetime.date(YEAR, 1, 5)), org_ids, ledger_ids],
        )
        rows = []
        seq = [0]

        def move(frm, to, amount, source, day, hour):
            seq[0] += 1
            at = _instant(day, hour)
            kind = "deposit" if frm == payer else "expense"
            rows.append((frm, to, amount, source, kind, "", "posted", False, None,
                         f"bench:{seq[0]}", "x", actor.pk, at, at))  # fmt: skip

        start = datetime.date(YEAR, MONTH, 1)
        for i, lid in enumerate(ledger_ids):
            src = sources[i % 3]
            move(payer, lid, Decimal("1000.00"), src, start, 9)
            move(lid, payee, Decimal("120.50"), src, start + datetime.timedelta(days=5), 10)
            move(payer, lid, Decimal("300.25"), src, start + datetime.timedelta(days=12), 11)
            move(lid, payee, Decimal("99.99"), src, start + datetime.timedelta(days=20), 12)
        big = ledger_ids[0]
        for k in range(BIG):
            day = start + datetime.timedelta(days=k % 28)
            src = sources[k % 3]
            if k % 2 == 0:
                move(payer, big, Decimal("25.37"), src, day, 8 + k % 12)
            else:
                move(big, payee, Decimal("12.11"), src, day, 8 + k % 12)
        buf = io.StringIO()
        for r in rows:
            buf.write("\t".join("\\N" if v is None else str(v) for v in r) + "\n")
        buf.seek(0)
        cols = ("from_account_id, to_account_id, amount, source_account_id, kind, memo, state, "
                "two_phase, reverses_id, idempotency_key, request_hash, created_by_id, "
                "created_at, resolved_at")  # fmt: skip
        with c.cursor.copy(f"COPY ledger_transfer ({cols}) FROM STDIN") as copy:
            copy.write(buf.getvalue())
        # Cached balances from the loaded transfers.
        c.execute(
            "WITH m AS (SELECT to_account_id a, source_account_id s, amount v FROM ledger_transfer "
            "WHERE idempotency_key LIKE 'bench:%%' UNION ALL SELECT from_account_id, "
            "source_account_id, -amount FROM ledger_transfer WHERE idempotency_key LIKE 'bench:%%')"
            " INSERT INTO ledger_sourcebalance (account_id, source_account_id, is_guarded, posted,"
            " pending, receivable) SELECT m.a, m.s, b.is_guarded, sum(m.v), 0, 0 FROM m JOIN "
            "ledger_accountbalance b ON b.account_id = m.a GROUP BY m.a, m.s, b.is_guarded"
        )
        c.execute(
            "UPDATE ledger_accountbalance b SET posted = t.v FROM (SELECT account_id, sum(posted) v"
            " FROM ledger_sourcebalance GROUP BY account_id) t WHERE t.account_id = b.account_id"
        )
        c.execute("ANALYZE")
    log(f"loaded {len(rows)} transfers")


def main():
    from escrow import statements
    from escrow.models import CustodialAccount, Statement

    call_command("migrate", verbosity=0)
    load()
    accounts = CustodialAccount.objects.filter(federation__township__code=f"{CITY}001")
    big = accounts.select_related("organization", "federation").order_by("id").first()
    start, end = statements.month_bounds(YEAR, MONTH)

    def statement(file_type="csv", last=end):
        result = statements.figures(big, start, last)
        content = statements.document(big, result, file_type)
        return result, content

    result, content = statement()
    assert result.count == BIG + 4, result.count
    assert content.count(b"\n") >= BIG
    timings = {}
    for file_type in ("csv", "xlsx"):
        runs = []
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            statement(file_type)
            runs.append((time.perf_counter() - t0) * 1000)
        timings[file_type] = statistics.median(runs)

    def streamed(last=end):  # what the API sends: CSV chunk by chunk
        result = statements.figures(big, start, last)
        return sum(len(chunk) for chunk in statements.csv_chunks(big, result))

    tracemalloc.start()
    streamed()
    _size, peak_10k = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    streamed(last=start + datetime.timedelta(days=2))  # about 1,000 movements
    _size, peak_1k = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    with connection.cursor() as c:
        c.execute(
            "DELETE FROM escrow_statement WHERE period_start = %s AND account_id IN "
            "(SELECT id FROM escrow_custodialaccount WHERE federation_id = %s)",
            [start, big.federation_id],
        )
    t0 = time.perf_counter()
    outcome = statements.monthly_run(year=YEAR, month=MONTH)
    run_s = time.perf_counter() - t0
    n = accounts.count()
    sample = list(accounts.order_by("-id")[:20])
    with connection.cursor() as c:
        c.execute("DELETE FROM escrow_statement WHERE account_id = ANY(%s) AND period_start = %s",
                  [[a.pk for a in sample], start])  # fmt: skip
    names = {}
    with CaptureQueriesContext(connection) as queries:
        for account in sample:  # as the monthly run calls it
            statements.statement_generate(account=account, year=YEAR, month=MONTH,
                                          checked=True, previous={}, names=names)  # fmt: skip
    assert outcome["made"] >= n, outcome
    stored = Statement.objects.get(account=big, period_start=start)
    assert stored.closing_balance == result.closing and stored.movement_count == BIG + 4
    figures = {
        "accounts": n,
        "statement_movements": result.count,
        "statement_10k_ms": round(timings["csv"], 1),
        "statement_10k_xlsx_ms": round(timings["xlsx"], 1),
        "statement_peak_rss_mb": round(rss_mb, 1),
        "statement_py_peak_mb": round(peak_10k / 1024 / 1024, 2),
        "statement_1k_py_peak_mb": round(peak_1k / 1024 / 1024, 2),
        "statement_run_5k_s": round(run_s, 2),
        "statement_run_queries_per_account": round(len(queries) / len(sample), 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
