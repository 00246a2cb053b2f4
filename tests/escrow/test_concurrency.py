"""Real threads on PostgreSQL: payouts and approvals racing for an account's last money."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from approvals import services as approvals
from escrow import services
from escrow.models import ClaimState, ExpenseClaim
from escrow.selectors import balance
from ledger.verification import verify_ledger
from tests.escrow.factories import key

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


def test_two_approvals_race_for_the_last_money_one_succeeds(ew):
    claims = [ew.claim("7000.00", approve=False) for _ in range(2)]
    for claim in claims:  # above ¥5,000: the staff member first, the township officer last
        ew.approve(claim, by="staff2")

    def approve(i):
        return approvals.request_approve(
            actor=ew["town_a"], request_id=claims[i].approval_request_id, reason="同意"
        )

    outcomes = run_threads(2, approve)
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert len(lost) == 1 and getattr(lost[0], "code", "") == "overdraft", outcomes
    states = sorted(ExpenseClaim.objects.filter(pk__in=[c.pk for c in claims])
                    .values_list("state", flat=True))  # fmt: skip
    assert states == [ClaimState.APPROVED, ClaimState.SUBMITTED]
    assert balance(ew.account).available == Decimal("3000.00")
    assert verify_ledger().ok


def test_two_payouts_race_for_the_last_money_one_succeeds(ew):
    """Two claims for all the money: the first approval reserves it, the payout of the
    second cannot happen; racing payouts of the same approved claim with two keys pay once."""
    claim = ew.claim("10000.00")
    refs = ["PAY-A", "PAY-B"]

    def pay(i):
        return services.claim_pay(actor=ew["staff"], claim_id=claim.pk,
                                  payout_reference=refs[i],
                                  idempotency_key=key("race"))  # fmt: skip

    outcomes = run_threads(2, pay)
    won = [o for o in outcomes if isinstance(o, ExpenseClaim)]
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert lost[0].code == "already_paid"
    b = balance(ew.account)
    assert (b.posted, b.pending) == (Decimal("0.00"), Decimal("0.00"))
    assert verify_ledger().ok


def test_a_retried_payout_with_the_same_key_pays_once(ew):
    claim = ew.claim("2500.00")
    idem = key("retry")

    def pay(i):
        return services.claim_pay(actor=ew["staff"], claim_id=claim.pk,
                                  payout_reference="PAY-R", idempotency_key=idem)  # fmt: skip

    outcomes = run_threads(3, pay)
    assert all(isinstance(o, ExpenseClaim) for o in outcomes), outcomes
    assert sum(1 for o in outcomes if getattr(o, "replayed", False)) == 2
    assert balance(ew.account).posted == Decimal("7500.00")
    assert verify_ledger().ok


def test_freeze_and_payout_race_never_pays_a_frozen_account(ew):
    claim = ew.claim("100.00")

    def step(i):
        if i == 0:
            return services.account_freeze(actor=ew["staff"], account_id=ew.account.pk,
                                           reason="核查")  # fmt: skip
        return services.claim_pay(actor=ew["staff"], claim_id=claim.pk,
                                  payout_reference="PAY-F", idempotency_key=key())  # fmt: skip

    outcomes = run_threads(2, step)
    claim.refresh_from_db()
    if isinstance(outcomes[1], Exception):
        assert outcomes[1].code == "account_frozen" and claim.state == ClaimState.APPROVED
    else:  # the payout took the account's lock first, then the freeze
        assert claim.state == ClaimState.PAID
        assert claim.paid_at < ew.account.__class__.objects.get(pk=ew.account.pk).frozen_at


def test_two_staff_approving_at_once_decide_once(ew):
    """A claim up to ¥5,000 needs one staff member: two approving together, one decides it
    (its money reserved once), the other finds it decided."""
    from access.models import Role
    from approvals.models import ApprovalDecision
    from tests.factories import make_user

    make_user("es_staff3", Role.FEDERATION_STAFF, federation=ew.r["federation_a"])
    claim = ew.claim("4000.00", approve=False)
    checkers = [ew["staff2"], type(ew["staff2"]).objects.get(username="es_staff3")]

    def approve(i):
        return approvals.request_approve(
            actor=checkers[i], request_id=claim.approval_request_id, reason="同意"
        )

    outcomes = run_threads(2, approve)
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert len(lost) == 1 and getattr(lost[0], "code", "") == "already_decided", outcomes
    assert ApprovalDecision.objects.filter(request_id=claim.approval_request_id).count() == 1
    claim.refresh_from_db()
    assert claim.state == ClaimState.APPROVED
    b = balance(ew.account)
    assert (b.pending, b.available) == (Decimal("4000.00"), Decimal("6000.00"))
    assert verify_ledger().ok
