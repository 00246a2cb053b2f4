"""Posting, two-phase transfers and reversals, one worked example per test."""

from decimal import Decimal

import pytest

from core.errors import DomainError, NotFound, NotPermitted
from ledger import services
from ledger.errors import AlreadyResolved, AlreadyReversed, InvalidTransfer, Overdraft
from ledger.models import AccountBalance, SourceBalance, Transfer
from ledger.selectors import balance, balance_by_source, source_share

from .factories import account, funded_source, key, move, source, system

pytestmark = pytest.mark.django_db

D = Decimal


def test_funding_a_source_moves_money_from_the_treasury():
    src, treasury = funded_source("1000.00")
    assert balance(src).posted == D("1000.00")
    assert balance(treasury).posted == D("-1000.00")  # outside accounts may go negative
    assert [(s.source_account_id, s.posted) for s in balance_by_source(src)] == [
        (src.pk, D("1000.00"))
    ]


def test_allocation_then_payment_keeps_the_source_on_every_leg():
    src, treasury = funded_source("1000.00")
    project = account("commitment")
    payee = account("external")
    move(src, project, "600.00", src, kind="allocation")
    paid = move(project, payee, "250.50", src, kind="payment")
    assert paid.source_account_id == src.pk
    assert balance(src).posted == D("400.00")
    assert balance(project).posted == D("349.50")
    assert balance(payee).posted == D("250.50")
    assert source_share(project, src).posted == D("349.50")


def test_transfer_records_who_what_and_when():
    src, _ = funded_source()
    project = account()
    t = move(src, project, "10.00", src, kind="allocation", memo="第一期")
    stored = Transfer.objects.get(pk=t.pk)
    assert stored.created_by == system()
    assert stored.memo == "第一期"
    assert stored.state == "posted"
    assert stored.resolved_at == stored.created_at
    assert stored.amount == D("10.00")


def test_overdraft_names_account_source_and_shortfall_and_writes_nothing():
    src, _ = funded_source("100.00")
    project = account()
    before = Transfer.objects.count()
    with pytest.raises(Overdraft) as caught:
        move(src, project, "150.00", src)
    error = caught.value
    assert error.code == "overdraft"
    assert error.status_code == 409
    assert error.shortfall == D("50.00")
    assert error.account == src and error.source == src
    assert error.fields["shortfall"] == ["50.00"]
    assert src.code in str(error.detail)
    assert Transfer.objects.count() == before
    assert balance(src).posted == D("100.00")
    assert balance(project).posted == D("0.00")


def test_one_sources_share_cannot_pay_for_another():
    """Restricted funds: an account holding ¥100 of A and ¥100 of B cannot spend ¥150 of A."""
    src_a, _ = funded_source("500.00")
    src_b, _ = funded_source("500.00")
    project = account()
    move(src_a, project, "100.00", src_a)
    move(src_b, project, "100.00", src_b)
    payee = account("external")
    with pytest.raises(Overdraft) as caught:
        move(project, payee, "150.00", src_a)
    assert caught.value.level == "source"
    assert caught.value.shortfall == D("50.00")
    assert caught.value.source == src_a
    assert balance(project).posted == D("200.00")
    move(project, payee, "100.00", src_a)  # its own share is fine
    assert source_share(project, src_a).posted == D("0.00")
    assert source_share(project, src_b).posted == D("100.00")


def test_spending_a_source_the_account_never_held_is_an_overdraft():
    src_a, _ = funded_source("500.00")
    other = source()
    project = account()
    move(src_a, project, "100.00", src_a)
    with pytest.raises(Overdraft) as caught:
        move(project, account("external"), "1.00", other)
    assert caught.value.shortfall == D("1.00")


