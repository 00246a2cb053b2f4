"""The budget execution report, from the ledger, with what projects will post (allocations
reserved then committed, payments, reversals) simulated through the ledger's services."""

import uuid
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from funds import services
from funds.models import BudgetLine
from funds.reports import (
    FIGURES,
    GROUPS,
    budget_execution,
    execution_facts,
    export_csv,
    export_xlsx,
)
from ledger import services as ledger
from ledger.models import AccountKind, SourceBalance
from tests.funds.factories import YEAR
from tests.ledger.factories import system

D = Decimal
GROUPINGS = GROUPS


def commitment(name="项目承诺"):
    return ledger.open_account(actor=system(), kind=AccountKind.COMMITMENT, name=name,
                               code=f"test-commit-{uuid.uuid4().hex[:8]}")  # fmt: skip


def payee():
    return ledger.open_account(actor=system(), kind=AccountKind.EXTERNAL, name="承接方",
                               code=f"test-payee-{uuid.uuid4().hex[:8]}")  # fmt: skip


def k():
    return uuid.uuid4().hex


def world(fw):
    county_fund = fw.source("100000.00")
    town_fund = fw.source("50000.00", kind="community_welfare_subsidy", region="town_a",
                          by="town_a")  # fmt: skip
    a = fw.budget([("elderly_care", county_fund, "30000.00"),
                   ("culture_sports", town_fund, "20000.00")])  # fmt: skip
    b = fw.budget([("elderly_care", county_fund, "10000.00")], region="town_b")
    lines = {(ln.budget.region.code, ln.category): ln for ln in
             a.lines.select_related("source", "budget__region").all()
             | b.lines.select_related("source", "budget__region").all()}  # fmt: skip
    elderly_a = lines[(fw.r["town_a"].code, "elderly_care")]
    tag = county_fund.money_tag
    # Projects: allocate 12,000 (reserved, then committed at signing), pay 5,000 of it,
    # reverse a 1,000 payment; another allocation of 3,000 stays reserved.
    c1, p = commitment(), payee()
    pending = ledger.reserve(actor=system(), from_account=elderly_a.account, to_account=c1,
                             amount="12000.00", source_account=tag, kind="allocation",
                             idempotency_key=k())  # fmt: skip
    ledger.commit_pending(actor=system(), transfer=pending, idempotency_key=k())
    ledger.post_transfer(actor=system(), from_account=c1, to_account=p, amount="5000.00",
                         source_account=tag, kind="payment", idempotency_key=k())  # fmt: skip
    wrong = ledger.post_transfer(actor=system(), from_account=c1, to_account=p,
                                 amount="1000.00", source_account=tag, kind="payment",
                                 idempotency_key=k())  # fmt: skip
    ledger.reverse_transfer(actor=system(), transfer=wrong, idempotency_key=k())
    ledger.reserve(actor=system(), from_account=elderly_a.account, to_account=commitment(),
                   amount="3000.00", source_account=tag, kind="allocation",
                   idempotency_key=k())  # fmt: skip
    return county_fund, town_fund, lines


def figures(row):
    return {f: row[f] for f in FIGURES}


def test_region_drill_down_city_county_township_line(fw):
    county_fund, town_fund, lines = world(fw)
    city = budget_execution(fw.r["city"], YEAR)
    rows = {r["key"]: r for r in city["rows"]}
    county_row = rows[f"region:{fw.r['county'].pk}"]
    assert county_row["drill"]
    assert figures(county_row) == {
        "appropriated": D("150000.00"), "budgeted": D("60000.00"), "reserved": D("3000.00"),
        "committed": D("12000.00"), "paid": D("5000.00"), "carried_forward": D("0"),
        "available": D("135000.00"),
    }  # fmt: skip
    county = {r["key"]: r for r in budget_execution(fw.r["county"], YEAR)["rows"]}
    own = county[f"region:{fw.r['county'].pk}"]  # the county's own money (its source)
    assert own["appropriated"] == D("100000.00") and own["available"] == D("60000.00")
    town_a = county[f"region:{fw.r['town_a'].pk}"]
    assert figures(town_a) | {} == {
        "appropriated": D("50000.00"), "budgeted": D("50000.00"), "reserved": D("3000.00"),
        "committed": D("12000.00"), "paid": D("5000.00"), "carried_forward": D("0"),
        "available": D("65000.00"),
    }  # fmt: skip
    town = budget_execution(fw.r["town_a"], YEAR, group_by="line")
    by_line = {r["key"]: r for r in town["rows"]}
    elderly = by_line[f"line:{lines[(fw.r['town_a'].code, 'elderly_care')].pk}"]
    assert (elderly["budgeted"], elderly["reserved"], elderly["committed"], elderly["paid"],
            elderly["available"]) == (D("30000"), D("3000"), D("12000"), D("5000"),
                                      D("15000"))  # fmt: skip


