"""预算调剂 and fiscal years: adjustments through approval, closing, carrying forward."""

from decimal import Decimal

import pytest

from core.errors import Conflict, InvalidInput, NotPermitted
from funds import services
from funds.models import BudgetAdjustment, CarryForward, FundingSource
from funds.selectors import closing_report, line_available, source_available
from ledger.models import Transfer
from tests.funds.factories import YEAR


def lines_of(budget):
    return {ln.category: ln for ln in budget.lines.select_related("source")}


def test_adjustment_same_source(fw):
    source = fw.source("10000.00")
    budget = fw.budget([("elderly_care", source, "6000.00"), ("disability", source, "4000.00")])
    lines = lines_of(budget)
    adj = services.adjustment_request(
        actor=fw["town_a"], from_line_id=lines["elderly_care"].pk,
        to_line_id=lines["disability"].pk, amount="1500.00", reason="需求变化",
    )  # fmt: skip
    assert adj.state == "submitted" and line_available(lines["elderly_care"]) == Decimal("6000")
    fw.approve(adj)
    assert adj.state == "approved"
    assert line_available(lines["elderly_care"]) == Decimal("4500.00")
    assert line_available(lines["disability"]) == Decimal("5500.00")
    moved = Transfer.objects.get(kind="adjustment")
    assert moved.memo == "需求变化" and moved.source_account_id == source.money_tag_id
    # The line's history shows the adjustment.
    history = lines["disability"].history.order_by("-history_id").first()
    assert "需求变化" in history.history_change_reason
    assert history.amount == Decimal("5500.00")


def test_adjustment_across_compatible_sources_keeps_the_money_tag(fw):
    a = fw.source("1000.00")
    b = fw.source("1000.00", kind="community_welfare_subsidy", region="town_a", by="town_a")
    budget = fw.budget([("elderly_care", a, "1000.00"), ("disability", b, "1000.00")])
    lines = lines_of(budget)
    adj = services.adjustment_request(
        actor=fw["town_a"], from_line_id=lines["elderly_care"].pk,
        to_line_id=lines["disability"].pk, amount="300.00", reason="调剂",
    )  # fmt: skip
    fw.approve(adj)
    assert line_available(lines["disability"], tag_id=a.money_tag_id) == Decimal("300.00")
    assert line_available(lines["disability"]) == Decimal("1000.00")


def test_adjustment_across_incompatible_sources_is_refused(fw):
    restricted = fw.source("1000.00", allowed_categories=["elderly_care"])
    free = fw.source("1000.00", kind="community_welfare_subsidy", region="town_a", by="town_a")
    budget = fw.budget([("elderly_care", restricted, "500.00"), ("environment", free, "500.00")])
    lines = lines_of(budget)
    before = (BudgetAdjustment.objects.count(), Transfer.objects.count())
    with pytest.raises(InvalidInput) as exc:
        services.adjustment_request(
            actor=fw["town_a"], from_line_id=lines["elderly_care"].pk,
            to_line_id=lines["environment"].pk, amount="100.00", reason="调剂",
        )  # fmt: skip
    assert exc.value.code == "incompatible_sources" and "to_line" in exc.value.fields
    assert (BudgetAdjustment.objects.count(), Transfer.objects.count()) == before


def test_adjustment_bad_inputs(fw):
    source = fw.source("1000.00")
    budget = fw.budget([("elderly_care", source, "500.00"), ("disability", source, "500.00")])
    lines = lines_of(budget)
    args = {"actor": fw["town_a"], "from_line_id": lines["elderly_care"].pk,
            "to_line_id": lines["disability"].pk, "reason": "调剂"}  # fmt: skip
    for amount, code in (("1.001", "too_many_decimals"), ("0", "amount_not_positive"),
                         ("-1", "amount_not_positive")):  # fmt: skip
        with pytest.raises(InvalidInput) as exc:
            services.adjustment_request(amount=amount, **args)
        assert exc.value.code == code
    with pytest.raises(Conflict) as exc:
        services.adjustment_request(amount="500.01", **args)
    assert exc.value.code == "over_line"
    with pytest.raises(InvalidInput):
        services.adjustment_request(amount="1.00", **(args | {"reason": ""}))
    assert BudgetAdjustment.objects.count() == 0


