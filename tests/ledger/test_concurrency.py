"""Real threads on PostgreSQL: no overdraft, no deadlock, whatever the interleaving."""

import random
import threading
from decimal import Decimal

import pytest
from django.db import connection

from ledger import services
from ledger.errors import Overdraft
from ledger.models import SourceBalance, Transfer
from ledger.selectors import balance, source_share
from ledger.verification import verify_ledger

from .factories import account, funded_source, key, move, system

D = Decimal
pytestmark = pytest.mark.django_db(transaction=True)


def run_threads(n, target):
    barrier = threading.Barrier(n)
    outcomes = [None] * n

    def worker(i):
        try:
            barrier.wait()
            outcomes[i] = target(i)
        except Exception as exc:  # noqa: BLE001
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return outcomes


def test_fifty_concurrent_spends_of_100_against_1000_exactly_ten_succeed():
    src, _ = funded_source("1000.00")
    project = account("commitment")
    payee = account("external")
    move(src, project, "1000.00", src, kind="allocation")
    actor = system()

    def spend(i):
        return services.post_transfer(
            actor=actor,
            from_account=project,
            to_account=payee,
            amount="100.00",
            source_account=src,
            kind="payment",
            idempotency_key=f"spend-{i}-{key()}",
        )

    outcomes = run_threads(50, spend)
    succeeded = [o for o in outcomes if isinstance(o, Transfer)]
    refused = [o for o in outcomes if isinstance(o, Overdraft)]
    assert len(succeeded) == 10, outcomes
    assert len(refused) == 40
    assert balance(project).posted == D("0.00")
    assert source_share(project, src).posted == D("0.00")
    assert balance(payee).posted == D("1000.00")
    assert verify_ledger().ok


def test_concurrent_reservations_never_exceed_available():
    src, _ = funded_source("1000.00")
    actor = system()

    def reserve(i):
        return services.reserve(
            actor=actor,
            from_account=src,
            to_account=targets[i % 5],
            amount="300.00",
            source_account=src,
            idempotency_key=key(),
        )

    targets = [account("commitment") for _ in range(5)]
    outcomes = run_threads(20, reserve)
    assert sum(isinstance(o, Transfer) for o in outcomes) == 3
    b = balance(src)
    assert (b.posted, b.pending, b.available) == (D("1000.00"), D("900.00"), D("100.00"))


def test_two_hundred_opposite_transfers_in_parallel_finish_without_deadlock():
    """Two accounts sending to each other at once: locks in id order, so no deadlock."""
    src, _ = funded_source("10000.00")
    a = account("commitment")
    b = account("commitment")
    move(src, a, "5000.00", src)
    move(src, b, "5000.00", src)
    actor = system()
    rng = random.Random(7)
    amounts = [D(rng.randint(1, 5000)) / 100 for _ in range(100)]
    jobs = [(a, b, amt) for amt in amounts] + [(b, a, amt) for amt in amounts]
    rng.shuffle(jobs)
    n_threads = 20
    per_thread = len(jobs) // n_threads

    def worker(i):
        done = 0
        for from_acc, to_acc, amount in jobs[i * per_thread : (i + 1) * per_thread]:
            services.post_transfer(
                actor=actor,
                from_account=from_acc,
                to_account=to_acc,
                amount=amount,
                source_account=src,
                idempotency_key=key(),
            )
            done += 1
        return done

    outcomes = run_threads(n_threads, worker)
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert errors == []
    assert sum(outcomes) == 200
    assert balance(a).posted == D("5000.00")
    assert balance(b).posted == D("5000.00")
    result = verify_ledger()
    assert result.ok, result.problems


def test_concurrent_commit_and_void_of_one_pending_transfer_resolve_it_once():
    src, _ = funded_source("1000.00")
    project = account()
    actor = system()
    pending = services.reserve(
        actor=actor,
        from_account=src,
        to_account=project,
        amount="100.00",
        source_account=src,
        idempotency_key=key(),
    )

    def resolve(i):
        fn = services.commit_pending if i % 2 else services.void_pending
        return fn(actor=actor, transfer=pending, idempotency_key=key())

    outcomes = run_threads(10, resolve)
    assert sum(isinstance(o, Transfer) for o in outcomes) == 1
    final = Transfer.objects.get(pk=pending.pk)
    b = balance(src)
    assert b.pending == D("0.00")
    assert b.posted == (D("900.00") if final.state == "posted" else D("1000.00"))
    assert verify_ledger().ok


def test_lines_racing_to_feed_one_commitment_leave_the_lowest():
    """Whichever posting creates the commitment's share first, the feeder its share keeps
    is the lowest line (what ledger_verify recomputes; the report's line for it)."""
    src, _ = funded_source("1000.00")
    lines = [account("budget_line") for _ in range(4)]
    for line in lines:
        move(src, line, "100.00", src, kind="budget")
    commitment = account()
    outcomes = run_threads(
        len(lines), lambda i: move(lines[-1 - i], commitment, "10.00", src, kind="allocation")
    )
    assert not [o for o in outcomes if isinstance(o, Exception)]
    kept = source_share(commitment, src)
    row = SourceBalance.objects.get(account=commitment, source_account=src)
    assert row.fed_by_id == min(line.pk for line in lines)
    assert row.in_budget_line == kept.posted == D("40.00")
    assert verify_ledger(seal=False, record=False).ok
