"""The funds admin: scoped lists, drafts through the services, the execution page with
its chart, drill-down and exports."""

import pytest
from django.test import Client

from funds.models import FundingSource
from tests.funds.factories import YEAR


def staff_client(user):
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def test_lists_are_scoped(fw):
    fw.source("100.00", kind="community_welfare_subsidy", region="town_b", by="town_b")
    mine = fw.source("100.00", kind="community_welfare_subsidy", region="town_a", by="town_a")
    client = staff_client(fw["town_a"])
    for model in ("fiscalyear", "fundingsource", "budget", "budgetline", "budgetadjustment",
                  "carryforward"):  # fmt: skip
        assert client.get(f"/admin/funds/{model}/").status_code == 200, model
    page = client.get("/admin/funds/fundingsource/").content.decode()
    assert mine.name in page
    other = FundingSource.objects.exclude(pk=mine.pk).filter(region=fw.r["town_b"]).get()
    assert other.name not in page
    assert client.get(f"/admin/funds/fundingsource/{other.pk}/change/").status_code in (302, 404)


def test_add_a_source_through_the_service_and_refusals_show_as_messages(fw):
    client = staff_client(fw["town_a"])
    form = {
        "name": "后台录入的资金", "kind": "community_welfare_subsidy", "fiscal_year_number": YEAR,
        "region": fw.r["town_a"].pk, "issuer": "文汇街道财政所",
        "document_number": "文财〔2026〕9号",
        "appropriated_amount": "1000.00", "categories_field": ["elderly_care"],
        "change_reason": "录入",
    }  # fmt: skip
    response = client.post("/admin/funds/fundingsource/add/", form)
    assert response.status_code == 302, response.content[:2000]
    source = FundingSource.objects.get(name="后台录入的资金")
    assert source.allowed_categories == ["elderly_care"] and source.created_by == fw["town_a"]
    assert source.history.first().history_change_reason == "录入"
    again = client.post("/admin/funds/fundingsource/add/", form | {"name": "重复文号"}, follow=True)
    assert not FundingSource.objects.filter(name="重复文号").exists()
    assert "文财〔2026〕9号" in again.content.decode()


@pytest.mark.parametrize("who", ["county", "auditor", "admin"])
def test_execution_page_chart_drill_down_and_exports(fw, who):
    source = fw.source("100000.00")
    fw.budget([("elderly_care", source, "30000.00")])
    client = staff_client(fw[who])
    url = "/admin/funds/budget/execution/"
    page = client.get(url, {"region": fw.r["county"].pk, "fiscal_year": YEAR})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="execution-chart"' in html and fw.r["town_a"].name in html
    assert f"region={fw.r['town_a'].pk}" in html  # drill-down to the township
    town = client.get(url, {"region": fw.r["town_a"].pk, "fiscal_year": YEAR}).content.decode()
    assert "30,000.00" in town or "30000.00" in town
    csv = client.get(url, {"region": fw.r["county"].pk, "fiscal_year": YEAR, "export": "csv"})
    assert csv["Content-Type"].startswith("text/csv") and "30000.00" in csv.content.decode()
    xlsx = client.get(url, {"region": fw.r["county"].pk, "fiscal_year": YEAR, "export": "xlsx"})
    assert xlsx.content.startswith(b"PK")


def test_execution_page_refuses_out_of_scope_and_other_roles(fw):
    client = staff_client(fw["town_a"])
    page = client.get("/admin/funds/budget/execution/",
                      {"region": fw.r["town_b"].pk, "fiscal_year": YEAR})  # fmt: skip
    assert page.status_code == 200 and 'id="execution-chart"' not in page.content.decode()
    staff = staff_client(fw["staff"])
    assert staff.get("/admin/funds/budget/execution/").status_code == 403
