"""A full lifecycle: a matched need becomes a project funded by three sources, contracted,
accepted, paid milestone by milestone, evaluated and closed, every balance asserted to the
fen (lines, commitments, payee), and the ledger verifies."""

import datetime
from decimal import Decimal

from ledger.selectors import balance
from ledger.verification import verify_ledger
from projects import services
from projects.models import (
    Allocation,
    Milestone,
    MilestonePaymentPart,
    Project,
    ProjectTransition,
)
from tests.projects.factories import YEAR

D = Decimal


def test_matched_need_to_closed_project_every_balance_to_the_fen(pw):
    l1, l2, l3 = pw.lines("10000.00", "20000.00", "30000.00")
    need = services.demand_create(
        actor=pw["town_a"], community=pw.r["comm_a1"].pk, title="独居老人助餐",
        category="elderly_care", beneficiary_count=40, priority="high",
    )  # fmt: skip
    offer = services.offer_create(
        actor=pw["rep"], organization=pw.o["legal"].pk, title="助餐服务", category="elderly_care",
        area=pw.r["town_a"].pk, price_min="10000.00", price_max="60000.00",
    )  # fmt: skip
    project = services.project_propose_from_match(
        actor=pw["town_a"], demand_id=need.pk, offer_id=offer.pk, purchaser=pw.r["town_a"].pk,
        catalogue_code="A0501", fiscal_year=YEAR, budget_amount="60000.00",
    )  # fmt: skip
    need.refresh_from_db()
    assert need.state == "matched" and project.undertaker_id == pw.o["legal"].pk
    services.project_submit(actor=pw["town_a"], project_id=project.pk)
    pw.approve(project)
    a1 = pw.allocate(project, l1, "10000.00")
    a2 = pw.allocate(project, l2, "20000.00")
    a3 = pw.allocate(project, l3, "30000.00")
    for line, allocation in ((l1, a1), (l2, a2), (l3, a3)):
        assert allocation.state == "reserved"
        assert balance(line.account_id).available == D("0.00")
        assert balance(allocation.account_id).receivable == allocation.amount
    # price 59,999.99: one fen of the reservation is never spent
    pw.contract(project, "59999.99", shares=["20000.00", "20000.00", "19999.99"])
    project.refresh_from_db()
    assert project.state == "contracted"
    for allocation in (a1, a2, a3):
        allocation.refresh_from_db()
        assert allocation.state == "committed"
        assert balance(allocation.account_id).posted == allocation.amount
    services.project_start(actor=pw["rep"], project_id=project.pk)
    milestones = list(Milestone.objects.filter(project=project).order_by("number"))
    payee = None
    for milestone in milestones:
        pw.accept(milestone)
        payment = pw.pay(milestone)
        assert payment.state == "paid"
        parts = list(MilestonePaymentPart.objects.filter(payment=payment).order_by("id"))
        assert len(parts) == 3
        assert sum(p.amount for p in parts) == milestone.amount
        payee = payment.payee_account_id
    # 20000 split 1:2:3 → 3333.33, 6666.66, 10000.01 (remainder fen to the largest)
    first = MilestonePaymentPart.objects.filter(payment__milestone=milestones[0]).order_by("id")
    assert [p.amount for p in first] == [D("3333.33"), D("6666.66"), D("10000.01")]
    assert balance(payee).posted == D("59999.99")
    services.project_deliver(actor=pw["rep"], project_id=project.pk)
    services.project_accept(actor=pw["town_a"], project_id=project.pk)
    services.evaluation_record(
        actor=pw["town_a"], project_id=project.pk, evaluator_kind="purchaser",
        evaluator_name="文汇街道", evaluated_on=datetime.date(YEAR, 12, 20),
        criteria=[{"name": "服务质量", "weight": 60, "score": 90},
                  {"name": "群众满意度", "weight": 40, "score": 85}],
    )  # fmt: skip
    services.project_close(actor=pw["town_a"], project_id=project.pk, reason="结项")
    project.refresh_from_db()
    assert project.state == "closed"
    # paid per allocation: 3333.33+3333.33+3333.33 = 9999.99 → 0.01 back to l1; others exact
    returned = {a.pk: a.returned for a in Allocation.objects.filter(project=project)}
    assert sum(returned.values()) == D("0.01")
    for allocation in Allocation.objects.filter(project=project):
        assert allocation.state == "closed"
        assert balance(allocation.account_id).posted == D("0.00")
    total_line = sum((balance(line.account_id).available for line in (l1, l2, l3)), D("0"))
    assert total_line == D("0.01")
    assert list(
        ProjectTransition.objects.filter(project=project).values_list("to_state", flat=True)
    ) == ["submitted", "approved", "contracted", "in_progress", "delivered", "accepted", "closed"]
    assert Project.history.filter(id=project.pk).count() >= 7
    result = verify_ledger()
    assert result.ok, result
