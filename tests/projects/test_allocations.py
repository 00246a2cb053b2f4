"""Allocations: approval reserves (pending), rejection leaves nothing, cancellation and
expiry void the reservation, money added after signing is committed at once."""

import datetime
from decimal import Decimal

from ledger.models import Transfer
from ledger.selectors import balance
from projects import services, tasks
from projects.models import Allocation

D = Decimal


def test_rejected_allocation_reserves_nothing(pw):
    (line,) = pw.lines("1000.00")
    project = pw.project()
    allocation = pw.allocate(project, line, "400.00", approve=False)
    pw.reject(allocation)
    allocation.refresh_from_db()
    assert allocation.state == "rejected" and allocation.account_id is None
    assert balance(line.account_id).available == D("1000.00")


def test_cancelling_a_project_voids_its_reservations(pw):
    (line,) = pw.lines("1000.00")
    project = pw.project()
    allocation = pw.allocate(project, line, "400.00")
    assert balance(line.account_id).available == D("600.00")
    services.project_cancel(actor=pw["town_a"], project_id=project.pk, reason="重复立项")
    allocation.refresh_from_db()
    assert allocation.state == "released"
    assert Transfer.objects.get(pk=allocation.reservation_id).state == "voided"
    assert balance(line.account_id).available == D("1000.00")


def test_expired_reservations_are_released_by_the_task_once(pw):
    (line,) = pw.lines("1000.00")
    project = pw.project()
    allocation = services.allocation_create(
        actor=pw["town_a"], project_id=project.pk, line=line.pk, amount="300.00",
        expires_on=datetime.date(2026, 4, 1),
    )  # fmt: skip
    services.allocation_submit(actor=pw["town_a"], allocation_id=allocation.pk)
    pw.approve(allocation)
    assert tasks.release_expired_allocations(today="2026-03-31") == 0
    assert tasks.release_expired_allocations(today="2026-04-02") == 1
    assert tasks.release_expired_allocations(today="2026-04-02") == 0
    allocation.refresh_from_db()
    assert allocation.state == "released"
    assert balance(line.account_id).available == D("1000.00")


def test_money_added_after_signing_is_committed_at_once(pw):
    first, second = pw.lines("1000.00", "500.00")
    project = pw.project()
    pw.allocate(project, first, "1000.00")
    pw.contract(project, "1000.00")
    extra = pw.allocate(project, second, "200.00")
    assert extra.state == "committed"
    assert balance(extra.account_id).posted == D("200.00")
    assert Allocation.objects.filter(project=project, state="committed").count() == 2
