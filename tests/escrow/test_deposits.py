"""Deposits: receivable (not spendable) until federation staff confirm arrival."""

from decimal import Decimal

import pytest

from core.errors import Conflict, NotPermitted
from escrow import services
from escrow.models import DepositKind, DepositState
from escrow.selectors import balance
from ledger import services as ledger
from ledger.models import AccountKind
from ledger.services import AccountScope
from tests.escrow.factories import key

pytestmark = pytest.mark.django_db


def test_announced_money_is_receivable_not_spendable_until_confirmed(ew):
    deposit = ew.deposit("800.00", confirm=False)
    b = balance(ew.account)
    assert (b.posted, b.receivable, b.available) == (
        Decimal("10000.00"), Decimal("800.00"), Decimal("10000.00"))  # fmt: skip
    assert deposit.state == DepositState.RECEIVABLE
    with pytest.raises(NotPermitted):
        services.deposit_confirm(actor=ew["rep"], transfer_id=deposit.transfer_id,
                                 bank_reference="B1")  # fmt: skip
    confirmed = services.deposit_confirm(
        actor=ew["staff"], transfer_id=deposit.transfer_id, bank_reference="B-2026-001"
    )
    assert confirmed.state == DepositState.CONFIRMED
    assert confirmed.confirmed_by == ew["staff"] and confirmed.confirmed_at
    assert balance(ew.account).available == Decimal("10800.00")
    again = services.deposit_confirm(
        actor=ew["staff"], transfer_id=deposit.transfer_id, bank_reference="B-2026-001"
    )
    assert again.pk == confirmed.pk and balance(ew.account).posted == Decimal("10800.00")
    with pytest.raises(Conflict):
        services.deposit_confirm(actor=ew["staff"], transfer_id=deposit.transfer_id,
                                 bank_reference="OTHER")  # fmt: skip


def test_a_milestone_payment_from_projects_is_confirmed_by_its_transfer(ew):
    """Projects reserves a milestone into the custodial account (found by owner); escrow
    confirms it by reading the ledger."""
    commitment = ledger.open_account(
        actor=ew["admin"], kind=AccountKind.COMMITMENT, name="项目承诺", code="commit-x",
        scope=AccountScope(region_path=ew.r["town_a"].path),
    )  # fmt: skip
    tag = ew.source.money_tag
    ledger.post_transfer(actor=ew["admin"], from_account=ew.source.account, to_account=commitment,
                         amount="3000.00", source_account=tag, idempotency_key=key())  # fmt: skip
    pending = ledger.reserve(
        actor=ew["admin"], from_account=commitment, to_account=ew.account.ledger_account_id,
        amount="3000.00", source_account=tag, kind="payment", idempotency_key=key(),
    )  # fmt: skip
    assert balance(ew.account).receivable == Decimal("3000.00")
    deposit = services.deposit_confirm(
        actor=ew["staff"], transfer_id=pending.pk, bank_reference="MS-1"
    )
    assert deposit.kind == DepositKind.MILESTONE and deposit.funding_source == ew.source
    assert balance(ew.account).posted == Decimal("13000.00")


def test_void_releases_the_receivable(ew):
    deposit = ew.deposit("50.00", confirm=False)
    services.deposit_void(actor=ew["staff"], deposit_id=deposit.pk, reason="对方取消")
    assert balance(ew.account).receivable == Decimal("0.00")


def test_the_same_bank_reference_is_confirmed_once_per_account(ew):
    ew.deposit("10.00", ref="SAME")
    second = ew.deposit("20.00", confirm=False)
    with pytest.raises(Conflict) as exc:
        services.deposit_confirm(actor=ew["staff"], transfer_id=second.transfer_id,
                                 bank_reference="SAME")  # fmt: skip
    assert exc.value.code == "reference_used"
    assert balance(ew.account).receivable == Decimal("20.00")  # rolled back