def test_reserve_lowers_available_and_commit_moves_the_money():
    src, _ = funded_source("1000.00")
    project = account()
    pending = services.reserve(
        actor=system(),
        from_account=src,
        to_account=project,
        amount="300.00",
        source_account=src,
        kind="allocation",
        idempotency_key=key(),
    )
    assert pending.state == "pending"
    b = balance(src)
    assert (b.posted, b.pending, b.available) == (D("1000.00"), D("300.00"), D("700.00"))
    assert balance(project).receivable == D("300.00")
    assert balance(project).available == D("0.00")  # receivable is not spendable
    with pytest.raises(Overdraft):
        move(src, account(), "701.00", src)
    done = services.commit_pending(actor=system(), transfer=pending, idempotency_key=key())
    assert done.state == "posted" and done.resolved_at is not None
    b = balance(src)
    assert (b.posted, b.pending, b.available) == (D("700.00"), D("0.00"), D("700.00"))
    p = balance(project)
    assert (p.posted, p.receivable) == (D("300.00"), D("0.00"))
    assert Transfer.objects.get(pk=pending.pk).state == "posted"


def test_void_releases_the_reservation():
    src, _ = funded_source("1000.00")
    project = account()
    pending = services.reserve(
        actor=system(),
        from_account=src,
        to_account=project,
        amount="300.00",
        source_account=src,
        idempotency_key=key(),
    )
    services.void_pending(actor=system(), transfer=pending.pk, idempotency_key=key())
    b = balance(src)
    assert (b.posted, b.pending) == (D("1000.00"), D("0.00"))
    assert balance(project).receivable == D("0.00")
    assert source_share(project, src).receivable == D("0.00")


def test_reserving_more_than_available_is_an_overdraft():
    src, _ = funded_source("100.00")
    with pytest.raises(Overdraft):
        services.reserve(
            actor=system(),
            from_account=src,
            to_account=account(),
            amount="100.01",
            source_account=src,
            idempotency_key=key(),
        )
    assert balance(src).pending == D("0.00")


def _pending(src, amount="50.00"):
    return services.reserve(
        actor=system(),
        from_account=src,
        to_account=account(),
        amount=amount,
        source_account=src,
        idempotency_key=key(),
    )


def test_a_pending_transfer_resolves_once():
    src, _ = funded_source()
    pending = _pending(src)
    services.commit_pending(actor=system(), transfer=pending, idempotency_key=key())
    with pytest.raises(AlreadyResolved):
        services.commit_pending(actor=system(), transfer=pending, idempotency_key=key())
    with pytest.raises(AlreadyResolved):
        services.void_pending(actor=system(), transfer=pending, idempotency_key=key())
    assert balance(src).posted == D("950.00")


def test_a_posted_transfer_cannot_be_voided():
    src, _ = funded_source()
    posted = move(src, account(), "10.00", src)
    with pytest.raises(AlreadyResolved):
        services.void_pending(actor=system(), transfer=posted, idempotency_key=key())
    assert balance(src).posted == D("990.00")


def test_reversal_names_the_original_and_restores_balances():
    src, _ = funded_source("1000.00")
    project = account()
    original = move(src, project, "400.00", src, kind="allocation")
    reversal = services.reverse_transfer(actor=system(), transfer=original, idempotency_key=key())
    assert reversal.reverses_id == original.pk
    assert reversal.kind == "reversal"
    assert (reversal.from_account_id, reversal.to_account_id) == (project.pk, src.pk)
    assert balance(src).posted == D("1000.00")
    assert balance(project).posted == D("0.00")
    assert Transfer.objects.get(pk=original.pk).reversed_by.pk == reversal.pk
    with pytest.raises(AlreadyReversed):
        services.reverse_transfer(actor=system(), transfer=original, idempotency_key=key())


def test_reversal_refused_when_the_money_is_already_spent():
    src, _ = funded_source("1000.00")
    project = account()
    original = move(src, project, "400.00", src)
    move(project, account("external"), "300.00", src)
    with pytest.raises(Overdraft):
        services.reverse_transfer(actor=system(), transfer=original, idempotency_key=key())


def test_pending_and_reversals_are_not_reversed():
    src, _ = funded_source()
    with pytest.raises(AlreadyResolved):
        services.reverse_transfer(actor=system(), transfer=_pending(src), idempotency_key=key())
    original = move(src, account(), "10.00", src)
    reversal = services.reverse_transfer(actor=system(), transfer=original, idempotency_key=key())
    with pytest.raises(InvalidTransfer):
        services.reverse_transfer(actor=system(), transfer=reversal, idempotency_key=key())