def test_available_equals_the_ledgers_cached_balances(fw):
    world(fw)
    for fact in execution_facts(fw.r["city"], YEAR):
        account_id = (fact.source.account_id if fact.line_id is None
                      else lines_account(fact.line_id))  # fmt: skip
        tag = fact.source.money_tag_id
        share = SourceBalance.objects.get(account_id=account_id, source_account_id=tag)
        assert fact.figures["available"] == share.posted - share.pending, fact


def lines_account(line_id):
    return BudgetLine.objects.get(pk=line_id).account_id


def test_group_by_source_kind_source_category_and_filters(fw):
    county_fund, town_fund, lines = world(fw)
    by_kind = {r["key"]: r for r in budget_execution(fw.r["city"], YEAR,
                                                     group_by="source_kind")["rows"]}  # fmt: skip
    assert by_kind["kind:fiscal_special_fund"]["budgeted"] == D("40000.00")
    assert by_kind["kind:community_welfare_subsidy"]["budgeted"] == D("20000.00")
    by_source = {r["key"]: r for r in budget_execution(fw.r["city"], YEAR,
                                                       group_by="source")["rows"]}  # fmt: skip
    assert by_source[f"source:{county_fund.pk}"]["appropriated"] == D("100000.00")
    assert by_source[f"source:{county_fund.pk}"]["available"] == D("85000.00")
    by_cat = {r["key"]: r for r in budget_execution(fw.r["city"], YEAR,
                                                    group_by="category")["rows"]}  # fmt: skip
    assert by_cat["category:elderly_care"]["budgeted"] == D("40000.00")
    assert by_cat["category:-"]["available"] == D("90000.00")  # at the sources
    only = budget_execution(fw.r["city"], YEAR, group_by="source", category="culture_sports")
    assert only["totals"]["budgeted"] == D("20000.00") and only["totals"]["appropriated"] == 0
    kind = budget_execution(fw.r["city"], YEAR, source_kind="community_welfare_subsidy")
    assert kind["totals"]["appropriated"] == D("50000.00")
    assert kind["totals"]["budgeted"] == D("20000.00")
    one = budget_execution(fw.r["city"], YEAR, source=county_fund.pk)
    assert one["totals"]["appropriated"] == D("100000.00")
    assert one["totals"]["committed"] == D("12000.00")


def test_adjustments_and_carry_forward_in_the_report(fw):
    county_fund, town_fund, lines = world(fw)
    a = lines[(fw.r["town_a"].code, "culture_sports")]
    b = lines[(fw.r["town_a"].code, "elderly_care")]
    adj = services.adjustment_request(actor=fw["town_a"], from_line_id=a.pk, to_line_id=b.pk,
                                      amount="2000.00", reason="调剂")  # fmt: skip
    fw.approve(adj)
    rows = {r["key"]: r for r in budget_execution(fw.r["town_a"], YEAR, group_by="line")["rows"]}
    assert rows[f"line:{a.pk}"]["budgeted"] == D("18000.00")
    assert budget_execution(fw.r["town_a"], YEAR)["totals"]["budgeted"] == D("50000.00")
    services.fiscal_year_open(actor=fw["admin"], year=YEAR + 1)
    services.fiscal_year_close(actor=fw["admin"], year=YEAR, reason="年终")
    carry = services.carry_forward_request(actor=fw["town_a"], source_id=town_fund.pk,
                                           reason="结转")  # fmt: skip
    fw.approve(carry)
    old = budget_execution(fw.r["town_a"], YEAR)["totals"]
    assert old["carried_forward"] == D("50000.00") and old["available"] == D("15000.00")
    new = budget_execution(fw.r["town_a"], YEAR + 1)["totals"]
    assert new["appropriated"] == D("50000.00") and new["available"] == D("50000.00")


