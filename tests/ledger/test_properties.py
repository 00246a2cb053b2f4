"""Property-based: any sequence of ledger operations keeps every invariant.

Invariants checked after every operation: all posted balances sum to zero (double
entry), every cached balance equals the one recomputed from the transfers (by account
and by funding source), no guarded account and no guarded share of a source below zero
(posted − reserved ≥ 0), and a refused operation changes nothing.
"""

from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import DomainError
from ledger import services
from ledger.models import AccountBalance, SourceBalance, Transfer
from ledger.verification import _check_balances

from .factories import account, key, system

pytestmark = pytest.mark.django_db

ACCOUNTS = 6  # 0: treasury (external), 1-2: sources, 3-4: commitments, 5: payee (external)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500.00"), places=2)
ops = st.one_of(
    st.tuples(
        st.sampled_from(["post", "reserve"]),
        st.integers(0, ACCOUNTS - 1),
        st.integers(0, ACCOUNTS - 1),
        st.integers(1, 2),
        amounts,
    ),
    st.tuples(st.sampled_from(["commit", "void", "reverse"]), st.integers(0, 50)),
    st.tuples(st.just("replay"), st.integers(0, 50)),
)


class _Rollback(Exception):
    pass


def _snapshot():
    return (
        sorted(AccountBalance.objects.values_list("account_id", "posted", "pending", "receivable")),
        sorted(
            SourceBalance.objects.values_list(
                "account_id", "source_account_id", "posted", "pending", "receivable"
            )
        ),
        Transfer.objects.count(),
    )


def _check_invariants():
    problems: list[str] = []
    _check_balances(problems, {})
    assert problems == []
    for b in AccountBalance.objects.filter(is_guarded=True):
        assert b.posted - b.pending >= 0
    for s in SourceBalance.objects.filter(is_guarded=True):
        assert s.posted - s.pending >= 0
    total = sum(AccountBalance.objects.values_list("posted", flat=True), Decimal(0))
    assert total == Decimal("0.00")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(ops, min_size=1, max_size=25))
def test_random_operation_sequences_keep_every_invariant(db, sequence):
    try:
        with transaction.atomic():
            _run(sequence)
            raise _Rollback  # every example starts from an empty ledger
    except _Rollback:
        pass


def _run(sequence):
    actor = system()
    accs = [
        account("external"),
        account("funding_source"),
        account("funding_source"),
        account("commitment"),
        account("custodial"),
        account("external"),
    ]
    # Seed the sources from the treasury so that there is money to move.
    for src in accs[1:3]:
        services.post_transfer(
            actor=actor, from_account=accs[0], to_account=src, amount="1000.00",
            source_account=src, kind="funding", idempotency_key=key(),
        )  # fmt: skip
    made: list[tuple[Transfer, dict]] = []
    for op in sequence:
        before = _snapshot()
        try:
            if op[0] in ("post", "reserve"):
                _, f, t, s, amount = op
                request = {
                    "from_account": accs[f], "to_account": accs[t], "amount": amount,
                    "source_account": accs[s], "idempotency_key": key(),
                }  # fmt: skip
                fn = services.post_transfer if op[0] == "post" else services.reserve
                made.append((fn(actor=actor, **request), request))
            elif op[0] == "replay" and made and made[op[1] % len(made)][1]:
                transfer, request = made[op[1] % len(made)]
                fn = services.reserve if transfer.two_phase else services.post_transfer
                again = fn(actor=actor, **request)
                assert again.pk == transfer.pk
                assert _snapshot() == before  # a replay moves nothing
            elif op[0] in ("commit", "void", "reverse") and made:
                transfer, _request = made[op[1] % len(made)]
                fn = {
                    "commit": services.commit_pending,
                    "void": services.void_pending,
                    "reverse": services.reverse_transfer,
                }[op[0]]
                result = fn(actor=actor, transfer=transfer.pk, idempotency_key=key())
                if op[0] == "reverse":
                    made.append((result, {}))
        except DomainError:
            assert _snapshot() == before  # a refused operation changes nothing
        _check_invariants()
