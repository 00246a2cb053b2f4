"""ledger_write (ledger/writer.py): the one way the application's role writes the ledger.

The service's API is unchanged; on PostgreSQL it calls the writer (several postings in one
call), on SQLite it runs its own statements: the same sequence leaves the same ledger
(tests/ledger/scenario.py; tests/sqlite/test_ledger_writer.py runs it on SQLite)."""

from decimal import Decimal

import pytest
from django.db import ProgrammingError, connection, transaction

from ledger import services
from ledger.errors import AccountInactive, IdempotencyConflict, Overdraft
from ledger.models import Transfer
from ledger.selectors import balance, source_share
from ledger.services import Posting
from ledger.verification import verify_ledger

from . import scenario
from .factories import account, funded_source, key, system

pytestmark = pytest.mark.django_db


def test_the_scenario_leaves_what_sqlite_leaves():
    result = scenario.run()

    assert result == scenario.EXPECTED
    assert verify_ledger(seal=False, record=False).ok


def _transfers() -> int:
    return Transfer.objects.count()


def test_several_postings_go_in_one_call(monkeypatch):
    src, _treasury = funded_source("500.00")
    commit, payee = account("commitment"), account("external")
    services.post_transfer(
        actor=system(), from_account=src, to_account=commit, amount="300.00",
        source_account=src, kind="allocation", idempotency_key=key(),
    )  # fmt: skip
    custody = account("custodial")
    calls = []
    real = services._pg_write
    monkeypatch.setattr(services, "_pg_write", lambda db, ops: calls.append(ops) or real(db, ops))
    done = services.post_transfers(
        actor=system(),
        postings=[
            Posting(commit, payee, "100.00", src, key(), kind="payment"),
            Posting(commit, payee, "50.00", src, key(), kind="payment"),
            Posting(commit, custody, "25.00", src, key(), kind="payment",
                    reserve=True),
        ],
    )  # fmt: skip
    assert len(calls) == 1 and len(calls[0]) == 3  # one statement, one round trip
    assert [t.state for t in done] == ["posted", "posted", "pending"]
    assert [t.pk for t in done] == sorted(t.pk for t in done)
    assert all(Transfer.objects.get(pk=t.pk).proof == t.proof for t in done)
    view = balance(commit)
    assert (view.posted, view.pending) == (Decimal("150.00"), Decimal("25.00"))
    assert source_share(payee, src).posted == Decimal("150.00")
    assert verify_ledger(seal=False, record=False).ok


def test_a_batch_is_all_or_none_and_names_the_account_that_refused():
    src, _treasury = funded_source("100.00")
    commit, payee = account("commitment"), account("external")
    services.post_transfer(
        actor=system(), from_account=src, to_account=commit, amount="80.00",
        source_account=src, kind="allocation", idempotency_key=key(),
    )  # fmt: skip
    before = _transfers()
    with pytest.raises(Overdraft) as caught:
        services.post_transfers(
            actor=system(),
            postings=[
                Posting(commit, payee, "50.00", src, key(), kind="payment"),
                Posting(commit, payee, "50.00", src, key(), kind="payment"),
            ],
        )
    assert caught.value.account == commit
    assert caught.value.shortfall == Decimal("20.00")
    assert _transfers() == before
    assert balance(commit).posted == Decimal("80.00")
    closed = account("custodial")
    services.close_account(actor=system(), account=closed, reason="empty")
    with pytest.raises(AccountInactive):
        services.post_transfers(
            actor=system(),
            postings=[Posting(commit, payee, "10.00", src, key()),
                      Posting(commit, closed, "10.00", src, key())],
        )  # fmt: skip
    assert _transfers() == before


