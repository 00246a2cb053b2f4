"""The demo ledger loads twice without moving money twice, and verifies."""

import pytest

from ledger import demo
from ledger.models import Transfer
from ledger.selectors import balance
from ledger.verification import verify_ledger

pytestmark = pytest.mark.django_db


def test_demo_ledger_is_idempotent(regions):
    places = {"city_path": regions["city"].path, "township_path": regions["town_a"].path}
    first = demo.load(**places)
    demo.load(**places)
    assert Transfer.objects.count() == 4
    assert str(balance(first["source"]).posted) == "150000.00"
    assert verify_ledger().ok