@pytest.mark.parametrize(
    "amount", ["0", "0.00", "-5.00", "1.005", "abc", "NaN", "Infinity", "", None, True, 1e30]
)
def test_bad_amounts_are_refused_naming_the_field(amount):
    src, _ = funded_source()
    before = Transfer.objects.count()
    with pytest.raises(InvalidTransfer) as caught:
        move(src, account(), amount, src)
    assert "amount" in caught.value.fields
    assert caught.value.status_code == 400
    assert Transfer.objects.count() == before


def test_same_from_and_to_account_is_refused():
    src, _ = funded_source()
    with pytest.raises(InvalidTransfer) as caught:
        move(src, src, "1.00", src)
    assert "to_account" in caught.value.fields


def test_unknown_accounts_are_refused():
    src, _ = funded_source()
    with pytest.raises(NotFound) as caught:
        move(src, 999_999_999, "1.00", src)
    assert "to_account" in caught.value.fields
    with pytest.raises(NotFound):
        move(999_999_998, src, "1.00", src)
    with pytest.raises(NotFound):
        move(src, account(), "1.00", 999_999_997)


def test_the_source_must_be_a_funding_source_account():
    src, _ = funded_source()
    project = account()
    with pytest.raises(InvalidTransfer) as caught:
        move(src, project, "1.00", project)
    assert "source_account" in caught.value.fields


def test_unknown_kind_and_missing_key_are_refused():
    src, _ = funded_source()
    with pytest.raises(InvalidTransfer):
        move(src, account(), "1.00", src, kind="gift")
    with pytest.raises(DomainError) as caught:
        services.post_transfer(
            actor=system(),
            from_account=src,
            to_account=account(),
            amount="1.00",
            source_account=src,
            idempotency_key="",
        )
    assert "idempotency_key" in caught.value.fields


def test_the_ledger_records_the_mover_and_decides_no_roles(users):
    """Who may move money is the domain service's decision (scope and role, checked before
    it calls the ledger); the ledger moves it for whoever that service names, and records
    who it was."""
    src, _ = funded_source()
    project = account()
    for name in ["finance_town", "federation_staff", "auditor", "org_rep", "nobody"]:
        t = move(src, project, "1.00", src, actor=users[name])
        assert Transfer.objects.get(pk=t.pk).created_by_id == users[name].pk
    assert balance(project).posted == D("5.00")
    with pytest.raises(NotPermitted) as caught:
        services.post_transfer(
            actor=None, from_account=src, to_account=project, amount="1.00",
            source_account=src, idempotency_key=key(),
        )  # fmt: skip
    assert caught.value.code == "actor_required"
    assert balance(project).posted == D("5.00")


def test_open_account_is_idempotent_per_owner_and_creates_balances():
    first = account("commitment", owner_type="projects.project", owner_id=7)
    again = services.open_account(
        actor=system(),
        kind="commitment",
        name="again",
        owner_type="projects.project",
        owner_id=7,
    )
    assert again.pk == first.pk
    assert AccountBalance.objects.get(account=first).is_guarded
    assert not AccountBalance.objects.get(account=account("external")).is_guarded
    assert SourceBalance.objects.filter(account=first).count() == 0
    assert first.history.count() == 1  # the account itself is audited


def test_account_kind_never_changes_and_accounts_are_never_deleted():
    from django.core.exceptions import ValidationError

    acc = account("commitment")
    acc.kind = "external"
    with pytest.raises(ValidationError):
        acc.full_clean()
    with pytest.raises(DomainError):
        acc.delete()


def test_transfers_refuse_save_update_and_delete_in_python():
    from ledger.errors import TransferImmutable

    src, _ = funded_source()
    t = Transfer.objects.get(pk=move(src, account(), "1.00", src).pk)
    t.amount = D("2.00")
    with pytest.raises(TransferImmutable):
        t.save()
    with pytest.raises(TransferImmutable):
        t.delete()
    with pytest.raises(TransferImmutable):
        Transfer.objects.filter(pk=t.pk).update(amount=D("3.00"))
    with pytest.raises(TransferImmutable):
        Transfer.objects.filter(pk=t.pk).delete()
