"""Real threads on PostgreSQL: receipts issued at the same moment get consecutive numbers
(no gap, no duplicate); the same donation retried at once books once."""

from decimal import Decimal

import pytest

from funds.campaigns import services as crowd
from funds.campaigns.models import Donation, Receipt
from ledger.selectors import balance
from ledger.verification import verify_ledger
from tests.funds import campaign_factories as cf
from tests.funds.test_concurrency import run_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_receipts_issued_at_once_are_numbered_without_gaps_or_duplicates(fw):
    cf.setup_policies(fw)
    charity = cf.holder(fw)
    c = cf.campaign(fw, charity)
    donations = [cf.donate(fw, c, "10.00", donor_name=f"捐赠人{i}") for i in range(6)]
    officer = fw["county"]

    outcomes = run_threads(
        6, lambda i: crowd.receipt_issue(actor=officer, donation_id=donations[i].pk)
    )
    assert all(isinstance(o, Receipt) for o in outcomes), outcomes
    numbers = sorted(Receipt.objects.filter(issuer=charity).values_list("number", flat=True))
    assert numbers == [1, 2, 3, 4, 5, 6]


def test_two_receipts_for_one_donation_at_once_one_wins(fw):
    cf.setup_policies(fw)
    c = cf.campaign(fw, cf.holder(fw))
    d = cf.donate(fw, c)
    outcomes = run_threads(2, lambda i: crowd.receipt_issue(actor=fw["county"], donation_id=d.pk))
    assert sum(isinstance(o, Receipt) for o in outcomes) == 1, outcomes
    assert [getattr(o, "code", None) for o in outcomes if not isinstance(o, Receipt)] == [
        "receipt_exists"
    ]
    assert list(Receipt.objects.values_list("number", flat=True)) == [1]


def test_the_same_donation_retried_at_once_books_once(fw):
    cf.setup_policies(fw)
    c = cf.campaign(fw, cf.holder(fw))
    outcomes = run_threads(
        3, lambda i: cf.donate(fw, c, "77.00", key="same-key", channel_reference="BANK-1")
    )
    assert all(isinstance(o, Donation) for o in outcomes), outcomes
    assert len({o.pk for o in outcomes}) == 1
    assert Donation.objects.count() == 1
    assert balance(c.source.account).posted == Decimal("77.00")
    assert verify_ledger().ok
