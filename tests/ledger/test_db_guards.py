"""The database itself refuses what the services never do, and says so readably."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from ledger.errors import LedgerRecordImmutable, TransferImmutable, translate_db_error
from ledger.models import Transfer
from ledger.selectors import balance

from .factories import account, funded_source, move, system

pytestmark = pytest.mark.django_db


def _sql(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _refused(sql, params=()):
    with pytest.raises(DatabaseError) as caught:
        _sql(sql, params)
    return translate_db_error(caught.value)


@pytest.mark.owner_role  # as the owner: the application's role may not write it at all
def test_update_of_a_transfer_is_refused_by_the_database():
    src, _ = funded_source()
    t = move(src, account(), "10.00", src)
    error = _refused("UPDATE ledger_transfer SET amount = 1 WHERE id = %s", [t.pk])
    assert isinstance(error, TransferImmutable)
    assert error.code == "transfer_immutable"
    assert "撤销" in str(error.detail) or "reversing" in str(error.detail)
    assert Transfer.objects.get(pk=t.pk).amount == Decimal("10.00")


@pytest.mark.owner_role  # as the owner: the application's role may not write it at all
def test_posted_to_voided_is_refused_by_the_database():
    src, _ = funded_source()
    t = move(src, account(), "10.00", src)
    error = _refused("UPDATE ledger_transfer SET state = 'voided' WHERE id = %s", [t.pk])
    assert isinstance(error, TransferImmutable)


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
def test_delete_and_truncate_of_transfers_are_refused():
    src, _ = funded_source()
    t = move(src, account(), "10.00", src)
    assert isinstance(
        _refused("DELETE FROM ledger_transfer WHERE id = %s", [t.pk]), TransferImmutable
    )
    # Only a superuser session with audit.bypass on (Django's flush) may truncate.
    error = _refused("SET CONSTRAINTS ALL IMMEDIATE; TRUNCATE ledger_transfer CASCADE")
    assert isinstance(error, TransferImmutable)
    assert Transfer.objects.filter(pk=t.pk).exists()


@pytest.mark.owner_role  # as the owner: the application's role may not write it at all
def test_the_one_time_resolution_is_allowed_by_the_database_once():
    from ledger import services

    from .factories import key

    src, _ = funded_source()
    pending = services.reserve(
        actor=system(), from_account=src, to_account=account(), amount="5.00",
        source_account=src, idempotency_key=key(),
    )  # fmt: skip
    _sql(
        "UPDATE ledger_transfer SET state = 'voided', resolved_at = now() WHERE id = %s",
        [pending.pk],
    )
    error = _refused("UPDATE ledger_transfer SET state = 'posted' WHERE id = %s", [pending.pk])
    assert isinstance(error, TransferImmutable)
    # changing anything else along with the resolution is refused too
    other = services.reserve(
        actor=system(), from_account=src, to_account=account(), amount="5.00",
        source_account=src, idempotency_key=key(),
    )  # fmt: skip
    error = _refused(
        "UPDATE ledger_transfer SET state = 'posted', resolved_at = now(), amount = 1 "
        "WHERE id = %s",
        [other.pk],
    )
    assert isinstance(error, TransferImmutable)


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
@pytest.mark.parametrize("table", ["ledger_accountbalance", "ledger_sourcebalance"])
def test_balance_rows_are_never_deleted(table):
    funded_source()
    error = _refused(f"DELETE FROM {table}")
    assert isinstance(error, LedgerRecordImmutable)
    error = _refused(f"SET CONSTRAINTS ALL IMMEDIATE; TRUNCATE {table} CASCADE")
    assert isinstance(error, LedgerRecordImmutable)


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
def test_chain_links_and_verification_runs_refuse_update_and_delete():
    from ledger.verification import verify_ledger

    funded_source()
    verify_ledger()
    for sql in (
        "UPDATE core_chainseal SET hash = 'x'",
        "DELETE FROM core_chainseal",
        "UPDATE core_verificationrun SET status = 'ok'",
        "DELETE FROM core_verificationrun",
    ):
        with pytest.raises(IntegrityError, match="append-only"):
            _sql(sql)


@pytest.mark.owner_role  # as the owner: the application's role may not write it at all
def test_check_constraints_refuse_bad_amounts_and_negative_guarded_balances():
    src, treasury = funded_source("100.00")
    t = Transfer.objects.get(idempotency_key__isnull=False, to_account=src)
    with pytest.raises(IntegrityError) as caught:
        _sql(
            "INSERT INTO ledger_transfer (from_account_id, to_account_id, amount, "
            "source_account_id, kind, memo, state, two_phase, idempotency_key, request_hash, "
            "created_by_id, created_at, resolved_at) VALUES "
            "(%s, %s, 0, %s, 'transfer', '', 'posted', false, 'k-zero', 'h', %s, now(), now())",
            [treasury.pk, src.pk, src.pk, t.created_by_id],
        )
    assert "amount" in str(translate_db_error(caught.value).fields)
    with pytest.raises(IntegrityError) as caught:
        _sql("UPDATE ledger_accountbalance SET posted = -1 WHERE account_id = %s", [src.pk])
    assert translate_db_error(caught.value).code == "overdraft"
    with pytest.raises(IntegrityError):
        _sql(
            "UPDATE ledger_sourcebalance SET pending = posted + 1 WHERE account_id = %s",
            [src.pk],
        )
    # outside accounts may go negative
    _sql("UPDATE ledger_accountbalance SET posted = posted WHERE account_id = %s", [treasury.pk])
    assert balance(treasury).posted == Decimal("-100.00")


@pytest.mark.owner_role  # as the owner: the application's role may not write it at all
def test_guarded_update_in_the_database_never_lets_a_balance_below_zero():
    src, _ = funded_source("100.00")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_accountbalance SET posted = posted - 150 "
            "WHERE account_id = %s AND posted - pending >= 150 RETURNING account_id",
            [src.pk],
        )
        assert cursor.fetchall() == []
    assert balance(src).posted == Decimal("100.00")
