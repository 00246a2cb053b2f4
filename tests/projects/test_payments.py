"""Payments: a retried payment pays once; custody payments are receivable in the member's
custodial account (pending) and carry their source; the split adds up to the fen."""

from decimal import Decimal

import pytest

from core.errors import Conflict
from ledger.models import Transfer
from ledger.selectors import balance
from projects import services
from projects.models import Milestone, MilestonePayment, MilestonePaymentPart

D = Decimal


def _signed(pw, *amounts, custody=False, price=None):
    lines = pw.lines(*amounts)
    project = pw.project(custody=custody)
    for line, amount in zip(lines, amounts, strict=True):
        pw.allocate(project, line, amount)
    total = sum(D(a) for a in amounts)
    pw.contract(project, price or str(total))
    milestone = Milestone.objects.get(project=project)
    pw.accept(milestone)
    return project, milestone


def test_a_payment_retried_with_the_same_key_pays_once(pw):
    project, milestone = _signed(pw, "100.00", "200.00")
    first = services.payment_request(
        actor=pw["town_a"], milestone_id=milestone.pk, idempotency_key="pay-once"
    )
    again = services.payment_request(
        actor=pw["town_a"], milestone_id=milestone.pk, idempotency_key="pay-once"
    )
    assert again.pk == first.pk and getattr(again, "replayed", False)
    pw.approve(first)
    third = services.payment_request(
        actor=pw["town_a"], milestone_id=milestone.pk, idempotency_key="pay-once"
    )
    assert third.pk == first.pk
    assert MilestonePayment.objects.filter(milestone=milestone).count() == 1
    assert Transfer.objects.filter(kind="payment").count() == 2
    first.refresh_from_db()
    assert balance(first.payee_account_id).posted == D("300.00")
    # the same handler run again (a redelivered decision) moves nothing
    services.payment_approved(pw.request_for_any(first), actor=pw["county2"])
    assert Transfer.objects.filter(kind="payment").count() == 2


def test_the_same_key_for_another_milestone_is_refused(pw):
    project, milestone = _signed(pw, "100.00")
    services.payment_request(actor=pw["town_a"], milestone_id=milestone.pk, idempotency_key="k")
    with pytest.raises(Conflict) as caught:
        services.payment_request(actor=pw["town_a"], milestone_id=milestone.pk + 999,
                                 idempotency_key="k")  # fmt: skip
    assert caught.value.code == "idempotency_conflict"


def test_a_second_payment_of_the_same_milestone_is_refused(pw):
    project, milestone = _signed(pw, "100.00")
    services.payment_request(actor=pw["town_a"], milestone_id=milestone.pk, idempotency_key="a")
    with pytest.raises(Conflict) as caught:
        services.payment_request(actor=pw["town_a"], milestone_id=milestone.pk,
                                 idempotency_key="b")  # fmt: skip
    assert caught.value.code == "already_paid"


def test_custody_payment_is_receivable_in_the_custodial_account(pw):
    project, milestone = _signed(pw, "300.00", "700.00", custody=True)
    custodial = pw.o["custodial"]
    payment = pw.pay(milestone)
    assert payment.payee_kind == "custodial" and payment.payee_account_id == custodial.pk
    view = balance(custodial)
    assert view.posted == D("0.00") and view.receivable == D("1000.00")
    parts = list(MilestonePaymentPart.objects.filter(payment=payment).order_by("id"))
    assert [p.amount for p in parts] == [D("300.00"), D("700.00")]
    assert all(p.pending for p in parts)
    transfers = Transfer.objects.filter(pk__in=[p.transfer_id for p in parts])
    assert {t.state for t in transfers} == {"pending"}
    assert {t.source_account_id for t in transfers} == {
        p.allocation.line.source.money_tag_id for p in parts
    }


def test_split_rule_remainder_to_the_largest_and_parts_add_up():
    assert services.split(D("100.00"), [(1, D("1")), (2, D("2")), (3, D("3"))]) == [
        (1, D("16.66")), (2, D("33.33")), (3, D("50.01"))]  # fmt: skip
    # equal weights: the first of the largest takes the remainder
    assert services.split(D("100.00"), [(1, D("1")), (2, D("1")), (3, D("1"))]) == [
        (1, D("33.34")), (2, D("33.33")), (3, D("33.33"))]  # fmt: skip
    # a zero part is left out
    assert services.split(D("0.01"), [(1, D("10")), (2, D("30"))]) == [(2, D("0.01"))]
    for amount in ("0.01", "1.00", "999.99", "12345.67"):
        parts = services.split(D(amount), [(1, D("7.00")), (2, D("13.00")), (3, D("80.01"))])
        assert sum(a for _k, a in parts) == D(amount)


def test_split_caps_at_each_commitments_room():
    parts = services.split(
        D("30.00"), [(1, D("10")), (2, D("20"))], room={1: D("10.01"), 2: D("19.99")}
    )
    assert parts == [(1, D("10.01")), (2, D("19.99"))]
    with pytest.raises(Conflict) as caught:
        services.split(D("30.00"), [(1, D("10")), (2, D("20"))], room={1: D("5"), 2: D("5")})
    assert caught.value.code == "commitment_insufficient"
