"""The funds API: every bad input a 4xx naming the rule with nothing written; the whole
flow through HTTP (approvals through the engine's routes); lists in fixed queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funds import services
from funds.models import Budget, BudgetAdjustment, BudgetLine, FundingSource
from ledger.models import Transfer
from tests.funds.factories import YEAR


def written():
    return (FundingSource.objects.count(), Budget.objects.count(), BudgetLine.objects.count(),
            BudgetAdjustment.objects.count(), Transfer.objects.count(),
            FundingSource.history.count())  # fmt: skip


def source_body(fw, **kw):
    return {
        "name": "社区公益事业补助资金", "kind": "community_welfare_subsidy", "fiscal_year": YEAR,
        "region": fw.r["town_a"].pk, "issuer": "文汇街道财政所",
        "document_number": "文财〔2026〕1号", "document_date": "2026-01-15",
        "appropriated_amount": "80000.00", "allowed_categories": ["elderly_care"],
    } | kw  # fmt: skip


@pytest.mark.parametrize(
    "change,status,field,code",
    [
        ({"appropriated_amount": "10.001"}, 400, "appropriated_amount", "invalid"),
        ({"appropriated_amount": "0"}, 400, "appropriated_amount", "invalid"),
        ({"appropriated_amount": "-5"}, 400, "appropriated_amount", "invalid"),
        ({"appropriated_amount": "1e3x"}, 400, "appropriated_amount", "invalid"),
        ({"kind": "fiscal_special_fund"}, 400, "kind", "kind_not_for_level"),
        ({"allowed_categories": ["bribery"]}, 400, "allowed_categories", "invalid"),
        ({"fiscal_year": 2031}, 400, "fiscal_year", "fiscal_year_unknown"),
        ({"surprise": 1}, 400, "surprise", "invalid"),
        ({"region": 10**15}, 400, "region", "unknown_object"),
    ],
)
def test_bad_source_input(fw, client_for, change, status, field, code):
    before = written()
    response = client_for(fw["town_a"]).post(
        "/api/v1/funding-sources/", source_body(fw, **change), format="json"
    )
    assert response.status_code == status, response.json()
    body = response.json()
    assert body["code"] == code
    if field:
        assert field in body["fields"]
    assert written() == before


def test_duplicate_document_number_is_409(fw, client_for):
    client = client_for(fw["town_a"])
    assert (
        client.post("/api/v1/funding-sources/", source_body(fw), format="json").status_code == 201
    )
    before = written()
    response = client.post("/api/v1/funding-sources/", source_body(fw), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_document_number"
    assert "document_number" in response.json()["fields"]
    assert written() == before


def test_the_whole_flow_over_http(fw, client_for):
    town, checker = client_for(fw["town_a"]), client_for(fw["county2"])
    src = town.post("/api/v1/funding-sources/", source_body(fw), format="json").json()
    assert src["state"] == "draft" and src["fiscal_year"] == YEAR
    submitted = town.post(f"/api/v1/funding-sources/{src['id']}/submit/", {"reason": "请审批"},
                          format="json")  # fmt: skip
    assert submitted.status_code == 201
    request_id = submitted.json()["approval_request"]
    approved = checker.post(f"/api/v1/approvals/{request_id}/approve/", {"reason": "同意"},
                            format="json")  # fmt: skip
    assert approved.status_code == 200, approved.json()
    assert town.get(f"/api/v1/funding-sources/{src['id']}/").json()["state"] == "approved"

    budget = town.post(
        "/api/v1/budgets/",
        {"region": fw.r["town_a"].pk, "fiscal_year": YEAR, "title": "文汇街道2026年度预算"},
        format="json",
    )
    assert budget.status_code == 201
    bid = budget.json()["id"]
    line = {"budget": bid, "category": "elderly_care", "source": src["id"], "amount": "50000.00"}
    first = town.post("/api/v1/budget-lines/", line, format="json")
    assert first.status_code == 201
    # Bad lines: category the source forbids; over the source; three decimals.
    for change, status, code in (
        ({"category": "environment"}, 400, "category_not_allowed"),
        ({"category": "environment", "amount": "40000.00"}, 400, "category_not_allowed"),
        ({"amount": "1.005"}, 400, "invalid"),
        ({"amount": "0"}, 400, "invalid"),
        ({"amount": "-3"}, 400, "invalid"),
    ):
        before = written()
        response = town.post("/api/v1/budget-lines/", line | change, format="json")
        assert (response.status_code, response.json()["code"]) == (status, code), response.json()
        assert written() == before
    over = town.patch(f"/api/v1/budget-lines/{first.json()['id']}/", {"amount": "80000.01"},
                      format="json")  # fmt: skip
    assert over.status_code == 409 and over.json()["code"] == "over_source"
    submitted = town.post(f"/api/v1/budgets/{bid}/submit/", {}, format="json")
    assert submitted.status_code == 201
    assert checker.post(f"/api/v1/approvals/{submitted.json()['approval_request']}/approve/",
                        {"reason": "同意"}, format="json").status_code == 200  # fmt: skip
    detail = town.get(f"/api/v1/budgets/{bid}/").json()
    assert detail["state"] == "approved" and detail["lines"][0]["account"]

    report = town.get(
        "/api/v1/reports/budget-execution/",
        {"region": fw.r["town_a"].pk, "fiscal_year": YEAR, "group_by": "line"},
    )
    assert report.status_code == 200, report.json()
    totals = report.json()["totals"]
    assert totals["appropriated"] == "80000.00" and totals["budgeted"] == "50000.00"
    assert totals["available"] == "80000.00"
    csv = town.get(
        "/api/v1/reports/budget-execution/export/",
        {"region": fw.r["town_a"].pk, "fiscal_year": YEAR, "file_type": "csv"},
    )
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    xlsx = town.get(
        "/api/v1/reports/budget-execution/export/",
        {"region": fw.r["town_a"].pk, "fiscal_year": YEAR},
    )
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")


def test_report_rules(fw, client_for):
    url = "/api/v1/reports/budget-execution/"
    q = {"region": fw.r["town_b"].pk, "fiscal_year": YEAR}
    assert client_for(fw["town_a"]).get(url, q).status_code == 404
    assert client_for(fw["staff"]).get(url, q).status_code == 403
    assert client_for(fw["auditor"]).get(url, q).status_code == 200
    bad = client_for(fw["county"]).get(url, q | {"group_by": "colour"})
    assert bad.status_code == 400 and "group_by" in bad.json()["fields"]
    community = client_for(fw["county"]).get(url, q | {"region": fw.r["comm_a1"].pk})
    assert community.status_code == 400 and "region" in community.json()["fields"]
    missing = client_for(fw["county"]).get(url, {"region": fw.r["county"].pk})
    assert missing.status_code == 400 and "fiscal_year" in missing.json()["fields"]


def test_adjustment_over_http_and_incompatible_is_400(fw, client_for):
    restricted = fw.source("1000.00", allowed_categories=["elderly_care"])
    free = fw.source("1000.00", kind="community_welfare_subsidy", region="town_a", by="town_a")
    budget = fw.budget([("elderly_care", restricted, "500.00"), ("environment", free, "500.00")])
    lines = {ln.category: ln.pk for ln in budget.lines.all()}
    client = client_for(fw["town_a"])
    before = written()
    response = client.post("/api/v1/budget-adjustments/", {
        "from_line": lines["elderly_care"], "to_line": lines["environment"], "amount": "10.00",
        "reason": "调剂"}, format="json")  # fmt: skip
    assert response.status_code == 400 and response.json()["code"] == "incompatible_sources"
    assert written() == before
    ok = client.post("/api/v1/budget-adjustments/", {
        "from_line": lines["environment"], "to_line": lines["elderly_care"], "amount": "10.00",
        "reason": "调剂"}, format="json")  # fmt: skip
    # Back the other way too: the restricted source may not pay for the free line's category.
    assert ok.status_code == 400 and ok.json()["code"] == "incompatible_sources"


def test_lists_in_fixed_queries(fw, client_for):
    client = client_for(fw["county"])
    fw.budget([("elderly_care", fw.source("100.00"), "100.00")])

    def counts():
        with CaptureQueriesContext(connection) as q:
            for url in ("/api/v1/funding-sources/", "/api/v1/budgets/", "/api/v1/budget-lines/",
                        "/api/v1/budget-adjustments/", "/api/v1/carry-forwards/",
                        "/api/v1/fiscal-years/"):  # fmt: skip
                assert client.get(url).status_code == 200
        return len(q)

    small = counts()
    fw.budget([("elderly_care", fw.source("100.00"), "100.00"),
               ("disability", fw.source("100.00"), "100.00")], region="town_b")  # fmt: skip
    fw.source("100.00")
    fw.source("100.00")
    assert counts() == small


def test_no_route_moves_another_regions_money(fw, client_for):
    """Township A's officer, on every write route, with township B's objects: 404 (or 403)
    and not a cent moves; nor can it decide B's approvals."""
    source_b = fw.source("5000.00", kind="community_welfare_subsidy", region="town_b",
                         by="town_b")  # fmt: skip
    budget_b = fw.budget([("elderly_care", source_b, "1000.00"),
                          ("disability", source_b, "1000.00")], region="town_b")  # fmt: skip
    l1, l2 = budget_b.lines.order_by("id")
    services.fiscal_year_open(actor=fw["admin"], year=YEAR + 1)
    draft_b = services.budget_create(actor=fw["town_b"], region=fw.r["town_b"].pk,
                                     fiscal_year=YEAR + 1, title="下年预算")  # fmt: skip
    pending_b = fw.source("10.00", kind="community_welfare_subsidy", region="town_b",
                          by="town_b", approve=False)  # fmt: skip
    client = client_for(fw["town_a"])
    before = written()
    calls = [
        ("post", "/api/v1/funding-sources/", source_body(fw, region=fw.r["town_b"].pk)),
        ("patch", f"/api/v1/funding-sources/{pending_b.pk}/", {"name": "x"}),
        ("post", f"/api/v1/funding-sources/{pending_b.pk}/submit/", {}),
        ("post", f"/api/v1/funding-sources/{source_b.pk}/carry-forward/", {"reason": "x"}),
        ("post", "/api/v1/budgets/", {"region": fw.r["town_b"].pk, "fiscal_year": YEAR,
                                      "title": "x"}),
        ("post", f"/api/v1/budgets/{draft_b.pk}/submit/", {}),
        ("post", "/api/v1/budget-lines/", {"budget": draft_b.pk, "category": "elderly_care",
                                           "source": source_b.pk, "amount": "1.00"}),
        ("patch", f"/api/v1/budget-lines/{l1.pk}/", {"amount": "1.00"}),
        ("delete", f"/api/v1/budget-lines/{l1.pk}/", None),
        ("post", "/api/v1/budget-adjustments/", {"from_line": l1.pk, "to_line": l2.pk,
                                                 "amount": "1.00", "reason": "x"}),
    ]  # fmt: skip
    for method, url, body in calls:
        response = getattr(client, method)(url, body, format="json")
        # an id in the path: 404; an id in the body: 400 naming it, as a missing one
        assert response.status_code in (400, 403, 404), (url, response.status_code)
    assert written() == before
    submitted = client_for(fw["town_b"]).post(f"/api/v1/funding-sources/{pending_b.pk}/submit/",
                                              {}, format="json")  # fmt: skip
    request_id = submitted.json()["approval_request"]
    decided = client.post(f"/api/v1/approvals/{request_id}/approve/", {"reason": "x"},
                          format="json")  # fmt: skip
    assert decided.status_code == 404
    assert Transfer.objects.count() == before[4]
