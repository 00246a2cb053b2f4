"""Hardening benchmark: what the history guard and the transfers' proofs cost.

    python bench/hardening.py        # creates and migrates fund_hard_bench, then measures
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/other python bench/hardening.py

It (re)creates its own database (default postgres://postgres@127.0.0.1:5432/fund_hard_bench),
migrates it, and measures:

- history_save_ms: median time of one save of a region (one UPDATE and its history row),
  the history row going in through core_history_write and the core_history_guard trigger
  comparing it with the live row (as every history write on PostgreSQL does now);
- history_save_plain_ms: the same with the plain INSERT simple-history used before and the
  guard triggers dropped (the cost before this change); history_guard_overhead_ms the
  difference;
- posting_ms: median time of one ledger posting (the proof is computed in Python with it);
- proof_check_rows_per_s: the ledger check's proof pass (ledger.proof.unproven) over
  BENCH_TRANSFERS (20,000) transfers.

The last line printed is one JSON object.
"""

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fund_hard_bench")
SAVES = int(os.environ.get("BENCH_SAVES", 2000))
TRANSFERS = int(os.environ.get("BENCH_TRANSFERS", 20_000))
os.environ["DATABASE_URL"] = DB_URL
os.environ["REDIS_URL"] = ""
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("DEBUG", "false")
ENV = {**os.environ, "DATABASE_URL": DB_URL, "REDIS_URL": ""}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def create_database():
    import psycopg

    base, _slash, name = DB_URL.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    log("migrating", name)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=ENV, check=True)


def timed_saves(region, n: int) -> float:
    times = []
    for i in range(n):
        region.name = f"区划 {i}"
        started = time.perf_counter()
        region.save()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 3)


def main():
    create_database()
    import django

    django.setup()
    from django.db import connection
    from simple_history.models import HistoricalChanges

    from core import history_guard, triggers
    from core.audited import HistoricalActorFields
    from core.context import service_user
    from federations.models import Region
    from ledger import proof, services

    region = Region(code="370599", name="基准区划", level="city")
    region.save()
    guarded = timed_saves(region, SAVES)
    log("guarded save", guarded, "ms")

    # before: simple-history's own INSERT, no guard triggers
    with connection.cursor() as cursor:
        for hist in history_guard.historical_models():
            cursor.execute(
                f'DROP TRIGGER IF EXISTS {history_guard.GUARD} ON "{hist._meta.db_table}"'
            )
    guarded_insert = HistoricalActorFields._do_insert
    HistoricalActorFields._do_insert = super(
        HistoricalActorFields, HistoricalActorFields
    )._do_insert
    try:
        plain = timed_saves(region, SAVES)
    finally:
        HistoricalActorFields._do_insert = guarded_insert
        triggers.install(connection)  # the guards back (the writer refuses tables without)
    log("plain save", plain, "ms")
    assert issubclass(Region.history.model, HistoricalChanges)

    actor = service_user("system.celery")
    treasury = services.open_account(actor=actor, kind="external", name="treasury", code="t")
    source = services.open_account(actor=actor, kind="funding_source", name="src", code="s")
    project = services.open_account(actor=actor, kind="commitment", name="p", code="p")
    services.post_transfer(
        actor=actor, from_account=treasury, to_account=source, amount="1000000000.00",
        source_account=source, kind="funding", idempotency_key="fund",
    )  # fmt: skip
    times = []
    for i in range(TRANSFERS):
        started = time.perf_counter()
        services.post_transfer(
            actor=actor, from_account=source, to_account=project, amount="1.00",
            source_account=source, kind="allocation", idempotency_key=uuid.uuid4().hex,
        )  # fmt: skip
        times.append((time.perf_counter() - started) * 1000)
        if i and i % 5000 == 0:
            log("posted", i)
    started = time.perf_counter()
    checked, problems = proof.unproven()
    elapsed = time.perf_counter() - started
    assert not problems, problems[:3]
    print(
        json.dumps(
            {
                "bench": "hardening",
                "history_save_ms": guarded,
                "history_save_plain_ms": plain,
                "history_guard_overhead_ms": round(guarded - plain, 3),
                "saves": SAVES,
                "posting_ms": round(statistics.median(times), 3),
                "proof_check_rows_per_s": round(checked / elapsed),
                "transfers": checked,
            }
        )
    )


if __name__ == "__main__":
    main()
