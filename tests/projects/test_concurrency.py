"""Real threads on PostgreSQL: two allocation approvals race for the last money of a line;
the ledger's guard lets exactly one through, and the other decision leaves nothing."""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from approvals import services as approvals
from approvals.models import ApprovalRequest
from ledger.selectors import balance
from ledger.verification import verify_ledger
from projects import services
from projects.models import Allocation, Milestone, MilestonePayment
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


def test_a_payment_request_retried_while_the_first_holds_the_lock_answers_it(pw, monkeypatch):
    """Found by bench/load.py: two requests with the same key at once; the second read "no
    payment with this key" before the first committed, waited for the milestone's lock, then
    saw the milestone being paid and answered 409 already_paid instead of the first payment."""
    (line,) = pw.lines("1000.00")
    project = pw.project()
    pw.allocate(project, line, "1000.00")
    pw.contract(project, "1000.00")
    milestone = Milestone.objects.get(project=project)
    pw.accept(milestone)
    inside, release = threading.Event(), threading.Event()
    gate = services._payment_gate

    def slow_gate(project, milestone):  # the first request pauses while holding the locks
        if not inside.is_set():
            inside.set()
            assert release.wait(60)
        return gate(project, milestone)

    monkeypatch.setattr(services, "_payment_gate", slow_gate)

    def pay(i):
        if i:
            assert inside.wait(60)
        return services.payment_request(
            actor=pw["town_a"], milestone_id=milestone.pk, idempotency_key="retried"
        )

    def let_the_first_go_once_the_second_waits():
        assert inside.wait(60)
        for _ in range(600):  # the second request waits for the milestone's row lock
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                               "'Lock' AND datname = current_database()")  # fmt: skip
                if cursor.fetchone()[0]:
                    break
            time.sleep(0.05)
        release.set()

    releaser = threading.Thread(target=let_the_first_go_once_the_second_waits)
    releaser.start()
    outcomes = run_threads(2, pay)
    releaser.join(60)
    assert all(isinstance(o, MilestonePayment) for o in outcomes), outcomes
    assert outcomes[0].pk == outcomes[1].pk and getattr(outcomes[1], "replayed", False)
    assert MilestonePayment.objects.filter(milestone=milestone).count() == 1
