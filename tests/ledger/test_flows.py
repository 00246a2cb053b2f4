"""The shares' flow sums (SourceBalance in_*/out_*/fed_by): written by each posting in its
own statement, equal to their recomputation from the transfers, checked by ledger_verify."""

import importlib
from decimal import Decimal

import pytest
from django.db import connection

from ledger import services
from ledger.models import FLOWS, SourceBalance
from ledger.verification import shares_sql, verify_ledger

from .factories import account, funded_source, key, move, system

D = Decimal


def cached() -> dict:
    """(account, source) → (posted, pending, receivable, fed_by, *flows) as kept."""
    rows = SourceBalance.objects.values_list(
        "account_id", "source_account_id", "posted", "pending", "receivable", "fed_by_id", *FLOWS
    )
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def recomputed() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(shares_sql())
        return {
            (r[0], r[1]): tuple(D(v).quantize(D("0.01")) if i != 3 else v
                                for i, v in enumerate(r[2:]))
            for r in cursor.fetchall()
        }  # fmt: skip


def share(account_id, source_id) -> SourceBalance:
    return SourceBalance.objects.get(account_id=account_id, source_account_id=source_id)


def mixed_ledger():
    """Every way money moves: posted, reserved then committed, reserved then voided, left
    pending, reversed, carried forward, to custodial and outside accounts, back again."""
    src, treasury = funded_source("10000.00")
    next_year = account("funding_source")
    line_a, line_b = account("budget_line"), account("budget_line")
    move(src, line_a, "4000.00", src, kind="budget")
    move(src, line_b, "3000.00", src, kind="budget")
    move(line_a, line_b, "500.00", src, kind="adjustment")
    commit_1, commit_2, commit_3 = account(), account(), account()
    payee, custody = account("external"), account("custodial")
    held = services.reserve(actor=system(), from_account=line_a, to_account=commit_1,
                            amount="1200.00", source_account=src, kind="allocation",
                            idempotency_key=key())  # fmt: skip
    services.commit_pending(actor=system(), transfer=held, idempotency_key=key())
    dropped = services.reserve(actor=system(), from_account=line_b, to_account=commit_2,
                               amount="700.00", source_account=src, kind="allocation",
                               idempotency_key=key())  # fmt: skip
    services.void_pending(actor=system(), transfer=dropped, idempotency_key=key())
    services.reserve(actor=system(), from_account=line_b, to_account=commit_3, amount="300.00",
                     source_account=src, kind="allocation", idempotency_key=key())  # fmt: skip
    move(line_b, commit_2, "900.00", src, kind="allocation")
    move(commit_1, payee, "400.00", src, kind="payment")
    wrong = move(commit_1, payee, "100.00", src, kind="payment")
    services.reverse_transfer(actor=system(), transfer=wrong, idempotency_key=key())
    move(commit_2, custody, "250.00", src, kind="deposit")
    move(commit_1, line_a, "50.00", src, kind="transfer")  # given back to the line
    returned = move(src, treasury, "10.00", src, kind="refund")
    services.reverse_transfer(actor=system(), transfer=returned, idempotency_key=key())
    move(line_a, next_year, "1000.00", src, kind="carry_forward")
    move(src, next_year, "2000.00", src, kind="carry_forward")
    return locals()


