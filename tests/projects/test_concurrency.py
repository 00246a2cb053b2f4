"""Real threads on PostgreSQL: two allocation approvals race for the last money of a line;
the ledger's guard lets exactly one through, and the other decision leaves nothing."""

from decimal import Decimal

import pytest

from approvals import services as approvals
from approvals.models import ApprovalRequest
from ledger.selectors import balance
from ledger.verification import verify_ledger
from projects.models import Allocation
from tests.funds.test_concurrency import run_threads

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_allocation_approvals_race_for_the_last_money_one_succeeds(pw):
    (line,) = pw.lines("10000.00")
    projects = [pw.project(title=f"项目{i}") for i in range(2)]
    allocations = [pw.allocate(p, line, "6000.00", approve=False) for p in projects]
    requests = [pw.request_for(a).pk for a in allocations]
    approver = pw["county2"]

    def approve(i):
        return approvals.request_approve(actor=approver, request_id=requests[i], reason="同意")

    outcomes = run_threads(2, approve)
    won = [o for o in outcomes if isinstance(o, ApprovalRequest)]
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert getattr(lost[0], "code", None) == "budget_insufficient", lost
    states = sorted(
        Allocation.objects.filter(pk__in=[a.pk for a in allocations]).values_list(
            "state", flat=True
        )
    )
    assert states == ["reserved", "submitted"]
    assert balance(line.account_id).available == Decimal("4000.00")
    assert verify_ledger().ok
