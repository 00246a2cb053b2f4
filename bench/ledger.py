"""Ledger benchmark: postings through the service vs the same posting in plain SQL.

    DATABASE_URL=postgres://.../fund_ledger_bench python bench/ledger.py

Needs a migrated PostgreSQL database; it creates its own accounts (codes "bench:…"), so it
can run again on the same database. Figures:

- postings_per_s: sequential `ledger.services.post_transfer` calls (guarded account to
  guarded account, with its source share, idempotency key, and the hash chain sealed for
  every posting: the sealing time of the batch is included).
- sql_floor_postings_per_s: the same posting in plain SQL over psycopg, in one
  transaction: insert the transfer (into the same table, same indexes), update two
  balances with a guarded UPDATE. Measured interleaved with the service in rounds.
- ratio_to_floor: postings_per_s / sql_floor_postings_per_s.
- concurrent_postings_per_s: 4 threads posting through the service at once, each between
  its own accounts (no global lock: the chain is sealed afterwards, in batches).
- balance_read_us_1k / balance_read_us_1m: median time of `ledger.selectors.balance()` for
  an account with a thousand transfers and for one with a million (bulk-inserted once, in
  plain SQL, netting to zero so the caches stay true).

The last line printed is one JSON object.

On a disk whose fsync is slow, both the service and the floor wait mostly on the commit and
the ratio says little about the posting's own cost; `PGOPTIONS="-c synchronous_commit=off"`
(applies to both connections) measures them without it. On a shared machine run it alone,
several times: the figures move with the load.
"""

import json
import os
import statistics
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DEBUG", "false")  # no query logging, as in production

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from core import chain  # noqa: E402
from core.context import acting_as, service_user  # noqa: E402
from ledger import services  # noqa: E402
from ledger.models import Transfer  # noqa: E402
from ledger.selectors import balance  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 10))
PER_ROUND = int(os.environ.get("BENCH_PER_ROUND", 100))
THREADS = int(os.environ.get("BENCH_THREADS", 4))
PER_THREAD = int(os.environ.get("BENCH_PER_THREAD", 400))
MILLION = int(os.environ.get("BENCH_MILLION", 1_000_000))
READS = int(os.environ.get("BENCH_READS", 3000))
RUN = uuid.uuid4().hex[:8]
ONE = Decimal("1.00")


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def dsn() -> str:
    db = settings.DATABASES["default"]
    return psycopg.conninfo.make_conninfo(
        dbname=db["NAME"],
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
    )


def open_pair(actor, label: str, funds: str):
    """A funded funding source and a commitment account."""
    treasury = services.open_account(
        actor=actor, kind="external", name="bench treasury", code="bench:treasury"
    )
    source = services.open_account(
        actor=actor, kind="funding_source", name=f"bench source {label}",
        code=f"bench:{RUN}:{label}:source",
    )  # fmt: skip
    project = services.open_account(
        actor=actor, kind="commitment", name=f"bench project {label}",
        code=f"bench:{RUN}:{label}:project",
    )  # fmt: skip
    services.post_transfer(
        actor=actor, from_account=treasury, to_account=source, amount=funds,
        source_account=source, kind="funding", idempotency_key=f"bench:{RUN}:{label}:fund",
    )  # fmt: skip
    return source, project


def service_postings(actor, source, project, n: int, tag: str) -> float:
    start = time.perf_counter()
    for i in range(n):
        services.post_transfer(
            actor=actor,
            from_account=source,
            to_account=project,
            amount=ONE,
            source_account=source,
            kind="allocation",
            idempotency_key=f"bench:{RUN}:{tag}:{i}",
        )
    return time.perf_counter() - start


FLOOR_INSERT = (
    "INSERT INTO ledger_transfer (from_account_id, to_account_id, amount, source_account_id, "
    "kind, memo, state, two_phase, reverses_id, idempotency_key, request_hash, created_by_id, "
    "created_at, resolved_at) VALUES (%s, %s, %s, %s, 'allocation', '', 'posted', false, NULL, "
    "%s, %s, %s, now(), now())"
)
FLOOR_DEBIT = (
    "UPDATE ledger_accountbalance SET posted = posted - %s "
    "WHERE account_id = %s AND posted - pending >= %s"
)
FLOOR_CREDIT = "UPDATE ledger_accountbalance SET posted = posted + %s WHERE account_id = %s"


