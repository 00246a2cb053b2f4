"""Regression (issue 16, found by the end-to-end walk): federation staff could not pay an
approved expense claim in the admin (no action; only the API had `pay/`). The action asks for
the bank's payout reference, pays through `services.claim_pay` once (a key made when the
form is shown), and refuses several claims at once and a user who does not pay."""

import pytest

from escrow.models import ClaimState
from ledger.models import Transfer, TransferState
from tests.funds.test_admin import staff_client

pytestmark = pytest.mark.django_db

CLAIMS = "/admin/escrow/expenseclaim/"


def _pay(client, claim, **form):
    return client.post(CLAIMS, {"action": "pay", "_selected_action": [claim.pk], **form})


def test_staff_pay_an_approved_claim_once_with_the_bank_reference(ew):
    claim = ew.claim("300.00")
    client = staff_client(ew["staff"])
    shown = _pay(client, claim)
    assert shown.status_code == 200
    page = shown.content.decode()
    assert "支付流水号" in page and "支付报销" in page
    key = shown.context["form"].initial["request_key"]
    done = _pay(client, claim, apply="1", payout_reference="FK-ADMIN-1", reason="网银已转",
                request_key=key)  # fmt: skip
    assert done.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.PAID and claim.payout_reference == "FK-ADMIN-1"
    assert claim.paid_by == ew["staff"]
    assert claim.history.first().history_change_reason == "网银已转"
    line = claim.lines.get()
    assert Transfer.objects.get(pk=line.reservation_id).state == TransferState.POSTED
    # The same form sent again answers the paid claim and moves nothing.
    again = _pay(client, claim, apply="1", payout_reference="FK-ADMIN-1", reason="网银已转",
                 request_key=key)  # fmt: skip
    assert again.status_code == 302
    assert claim.history.count() == type(claim).history.filter(id=claim.pk).count()


def test_pay_refuses_two_claims_and_an_officer(ew):
    first, second = ew.claim("100.00"), ew.claim("200.00")
    staff = staff_client(ew["staff"])
    response = staff.post(CLAIMS, {"action": "pay", "_selected_action": [first.pk, second.pk]},
                          follow=True)  # fmt: skip
    assert "请一次支付一笔报销" in response.content.decode()
    officer = staff_client(ew["town_a"])
    response = _pay(officer, first, apply="1", payout_reference="FK-X", request_key="k-1")
    first.refresh_from_db()
    assert first.state == ClaimState.APPROVED