def test_closed_year_takes_no_budget_or_adjustment_then_carries_forward(fw):
    source = fw.source("10000.00")
    budget = fw.budget([("elderly_care", source, "6000.00"), ("disability", source, "1000.00")])
    lines = lines_of(budget)
    services.fiscal_year_open(actor=fw["admin"], year=YEAR + 1, reason="新年度")
    with pytest.raises(NotPermitted):
        services.fiscal_year_close(actor=fw["county"], year=YEAR, reason="年终")
    services.fiscal_year_close(actor=fw["city"], year=YEAR, reason="年终结账")
    with pytest.raises(Conflict) as exc:
        services.budget_create(actor=fw["town_b"], region=fw.r["town_b"].pk, fiscal_year=YEAR,
                               title="x")  # fmt: skip
    assert exc.value.code == "fiscal_year_closed"
    with pytest.raises(Conflict) as exc:
        services.adjustment_request(
            actor=fw["town_a"], from_line_id=lines["elderly_care"].pk,
            to_line_id=lines["disability"].pk, amount="1.00", reason="调剂",
        )  # fmt: skip
    assert exc.value.code == "fiscal_year_closed"

    report = closing_report(source.fiscal_year, user=fw["county"])
    by_source = {r["source"]: r["unallocated"] for r in report["sources"]}
    assert by_source[source.pk] == Decimal("3000.00")
    assert report["total_unallocated"] == Decimal("10000.00")

    carry = services.carry_forward_request(actor=fw["county"], source_id=source.pk,
                                           reason="结转下年")  # fmt: skip
    assert carry.amount == Decimal("10000.00")
    with pytest.raises(Conflict):  # once per source
        services.carry_forward_request(actor=fw["county"], source_id=source.pk, reason="再结转")
    fw.approve(carry)
    new = carry.carried_into
    assert new.fiscal_year.year == YEAR + 1 and new.carried_from_id == source.pk
    assert new.money_tag_id == source.money_tag_id  # the money keeps the source it came from
    assert source_available(new) == Decimal("10000.00")
    assert source_available(source) == 0 and line_available(lines["elderly_care"]) == 0
    moved = Transfer.objects.filter(kind="carry_forward")
    assert moved.count() == 3 and all(str(YEAR) in t.memo for t in moved)
    # Next year's budget draws on the carried money.
    services_budget = services.budget_create(
        actor=fw["town_a"], region=fw.r["town_a"].pk, fiscal_year=YEAR + 1, title="下年预算"
    )
    services.line_add(actor=fw["town_a"], budget_id=services_budget.pk, category="elderly_care",
                      source_id=new.pk, amount="10000.00")  # fmt: skip
    services.budget_submit(actor=fw["town_a"], budget_id=services_budget.pk)
    fw.approve(services_budget)
    assert source_available(new) == 0


def test_carry_forward_needs_a_closed_year(fw):
    source = fw.source("100.00")
    with pytest.raises(Conflict) as exc:
        services.carry_forward_request(actor=fw["county"], source_id=source.pk, reason="x")
    assert exc.value.code == "fiscal_year_open"
    assert CarryForward.objects.count() == 0
    assert FundingSource.objects.filter(carried_from=source).count() == 0


def test_closing_waits_for_pending_budgets(fw):
    source = fw.source("100.00")
    fw.budget([("elderly_care", source, "100.00")], approve=False)
    with pytest.raises(Conflict) as exc:
        services.fiscal_year_close(actor=fw["admin"], year=YEAR, reason="年终")
    assert exc.value.code == "pending_approvals"