def floor_postings(conn, actor, source, project, n: int, tag: str) -> float:
    digest = "0" * 64
    start = time.perf_counter()
    for i in range(n):
        with conn.cursor() as cur:
            cur.execute(
                FLOOR_INSERT,
                (
                    source.pk,
                    project.pk,
                    ONE,
                    source.pk,
                    f"bench:{RUN}:floor:{tag}:{i}",
                    digest,
                    actor.pk,
                ),
            )
            # guarded UPDATEs in account-id order, like the service
            first, second = sorted([(source.pk, True), (project.pk, False)])
            for account_id, is_debit in (first, second):
                if is_debit:
                    cur.execute(FLOOR_DEBIT, (ONE, account_id, ONE))
                    if cur.rowcount != 1:
                        raise RuntimeError("floor overdraft")
                else:
                    cur.execute(FLOOR_CREDIT, (ONE, account_id))
        conn.commit()
    return time.perf_counter() - start


def true_up_floor_shares(source, project, amount: Decimal):
    """Outside the timing: the floor did not keep source shares (nor their flows); make
    them true again."""
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE ledger_sourcebalance SET posted = posted - %s, "
            "out_commitment = out_commitment + %s "
            "WHERE account_id = %s AND source_account_id = %s",
            [amount, amount, source.pk, source.pk],
        )
        cur.execute(
            "INSERT INTO ledger_sourcebalance AS b (account_id, source_account_id, is_guarded, "
            "posted, pending, receivable, in_funding_source, fed_by_id) "
            "VALUES (%s, %s, true, %s, 0, 0, %s, %s) "
            "ON CONFLICT (account_id, source_account_id) DO UPDATE SET posted = b.posted + "
            "excluded.posted, in_funding_source = b.in_funding_source + "
            "excluded.in_funding_source",
            [project.pk, source.pk, amount, amount, source.pk],
        )


def seal() -> int:
    """A regular pass of the one chain over the ledger's transfers (as the beat task makes)."""
    return chain.seal(models=[Transfer])


def seal_time() -> float:
    start = time.perf_counter()
    seal()
    return time.perf_counter() - start


def concurrent(actor) -> float:
    pairs = [open_pair(actor, f"thread{i}", f"{PER_THREAD}.00") for i in range(THREADS)]
    seal()
    barrier = threading.Barrier(THREADS + 1)
    errors = []

    def worker(i):
        try:
            with acting_as(user=actor, label="bench:ledger"):
                barrier.wait()
                service_postings(actor, *pairs[i], PER_THREAD, f"thread{i}")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start + seal_time()
    if errors:
        raise errors[0]
    return THREADS * PER_THREAD / elapsed


