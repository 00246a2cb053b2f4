"""Balances in constant time, the breakdown by source, and tracing money to its source."""

from decimal import Decimal

import pytest

from ledger.selectors import balance, balance_by_source, trace

from .factories import account, funded_source, move

pytestmark = pytest.mark.django_db
D = Decimal


def test_balance_is_one_query_whatever_the_ledger_length(django_assert_num_queries):
    src, _ = funded_source("1000.00")
    project = account()
    for _ in range(30):
        move(src, project, "1.00", src)
    with django_assert_num_queries(1):
        b = balance(project)
    assert b.posted == D("30.00")
    with django_assert_num_queries(1):
        shares = balance_by_source(project)
    assert [(s.source_account_id, s.posted) for s in shares] == [(src.pk, D("30.00"))]


def test_breakdown_by_source_sums_to_the_balance():
    src_a, treasury = funded_source("1000.00")
    src_b, _ = funded_source("1000.00", treasury_account=treasury)
    project = account()
    move(src_a, project, "120.00", src_a)
    move(src_b, project, "80.50", src_b)
    shares = balance_by_source(project)
    assert {s.source_account_id: s.posted for s in shares} == {
        src_a.pk: D("120.00"),
        src_b.pk: D("80.50"),
    }
    assert sum(s.posted for s in shares) == balance(project).posted
    assert {s.source_account_id: s.posted for s in balance_by_source(treasury)} == {
        src_a.pk: D("-1000.00"),
        src_b.pk: D("-1000.00"),
    }


def test_trace_follows_a_payment_back_to_its_funding_source():
    src, _ = funded_source("1000.00", owner_type="funds.fundingsource", owner_id=42)
    project = account("commitment")
    custody = account("custodial")
    payee = account("external")
    allocation = move(src, project, "500.00", src, kind="allocation")
    deposit = move(project, custody, "200.00", src, kind="payment")
    expense = move(custody, payee, "50.00", src, kind="expense")
    result = trace(expense)
    assert result.source_account == src
    assert (result.owner_type, result.owner_id) == ("funds.fundingsource", 42)
    assert [[t.pk for t in step] for step in result.steps] == [[deposit.pk], [allocation.pk]]
    assert result.reached_source


def test_trace_of_a_transfer_out_of_the_source_itself():
    src, _ = funded_source("1000.00")
    allocation = move(src, account(), "1.00", src)
    result = trace(allocation.pk)
    assert result.reached_source and result.steps == []
