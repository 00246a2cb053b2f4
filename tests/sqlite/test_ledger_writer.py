"""On SQLite (the demo) the ledger service runs its own statements where PostgreSQL calls
ledger_write: the same sequence leaves the same ledger (tests/ledger/scenario.py, also run
on PostgreSQL by tests/ledger/test_writer.py)."""

import pytest

from ledger.verification import verify_ledger
from tests.ledger import scenario

pytestmark = [pytest.mark.sqlite, pytest.mark.django_db]


def test_the_scenario_leaves_what_postgresql_leaves():
    assert scenario.run() == scenario.EXPECTED
    assert verify_ledger(seal=False, record=False).problems == []
