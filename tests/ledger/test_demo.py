"""The demo ledger loads twice without moving money twice, and verifies."""

import pytest

from ledger import demo
from ledger.models import Transfer
from ledger.selectors import balance
from ledger.verification import verify_ledger

pytestmark = pytest.mark.django_db


def test_demo_ledger_is_idempotent(regions):
    places = {"city": regions["city"], "township": regions["town_a"]}
    first = demo.load(places)
    demo.load(places)
    assert Transfer.objects.count() == 6
    assert str(balance(first["source"]).posted) == "150000.00"
    # The federation's custodial account: a deposit and one expense (the federation's
    # login sees its ledger).
    assert str(balance(first["custody"]).posted) == "7400.00"
    assert verify_ledger().ok
