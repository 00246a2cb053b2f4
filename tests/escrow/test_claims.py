"""Expense claims: the whole path, the rules on each step, advances."""

import datetime
from decimal import Decimal

import pytest

from approvals import services as approvals
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from escrow import services
from escrow.models import ClaimState
from escrow.selectors import balance
from ledger.models import Transfer
from tests.escrow.factories import key, pdf

pytestmark = pytest.mark.django_db


def test_claim_draft_to_paid_reserves_on_approval_and_posts_on_payout(ew):
    claim = ew.claim("1200.00", approve=False)
    assert claim.state == ClaimState.SUBMITTED and claim.approval_request_id
    assert balance(ew.account).pending == Decimal("0.00")
    ew.approve(claim)
    assert claim.state == ClaimState.APPROVED
    b = balance(ew.account)
    assert (b.posted, b.pending, b.available) == (
        Decimal("10000.00"), Decimal("1200.00"), Decimal("8800.00"))  # fmt: skip
    paid = ew.pay(claim, ref="PAY-001")
    assert paid.state == ClaimState.PAID and paid.payout_reference == "PAY-001"
    b = balance(ew.account)
    assert (b.posted, b.pending) == (Decimal("8800.00"), Decimal("0.00"))
    line = paid.lines.get()
    assert Transfer.objects.get(pk=line.reservation_id).state == "posted"


def test_up_to_5000_one_staff_member_approves_then_staff_pay(ew):
    """The full path: submit → forward (staff) → approve (another staff member) → pay."""
    claim = ew.claim("5000.00", approve=False)
    request = claim.approval_request
    assert [(r.level, r.federation_id, r.needed) for r in request.requirements.all()] == [
        ("federation", ew.account.federation_id, 1)
    ]
    ew.approve(claim, by="staff2")
    assert claim.state == ClaimState.APPROVED
    decision = request.decisions.get()
    assert (decision.role, decision.level, decision.federation_id) == (
        "federation_staff", "federation", ew.account.federation_id)  # fmt: skip
    paid = ew.pay(claim, ref="PAY-5000")
    assert paid.state == ClaimState.PAID and balance(ew.account).posted == Decimal("5000.00")


def test_above_5000_one_staff_approval_is_not_enough(ew):
    ew.deposit("20000.00")
    claim = ew.claim("5000.01", approve=False)
    ew.approve(claim, by="staff2")
    assert claim.state == ClaimState.SUBMITTED  # still waits for the township officer
    assert balance(ew.account).pending == Decimal("0.00")
    # The staff member counts once: approving again is refused.
    with pytest.raises(Conflict):
        approvals.request_approve(actor=ew["staff2"], request_id=claim.approval_request_id)
    ew.approve(claim, by="town_a")
    assert claim.state == ClaimState.APPROVED


def test_a_township_officer_alone_does_not_approve_a_claim(ew):
    """Finance officers no longer stand in for the federation's staff."""
    ew.deposit("20000.00")
    claim = ew.claim("6000.00", approve=False)
    ew.approve(claim, by="town_a")
    assert claim.state == ClaimState.SUBMITTED
    with pytest.raises(NotPermitted) as exc:
        approvals.request_approve(actor=ew["county"], request_id=claim.approval_request_id)
    assert exc.value.code == "wrong_level"


def test_nobody_approves_what_they_made_or_forwarded(ew):
    claim = ew.claim(approve=False)
    for who in ("rep", "staff"):  # the representative does not even see the request
        with pytest.raises((NotPermitted, NotFound)):
            approvals.request_approve(actor=ew[who], request_id=claim.approval_request_id)
    with pytest.raises(NotPermitted) as exc:
        approvals.request_approve(actor=ew["staff"], request_id=claim.approval_request_id)
    assert exc.value.code == "self_approval"