@pytest.mark.django_db
def test_the_flows_equal_their_recomputation_after_every_kind_of_movement():
    w = mixed_ledger()
    assert cached() == recomputed()
    result = verify_ledger(seal=False, record=False)
    assert result.ok, result.problems
    src = w["src"].pk
    line_a = share(w["line_a"].pk, src)
    assert (line_a.in_funding_source, line_a.in_budget_line, line_a.in_commitment) == (
        D("4000.00"), D("0.00"), D("50.00"))  # fmt: skip
    assert (line_a.out_budget_line, line_a.out_commitment, line_a.out_carried) == (
        D("500.00"), D("1200.00"), D("1000.00"))  # fmt: skip
    assert line_a.pending == 0 and line_a.fed_by_id is None
    line_b = share(w["line_b"].pk, src)
    assert line_b.out_commitment == D("900.00")  # the voided 700 never moved
    assert line_b.pending == D("300.00")  # still reserved: not a flow
    commit_1 = share(w["commit_1"].pk, src)
    assert commit_1.in_budget_line == D("1200.00") and commit_1.fed_by_id == w["line_a"].pk
    assert (commit_1.out_external, commit_1.in_external) == (D("500.00"), D("100.00"))
    assert commit_1.out_budget_line == D("50.00")
    commit_2 = share(w["commit_2"].pk, src)
    assert commit_2.fed_by_id == w["line_b"].pk and commit_2.out_custodial == D("250.00")
    commit_3 = share(w["commit_3"].pk, src)  # only reserved: fed, nothing posted yet
    assert commit_3.fed_by_id == w["line_b"].pk and commit_3.receivable == D("300.00")
    assert all(getattr(commit_3, name) == 0 for name in FLOWS)
    source = share(src, src)
    assert (source.in_external, source.out_external) == (D("10010.00"), D("10.00"))
    assert source.out_carried == D("2000.00") and source.out_budget_line == D("7000.00")
    assert share(w["next_year"].pk, src).in_carried == D("3000.00")
    for s in SourceBalance.objects.all():  # posted is what the flows add up to
        ins = sum(getattr(s, f) for f in FLOWS if f.startswith("in_"))
        outs = sum(getattr(s, f) for f in FLOWS if f.startswith("out_"))
        assert s.posted == ins - outs, s


@pytest.mark.django_db
def test_a_commitment_fed_by_two_lines_keeps_the_lowest():
    src, _ = funded_source("1000.00")
    low, high = account("budget_line"), account("budget_line")
    for line in (low, high):
        move(src, line, "100.00", src, kind="budget")
    commitment = account()
    move(high, commitment, "10.00", src, kind="allocation")
    assert share(commitment.pk, src.pk).fed_by_id == high.pk
    move(low, commitment, "10.00", src, kind="allocation")
    move(high, commitment, "10.00", src, kind="allocation")
    assert share(commitment.pk, src.pk).fed_by_id == low.pk
    # a commitment fed by another commitment, or an outside account, keeps no feeder
    other = account()
    move(commitment, other, "5.00", src, kind="transfer")
    assert share(other.pk, src.pk).fed_by_id is None
    assert verify_ledger(seal=False, record=False).ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "change"),
    [("out_commitment", "out_commitment + 1"), ("in_carried", "in_carried + 1"),
     ("fed_by_id", "NULL")],
)  # fmt: skip
@pytest.mark.owner_role  # as the owner: the application's role may not write it at all
def test_verification_names_a_tampered_flow(column, change):
    w = mixed_ledger()
    target = {"out_commitment": w["line_a"], "in_carried": w["next_year"],
              "fed_by_id": w["commit_1"]}[column]  # fmt: skip
    src = w["src"].pk
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE ledger_sourcebalance SET {column} = {change} "
            "WHERE account_id = %s AND source_account_id = %s",
            [target.pk, src],
        )
    result = verify_ledger(seal=False, record=False)
    assert not result.ok
    assert result.problems == [result.first_bad]  # the balances themselves still agree
    assert result.first_bad.startswith(
        f"ledger.SourceBalance account={target.pk} source={src}: flows differ"
    )
    assert column.removesuffix("_id") in result.first_bad


@pytest.mark.django_db
@pytest.mark.owner_role  # as the owner: the application's role may not write it at all
def test_the_migration_fills_the_flows_of_an_existing_ledger():
    mixed_ledger()
    before = cached()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE ledger_sourcebalance SET fed_by_id = NULL, "
            f"{', '.join(f'{name} = 0' for name in FLOWS)}"
        )
    assert cached() != before
    migration = importlib.import_module("ledger.migrations.0009_sourcebalance_flows")
    with connection.schema_editor() as editor:
        migration.backfill(None, editor)
    assert cached() == before
