"""Custodial accounts: opening by the custody rule, freezing, closing at zero."""

from decimal import Decimal

import pytest

from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from escrow import services
from escrow.models import AccountState
from escrow.selectors import balance
from federations.eligibility import NotEligible
from ledger import selectors as ledger_selectors
from ledger.models import Transfer
from tests.federations.factories import make_org

pytestmark = pytest.mark.django_db


def test_the_account_is_the_ledger_account_projects_finds(ew):
    found = ledger_selectors.account_for_owner(
        "federations.organization", ew.r["org_a"].pk, "custodial"
    )
    assert found.pk == ew.account.ledger_account_id
    assert (found.federation_id, found.organization_id) == (
        ew.r["federation_a"].pk, ew.r["org_a"].pk)  # fmt: skip
    assert found.region_path == ew.r["comm_a1"].path


def test_opening_needs_the_custody_rule(ew):
    with pytest.raises(Conflict) as exc:  # already open
        services.account_open(actor=ew["staff"], federation_id=ew.r["federation_a"].pk,
                              organization_id=ew.r["org_a"].pk)  # fmt: skip
    assert exc.value.code == "already_open"
    loose = make_org(ew.r["comm_a2"], "金湖社区读书会")  # not a member
    with pytest.raises(NotEligible) as exc:
        services.account_open(actor=ew["staff"], federation_id=ew.r["federation_a"].pk,
                              organization_id=loose.pk)  # fmt: skip
    assert "not_a_member" in exc.value.fields["reason_codes"]


def test_another_federation_is_named_as_missing(ew):
    with pytest.raises(InvalidInput) as exc:
        services.account_open(actor=ew["staff"], federation_id=ew.r["federation_b"].pk,
                              organization_id=ew.r["org_b"].pk)  # fmt: skip
    assert "federation" in exc.value.fields


def test_freeze_needs_a_reason_and_the_right_people(ew):
    with pytest.raises(InvalidInput):
        services.account_freeze(actor=ew["staff"], account_id=ew.account.pk, reason=" ")
    with pytest.raises(NotPermitted):
        services.account_freeze(actor=ew["rep"], account_id=ew.account.pk, reason="x")
    with pytest.raises(NotFound):  # town B's officer does not see it
        services.account_freeze(actor=ew["town_b"], account_id=ew.account.pk, reason="x")
    account = services.account_freeze(actor=ew["county"], account_id=ew.account.pk, reason="审计")
    assert account.state == AccountState.FROZEN and account.frozen_reason == "审计"
    assert account.history.first().history_change_reason == "审计"
    with pytest.raises(Conflict):
        services.account_return_remainder(actor=ew["staff"], account_id=ew.account.pk, reason="x")


def test_close_only_at_zero_after_returning_the_remainder_to_each_source(ew):
    second = ew.fw.source("3000.00")
    ew.deposit("250.50", source=second)
    with pytest.raises(Conflict) as exc:
        services.account_close(actor=ew["staff"], account_id=ew.account.pk, reason="解散")
    assert exc.value.code == "not_empty"
    refunds = services.account_return_remainder(
        actor=ew["staff"], account_id=ew.account.pk, reason="组织解散，余额退回"
    )
    assert sorted((t.to_account_id, t.amount) for t in refunds) == sorted([
        (ew.source.money_tag_id, Decimal("10000.00")), (second.money_tag_id, Decimal("250.50"))
    ])  # fmt: skip
    assert all(t.kind == "refund" and t.source_account_id == t.to_account_id for t in refunds)
    assert all("退回" in Transfer.objects.get(pk=t.pk).memo for t in refunds)
    account = services.account_close(actor=ew["staff"], account_id=ew.account.pk, reason="解散")
    assert account.state == AccountState.CLOSED
    assert balance(account).posted == Decimal("0.00")
    account.ledger_account.refresh_from_db()
    assert not account.ledger_account.is_active