def test_the_submitter_cannot_approve_own_claim_even_as_staff(ew):
    """A representative who is also staff of the federation: still the claim's maker."""
    from access.models import Role
    from tests.factories import make_user

    make_user("es_rep_staff", Role.FEDERATION_STAFF, federation=ew.r["federation_a"])
    both = type(ew["rep"]).objects.get(username="es_rep_staff")
    from access.models import RoleAssignment
    from core.audited import set_reason

    set_reason(RoleAssignment(user=both, role=Role.ORGANIZATION_REP,
                              organization=ew.r["org_a"]), "测试").save()  # fmt: skip
    claim = services.claim_create(actor=both, account_id=ew.account.pk, title="自报自批")
    services.line_add(
        actor=both, claim_id=claim.pk, category="materials", amount="100.00",
        payee_name="甲", payee_bank="乙", payee_account_number="62220212345678",
        funding_source_id=ew.source.pk,
    )  # fmt: skip
    services.voucher_add(actor=both, claim_id=claim.pk, file=pdf())
    services.claim_submit(actor=both, claim_id=claim.pk)
    request = services.claim_forward(actor=ew["staff"], claim_id=claim.pk)
    with pytest.raises(NotPermitted) as exc:
        approvals.request_approve(actor=both, request_id=request.pk)
    assert exc.value.code == "self_approval"
    from approvals.selectors import inbox_for

    assert not inbox_for(both).filter(request=request).exists()
    assert inbox_for(ew["staff2"]).filter(request=request).exists()


def test_another_federations_staff_cannot_decide_nor_see_the_claim(ew):
    from approvals.selectors import inbox_for

    claim = ew.claim(approve=False)
    assert not inbox_for(ew["staff_b"]).exists()
    assert not inbox_for(ew["staff2_b"]).exists()
    assert list(inbox_for(ew["staff2"]).values_list("request_id", flat=True)) == [
        claim.approval_request_id
    ]
    assert not inbox_for(ew["staff"]).exists()  # the forwarder
    for who in ("staff_b", "staff2_b"):
        with pytest.raises(NotFound):
            approvals.request_approve(actor=ew[who], request_id=claim.approval_request_id)


def test_a_claim_beyond_the_source_share_is_refused(ew):
    with pytest.raises(Conflict) as exc:
        ew.claim("10000.01", forward=False)
    assert exc.value.code == "source_share_exceeded"


def test_the_ledger_refuses_the_second_approval_of_the_last_money(ew):
    first = ew.claim("6000.00", approve=False)
    second = ew.claim("6000.00", approve=False)
    ew.approve(first)
    with pytest.raises(Conflict) as exc:
        ew.approve(second)
    assert exc.value.code == "overdraft"
    second.refresh_from_db()
    assert second.state == ClaimState.SUBMITTED  # the decision rolled back


def test_a_source_without_money_here_is_refused_on_the_line(ew):
    other = ew.fw.source("1000.00")
    claim = services.claim_create(actor=ew["rep"], account_id=ew.account.pk, title="x")
    with pytest.raises(InvalidInput) as exc:
        services.line_add(
            actor=ew["rep"], claim_id=claim.pk, category="venue", amount="10.00",
            payee_name="甲", payee_bank="乙", payee_account_number="62220212345678",
            funding_source_id=other.pk,
        )  # fmt: skip
    assert "funding_source" in exc.value.fields


def test_vouchers_required_unless_advance(ew):
    with pytest.raises(InvalidInput) as exc:
        ew.claim(vouchers=0, forward=False)
    assert exc.value.code == "vouchers_required"
    assert ew.claim(vouchers=0, advance=True, forward=False).state == ClaimState.SUBMITTED


def test_staff_return_then_resubmit_and_reject(ew):
    claim = ew.claim(forward=False)
    services.claim_return(actor=ew["staff"], claim_id=claim.pk, reason="请补充发票")
    claim.refresh_from_db()
    assert claim.state == ClaimState.RETURNED and claim.last_reason == "请补充发票"
    services.voucher_add(actor=ew["rep"], claim_id=claim.pk, file=pdf("补充.pdf"))
    services.claim_submit(actor=ew["rep"], claim_id=claim.pk)
    services.claim_reject(actor=ew["staff"], claim_id=claim.pk, reason="不合规")
    claim.refresh_from_db()
    assert claim.state == ClaimState.REJECTED
    with pytest.raises(InvalidInput):
        services.claim_reject(actor=ew["staff"], claim_id=claim.pk, reason="")


def test_engine_return_and_rejection_release_nothing_and_set_the_state(ew):
    claim = ew.claim(approve=False)
    approvals.request_return(actor=ew["staff2"], request_id=claim.approval_request_id,
                             reason="请补充")  # fmt: skip
    claim.refresh_from_db()
    assert claim.state == ClaimState.RETURNED
    services.claim_submit(actor=ew["rep"], claim_id=claim.pk)
    services.claim_forward(actor=ew["staff"], claim_id=claim.pk)
    claim.refresh_from_db()
    approvals.request_reject(actor=ew["staff2"], request_id=claim.approval_request_id,
                             reason="不同意")  # fmt: skip
    claim.refresh_from_db()
    assert claim.state == ClaimState.REJECTED
    assert balance(ew.account).pending == Decimal("0.00")