def test_a_batch_replays_a_used_key_and_refuses_it_for_another_request():
    src, _treasury = funded_source("100.00")
    commit, payee = account("commitment"), account("external")
    first = services.post_transfer(
        actor=system(), from_account=src, to_account=commit, amount="60.00",
        source_account=src, kind="allocation", idempotency_key="k-used",
    )  # fmt: skip
    done = services.post_transfers(
        actor=system(),
        postings=[
            Posting(src, commit, "60.00", src, "k-used", kind="allocation"),
            Posting(commit, payee, "10.00", src, key(), kind="payment"),
        ],
    )
    assert done[0].pk == first.pk and done[0].replayed
    assert not getattr(done[1], "replayed", False)
    assert balance(commit).posted == Decimal("50.00")  # the replay moved nothing
    with pytest.raises(IdempotencyConflict):
        services.post_transfers(
            actor=system(), postings=[Posting(src, commit, "1.00", src, "k-used")]
        )


def test_the_limited_role_may_not_write_the_ledger_tables_directly():
    """This test runs as the application's role (tests/conftest.py): a raw INSERT of a
    transfer and a raw UPDATE of a balance are refused, not merely found later."""
    src, _treasury = funded_source("100.00")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == "fundmgr_app"
    t = Transfer.objects.get(to_account=src)
    for sql, params in (
        (
            "INSERT INTO ledger_transfer (from_account_id, to_account_id, amount, "
            "source_account_id, kind, memo, state, two_phase, idempotency_key, request_hash, "
            "created_by_id, created_at, resolved_at) VALUES (%s, %s, 5, %s, 'transfer', '', "
            "'posted', false, 'raw', 'h', %s, now(), now())",
            [t.from_account_id, src.pk, src.pk, t.created_by_id],
        ),
        ("UPDATE ledger_accountbalance SET posted = posted + 5 WHERE account_id = %s", [src.pk]),
        ("UPDATE ledger_sourcebalance SET posted = posted + 5 WHERE account_id = %s", [src.pk]),
    ):
        with pytest.raises(ProgrammingError, match="permission denied"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
    assert balance(src).posted == Decimal("100.00")


def test_a_refusal_inside_a_callers_transaction_leaves_it_usable():
    src, _treasury = funded_source("10.00")
    with transaction.atomic():
        with pytest.raises(Overdraft):
            services.post_transfer(
                actor=system(), from_account=src, to_account=account(), amount="11.00",
                source_account=src, idempotency_key=key(),
            )  # fmt: skip
        moved = services.post_transfer(
            actor=system(), from_account=src, to_account=account(), amount="4.00",
            source_account=src, idempotency_key=key(),
        )  # fmt: skip
    assert Transfer.objects.filter(pk=moved.pk).exists()
    assert balance(src).posted == Decimal("6.00")


def test_a_refusal_inside_a_transaction_leaves_it_usable_without_a_savepoint():
    """Inside a caller's transaction the writer answers a refusal (ledger_try_write) instead
    of raising it: nothing of the call is kept, the service explains the refusal with reads
    in the same transaction, and the caller goes on, in one statement per call."""
    from django.test.utils import CaptureQueriesContext

    src, _treasury = funded_source("100.00")
    commit = account("commitment")
    with transaction.atomic():
        with CaptureQueriesContext(connection) as ctx, pytest.raises(Overdraft) as refused:
            services.post_transfers(
                actor=system(),
                postings=[
                    Posting(src, commit, "60.00", src, key(), kind="allocation"),
                    Posting(src, commit, "60.00", src, key(), kind="allocation"),
                ],
            )
        sql = [q["sql"] for q in ctx.captured_queries]
        assert sum("ledger_try_write(" in s for s in sql) == 1
        assert not any("SAVEPOINT" in s for s in sql)
        assert refused.value.account.pk == src.pk
        assert balance(commit).posted == 0  # the first posting was undone with the second
        done = services.post_transfer(
            actor=system(), from_account=src, to_account=commit, amount="60.00",
            source_account=src, kind="allocation", idempotency_key=key(),
        )  # fmt: skip
    assert done.state == "posted" and balance(commit).posted == Decimal("60.00")
    assert balance(src).available == Decimal("40.00")