def test_fixed_number_of_queries_whatever_the_size(fw):
    world(fw)
    with CaptureQueriesContext(connection) as small:
        budget_execution(fw.r["city"], YEAR, group_by="line")
    more = fw.source("90000.00")
    categories = ("disability", "hardship_relief", "volunteering", "environment")
    budget = fw.budget([(c, more, "100.00") for c in categories], region="county", by="county")
    for line in budget.lines.all():
        c = commitment()
        ledger.post_transfer(actor=system(), from_account=line.account, to_account=c,
                             amount="50.00", source_account=more.money_tag,
                             kind="allocation", idempotency_key=k())  # fmt: skip
        ledger.post_transfer(actor=system(), from_account=c, to_account=payee(),
                             amount="20.00", source_account=more.money_tag, kind="payment",
                             idempotency_key=k())  # fmt: skip
    with CaptureQueriesContext(connection) as large:
        report = budget_execution(fw.r["city"], YEAR, group_by="line")
    assert report["totals"]["paid"] == D("5080.00")
    assert len(small) == len(large) <= 12, [q["sql"][:80] for q in large]


def test_files(fw):
    world(fw)
    report = budget_execution(fw.r["city"], YEAR)
    text = export_csv(report).decode("utf-8-sig")
    assert "东营区" in text and "150000.00" in text
    assert export_xlsx(report, title="预算执行").startswith(b"PK")


def test_every_grouping_sums_the_same_line_facts(fw):
    """Grouped in the database (region, category, tag) or per line, the figures agree."""
    county_fund, town_fund, lines = world(fw)
    a = lines[(fw.r["town_a"].code, "culture_sports")]
    b = lines[(fw.r["town_a"].code, "elderly_care")]
    fw.approve(services.adjustment_request(actor=fw["town_a"], from_line_id=a.pk,
                                           to_line_id=b.pk, amount="2000.00",
                                           reason="调剂"))  # fmt: skip
    facts = execution_facts(fw.r["county"], YEAR)  # one per line and tag, one per source
    by_line = budget_execution(fw.r["county"], YEAR, group_by="line")
    for group_by in GROUPINGS:
        report = budget_execution(fw.r["county"], YEAR, group_by=group_by)
        assert report["totals"] == by_line["totals"], group_by
    expected: dict = {}
    for fact in facts:
        key = fact.category if fact.line_id else None
        row = expected.setdefault(key, dict.fromkeys(FIGURES, D(0)))
        for name in FIGURES:
            row[name] += fact.figures[name]
    by_category = budget_execution(fw.r["county"], YEAR, group_by="category")["rows"]
    assert {r["category"]: figures(r) for r in by_category} == expected
    regions: dict = {}
    for fact in facts:
        child = next((c for c in (fw.r["town_a"], fw.r["town_b"])
                      if fact.region_path.startswith(c.path)), fw.r["county"])  # fmt: skip
        row = regions.setdefault(child.pk, dict.fromkeys(FIGURES, D(0)))
        for name in FIGURES:
            row[name] += fact.figures[name]
    by_region = budget_execution(fw.r["county"], YEAR)["rows"]
    assert {r["region"]: figures(r) for r in by_region} == regions


def test_the_report_reads_the_ledgers_shares_not_its_transfers(fw):
    world(fw)
    for group_by in GROUPINGS:
        with CaptureQueriesContext(connection) as queries:
            budget_execution(fw.r["city"], YEAR, group_by=group_by)
        sql = " ".join(q["sql"] for q in queries)
        assert "ledger_sourcebalance" in sql and "ledger_transfer" not in sql, group_by