def test_withdraw_before_forwarding_only(ew):
    claim = ew.claim(forward=False)
    services.claim_withdraw(actor=ew["rep"], claim_id=claim.pk)
    claim.refresh_from_db()
    assert claim.state == ClaimState.WITHDRAWN
    forwarded = ew.claim(approve=False)
    with pytest.raises(Conflict):
        services.claim_withdraw(actor=ew["rep"], claim_id=forwarded.pk)


def test_roles_on_claims(ew):
    with pytest.raises(NotPermitted):
        services.claim_create(actor=ew["staff"], account_id=ew.account.pk, title="x")
    claim = ew.claim(forward=False)
    with pytest.raises(NotPermitted):
        services.claim_forward(actor=ew["rep"], claim_id=claim.pk)
    # Federation B's staff do not see federation A's claims: 404.
    with pytest.raises(NotFound):
        services.claim_forward(actor=ew["staff_b"], claim_id=claim.pk)


def test_a_paid_claim_is_never_paid_twice(ew):
    claim = ew.claim()
    idem = key("payout")
    first = ew.pay(claim, ref="PAY-9", idem=idem)
    again = ew.pay(claim, ref="PAY-9", idem=idem)
    assert getattr(again, "replayed", False) and again.pk == first.pk
    with pytest.raises(Conflict) as exc:
        ew.pay(claim, ref="PAY-10", idem=key("payout"))
    assert exc.value.code == "already_paid"
    assert balance(ew.account).posted == Decimal("9000.00")


def test_a_payout_reference_is_used_once(ew):
    one, two = ew.claim("100.00"), ew.claim("200.00")
    ew.pay(one, ref="PAY-SAME")
    with pytest.raises(Conflict) as exc:
        ew.pay(two, ref="PAY-SAME")
    assert exc.value.code == "payout_reference_used"
    two.refresh_from_db()
    assert two.state == ClaimState.APPROVED
    assert balance(ew.account).posted == Decimal("9900.00")  # the refused payout moved nothing


def test_a_frozen_account_refuses_payouts_and_approvals(ew):
    claim = ew.claim()
    waiting = ew.claim("100.00", approve=False)
    services.account_freeze(actor=ew["staff"], account_id=ew.account.pk, reason="账目核查")
    with pytest.raises(Conflict) as exc:
        ew.pay(claim)
    assert exc.value.code == "account_frozen"
    with pytest.raises(Conflict):
        ew.approve(waiting)
    services.account_unfreeze(actor=ew["town_a"], account_id=ew.account.pk, reason="核查完毕")
    assert ew.pay(claim).state == ClaimState.PAID


def test_masked_account_number():
    from escrow.selectors import mask_account_number

    assert mask_account_number("6222 0212 3456 7890") == "************7890"


def test_an_overdue_advance_blocks_new_claims_until_its_vouchers_arrive(ew):
    claim = ew.claim("500.00", vouchers=0, advance=True)
    paid = ew.pay(claim)
    assert paid.vouchers_due_on == paid.paid_at.astimezone(
        datetime.timezone(datetime.timedelta(hours=8))
    ).date() + datetime.timedelta(days=ew.account.advance_voucher_days)
    assert services.claim_create(actor=ew["rep"], account_id=ew.account.pk, title="ok")
    paid.vouchers_due_on = datetime.date.today() - datetime.timedelta(days=1)
    paid.save()
    with pytest.raises(Conflict) as exc:
        services.claim_create(actor=ew["rep"], account_id=ew.account.pk, title="blocked")
    assert exc.value.code == "advances_overdue"
    assert services.remind_overdue_advances() == 3  # the representative and both staff
    assert services.remind_overdue_advances() == 0  # once a day
    services.voucher_add(actor=ew["rep"], claim_id=claim.pk, file=pdf("补交.pdf"))
    claim.refresh_from_db()
    assert claim.vouchers_received_at is not None
    assert services.claim_create(actor=ew["rep"], account_id=ew.account.pk, title="again")
