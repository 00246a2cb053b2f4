"""Real threads on PostgreSQL: budgets compete for a source's last money through the
approval engine; the ledger's guard lets exactly one through."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from approvals import services as approvals
from approvals.models import ApprovalRequest
from funds.models import Budget
from funds.selectors import source_available
from ledger.verification import verify_ledger

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


def test_two_budgets_compete_for_the_last_10000_exactly_one_succeeds(fw):
    source = fw.source("50000.00")
    fw.budget([("disability", source, "40000.00")], region="county", by="county")
    assert source_available(source) == Decimal("10000.00")
    budgets = [
        fw.budget([("elderly_care", source, "10000.00")], region=town, approve=False)
        for town in ("town_a", "town_b")
    ]
    requests = [fw.request_for(b).pk for b in budgets]
    approver = fw["county2"]

    def approve(i):
        return approvals.request_approve(actor=approver, request_id=requests[i], reason="同意")

    outcomes = run_threads(2, approve)
    won = [o for o in outcomes if isinstance(o, ApprovalRequest)]
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert getattr(lost[0], "code", None) == "over_source", lost
    states = sorted(Budget.objects.filter(pk__in=[b.pk for b in budgets]).values_list(
        "state", flat=True))  # fmt: skip
    assert states == ["approved", "submitted"]
    assert source_available(source) == Decimal("0.00")
    # The cached balances equal what the verification recomputes from the transfers.
    assert verify_ledger().ok
