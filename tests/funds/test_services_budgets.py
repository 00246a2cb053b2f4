"""Budgets and lines: each line a ledger account funded from its source on approval."""

from decimal import Decimal

import pytest

from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from funds import services
from funds.models import Budget, BudgetLine
from funds.selectors import line_available, source_available
from ledger.models import Transfer
from ledger.selectors import balance
from tests.funds.factories import YEAR


def written():
    return (Budget.objects.count(), BudgetLine.objects.count(), BudgetLine.history.count(),
            Transfer.objects.count())  # fmt: skip


def test_approval_moves_each_line_from_its_source(fw):
    county_fund = fw.source("100000.00")
    town_fund = fw.source("50000.00", kind="community_welfare_subsidy", region="town_a",
                          by="town_a")  # fmt: skip
    budget = fw.budget([("elderly_care", county_fund, "30000.00"),
                        ("culture_sports", town_fund, "20000.00")])  # fmt: skip
    assert budget.state == "approved"
    lines = {ln.category: ln for ln in budget.lines.select_related("source")}
    for line in lines.values():
        assert line.account.kind == "budget_line"
        moved = Transfer.objects.get(to_account=line.account)
        assert moved.kind == "budget" and moved.from_account_id == line.source.account_id
        assert moved.source_account_id == line.source.money_tag_id  # keeps its source tag
    assert line_available(lines["elderly_care"]) == Decimal("30000.00")
    assert source_available(county_fund) == Decimal("70000.00")
    assert source_available(town_fund) == Decimal("30000.00")


def test_line_over_its_source_is_refused_when_added(fw):
    source = fw.source("10000.00")
    budget = fw.budget([], submit=False)
    before = written()
    with pytest.raises(Conflict) as exc:
        services.line_add(actor=fw["town_a"], budget_id=budget.pk, category="elderly_care",
                          source_id=source.pk, amount="10000.01")  # fmt: skip
    assert exc.value.code == "over_source" and "amount" in exc.value.fields
    assert written() == before


def test_second_approval_over_the_source_is_refused_and_writes_nothing(fw):
    source = fw.source("10000.00")
    first = fw.budget([("elderly_care", source, "6000.00")], approve=False)
    second = fw.budget([("elderly_care", source, "6000.00")], region="town_b", approve=False)
    fw.approve(first)
    before = written()
    with pytest.raises(Conflict) as exc:
        fw.approve(second)
    assert exc.value.code == "over_source" and "shortfall" in exc.value.fields
    assert written() == before
    second.refresh_from_db()
    assert second.state == "submitted" and fw.request_for(second).state == "pending"
    assert source_available(source) == Decimal("4000.00")


def test_line_rules(fw):
    source = fw.source("10000.00", allowed_categories=["elderly_care"])
    budget = fw.budget([], submit=False)

    def add(**kw):
        args = {"category": "elderly_care", "source_id": source.pk, "amount": "10.00"} | kw
        return services.line_add(actor=fw["town_a"], budget_id=budget.pk, **args)

    with pytest.raises(InvalidInput) as exc:
        add(category="environment")
    assert exc.value.code == "category_not_allowed"
    for bad in ("0.001", "0", "-1"):
        with pytest.raises(InvalidInput):
            add(amount=bad)
    other_county = fw.source(
        "100.00", region="other_county", by="other_county", approver="other_county2"
    )
    with pytest.raises(InvalidInput) as exc:  # town_a's officer does not even see it
        add(source_id=other_county.pk)
    assert exc.value.code == "unknown_object" and "source" in exc.value.fields
    unapproved = fw.source("100.00", approve=False)
    with pytest.raises(Conflict) as exc:
        add(source_id=unapproved.pk)
    assert exc.value.code == "source_not_approved"
    add()
    with pytest.raises(Conflict) as exc:
        add()
    assert exc.value.code == "line_exists"


def test_township_budget_on_county_money_is_decided_at_the_county(fw):
    source = fw.source("10000.00")
    budget = fw.budget([("elderly_care", source, "100.00")], approve=False)
    request = fw.request_for(budget)
    assert request.scope_region_id == fw.r["county"].pk
    with pytest.raises(NotFound):  # another township's officer cannot even see it
        fw.approve(budget, by="town_b")


def test_budgets_only_for_counties_and_townships_one_per_year(fw):
    with pytest.raises(InvalidInput) as exc:
        services.budget_create(actor=fw["city"], region=fw.r["city"].pk, fiscal_year=YEAR,
                               title="市本级")  # fmt: skip
    assert exc.value.code == "budget_level"
    fw.budget([], submit=False)
    with pytest.raises(Conflict) as exc:
        fw.budget([], submit=False)
    assert exc.value.code == "budget_exists"


def test_no_one_moves_another_regions_money(fw):
    source_b = fw.source("1000.00", kind="community_welfare_subsidy", region="town_b",
                         by="town_b")  # fmt: skip
    budget_b = fw.budget([("elderly_care", source_b, "500.00")], region="town_b")
    line_b = budget_b.lines.get()
    before = written()
    with pytest.raises(InvalidInput):
        services.budget_create(actor=fw["town_a"], region=fw.r["town_b"].pk, fiscal_year=YEAR,
                               title="x")  # fmt: skip
    with pytest.raises(NotFound):
        services.line_update(actor=fw["town_a"], line_id=line_b.pk, amount="1.00")
    with pytest.raises(InvalidInput):
        services.adjustment_request(actor=fw["town_a"], from_line_id=line_b.pk,
                                    to_line_id=line_b.pk, amount="1.00", reason="x")  # fmt: skip
    with pytest.raises(NotFound):
        services.source_submit(actor=fw["town_a"], source_id=source_b.pk)
    with pytest.raises(NotFound):
        services.carry_forward_request(actor=fw["town_a"], source_id=source_b.pk, reason="x")
    with pytest.raises(NotPermitted):
        services.budget_create(actor=fw["auditor"], region=fw.r["town_b"].pk, fiscal_year=YEAR,
                               title="x")  # fmt: skip
    assert written() == before


def test_draft_lines_change_approved_ones_do_not(fw):
    source = fw.source("10000.00")
    budget = fw.budget([("elderly_care", source, "100.00")], submit=False)
    line = budget.lines.get()
    services.line_update(actor=fw["town_a"], line_id=line.pk, amount="200.00", reason="更正")
    line.refresh_from_db()
    assert line.amount == Decimal("200.00")
    services.budget_submit(actor=fw["town_a"], budget_id=budget.pk)
    with pytest.raises(Conflict) as exc:
        services.line_update(actor=fw["town_a"], line_id=line.pk, amount="300.00")
    assert exc.value.code == "budget_not_draft"


def test_returned_budget_is_a_draft_again_rejected_moves_nothing(fw):
    from approvals import services as approvals

    source = fw.source("10000.00")
    budget = fw.budget([("elderly_care", source, "100.00")], approve=False)
    approvals.request_return(actor=fw["county2"], request_id=fw.request_for(budget).pk,
                             reason="补充说明")  # fmt: skip
    budget.refresh_from_db()
    assert budget.state == "draft"
    services.budget_submit(actor=fw["town_a"], budget_id=budget.pk)
    transfers = Transfer.objects.count()
    fw.reject(budget)
    assert budget.state == "rejected" and Transfer.objects.count() == transfers
    assert balance(source.account).posted == Decimal("10000.00")


def test_empty_budget_is_not_submitted(fw):
    budget = fw.budget([], submit=False)
    with pytest.raises(InvalidInput) as exc:
        services.budget_submit(actor=fw["town_a"], budget_id=budget.pk)
    assert exc.value.code == "budget_empty"