def million_account(actor):
    """An account with MILLION transfers (created once per database, in plain SQL)."""
    code = f"bench:million:{MILLION}"
    x = services.open_account(actor=actor, kind="commitment", name="bench 1M", code=code + ":x")
    y = services.open_account(actor=actor, kind="commitment", name="bench 1M", code=code + ":y")
    source = services.open_account(
        actor=actor, kind="funding_source", name="bench 1M source", code=code + ":source"
    )
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM ledger_transfer WHERE from_account_id = %s OR to_account_id = %s",
            [x.pk, x.pk],
        )
        have = cur.fetchone()[0]
    if have < MILLION - 1:
        treasury = services.open_account(
            actor=actor, kind="external", name="bench treasury", code="bench:treasury"
        )
        services.post_transfer(
            actor=actor, from_account=treasury, to_account=source, amount="1.00",
            source_account=source, kind="funding", idempotency_key=code + ":fund",
        )  # fmt: skip
        services.post_transfer(
            actor=actor, from_account=source, to_account=x, amount="1.00",
            source_account=source, kind="allocation", idempotency_key=code + ":alloc",
        )  # fmt: skip
        log(f"bulk-inserting {MILLION - have} transfers x<->y (netting to zero)…")
        start = time.perf_counter()
        n = MILLION - have
        n -= n % 2
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit = off")
            cur.execute(
                "INSERT INTO ledger_transfer (from_account_id, to_account_id, amount, "
                "source_account_id, kind, memo, state, two_phase, reverses_id, "
                "idempotency_key, request_hash, created_by_id, created_at, resolved_at) "
                "SELECT CASE WHEN g %% 2 = 0 THEN %s ELSE %s END, "
                "CASE WHEN g %% 2 = 0 THEN %s ELSE %s END, 1.00, %s, 'transfer', "
                "'bench bulk', 'posted', false, NULL, %s || g, md5(g::text) || md5(g::text), "
                "%s, now(), now() FROM generate_series(1, %s) AS g",
                [x.pk, y.pk, y.pk, x.pk, source.pk, f"{code}:{RUN}:", actor.pk, n],
            )
            # the shares' flows (their balances net to zero): n / 2 each way
            for account in (x, y):
                cur.execute(
                    "INSERT INTO ledger_sourcebalance AS b (account_id, source_account_id, "
                    "is_guarded, posted, pending, receivable, in_commitment, out_commitment) "
                    "VALUES (%s, %s, true, 0, 0, 0, %s, %s) "
                    "ON CONFLICT (account_id, source_account_id) DO UPDATE SET "
                    "in_commitment = b.in_commitment + excluded.in_commitment, "
                    "out_commitment = b.out_commitment + excluded.out_commitment",
                    [account.pk, source.pk, n // 2, n // 2],
                )
            cur.execute("ANALYZE ledger_transfer")
        log(f"  done in {time.perf_counter() - start:.1f}s")
    return x


def read_us(account) -> list[float]:
    timings = []
    for _ in range(READS):
        start = time.perf_counter_ns()
        balance(account)
        timings.append((time.perf_counter_ns() - start) / 1000)
    return timings


def main():
    if connection.vendor != "postgresql":
        sys.exit("bench/ledger.py needs DATABASE_URL pointing at PostgreSQL")
    actor = service_user("system.command")
    with acting_as(user=actor, label="bench:ledger"):
        n = ROUNDS * PER_ROUND
        svc_source, svc_project = open_pair(actor, "service", f"{n + 100}.00")
        flr_source, flr_project = open_pair(actor, "floor", f"{n + 100}.00")
        seal()
        conn = psycopg.connect(dsn())
        # warm-up (connections, plans, caches)
        service_postings(actor, svc_source, svc_project, 20, "warm")
        floor_postings(conn, actor, flr_source, flr_project, 20, "warm")
        seal()
        svc_time = flr_time = 0.0
        for r in range(ROUNDS):
            flr_time += floor_postings(conn, actor, flr_source, flr_project, PER_ROUND, f"f{r}")
            svc_time += service_postings(actor, svc_source, svc_project, PER_ROUND, f"s{r}")
            svc_time += seal_time()  # the chain is part of the service's cost
            log(f"round {r + 1}/{ROUNDS}: service {svc_time:.2f}s floor {flr_time:.2f}s")
        conn.close()
        true_up_floor_shares(flr_source, flr_project, Decimal(n + 20))
        postings = n / svc_time
        floor = n / flr_time
        log(f"sequential: service {postings:.0f}/s, SQL floor {floor:.0f}/s")

        conc = concurrent(actor)
        log(f"concurrent ({THREADS} threads): {conc:.0f}/s")

        # an account with ~1k transfers: the service project above has n + 20
        big = million_account(actor)
        seal()
        read_us(svc_project)  # warm
        read_us(big)
        small_t, big_t = [], []
        for _ in range(3):  # interleaved, against drift
            small_t += read_us(svc_project)
            big_t += read_us(big)
        small, large = statistics.median(small_t), statistics.median(big_t)
        log(f"balance read: {small:.1f}us ({n + 20} transfers), {large:.1f}us (1M transfers)")

    print(
        json.dumps(
            {
                "postings_per_s": round(postings, 1),
                "sql_floor_postings_per_s": round(floor, 1),
                "ratio_to_floor": round(postings / floor, 3),
                "concurrent_postings_per_s": round(conc, 1),
                "balance_read_us_1k": round(small, 1),
                "balance_read_us_1m": round(large, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
