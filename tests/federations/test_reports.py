"""Policy-target progress (东民〔2020〕14号 二(二)) on a small seeded region, by hand.

Seeded on top of the shared tree (东营区: 文汇街道 urban a1 a2; 牛庄镇 rural b1), adding a rural
village b2 in 牛庄镇 and a third township 六户镇 with one village c1:

  a1 (urban): org_a + 11 active, 1 brand                   → 12 organizations
  a2 (urban): 9 active + 1 suspended + 1 dissolved           →  9 (inactive ones do not count)
  b1 (rural): org_b + 5 active, 1 brand                      →  6
  b2 (rural): none                                           →  0
  c1 (rural): 5 active, 1 brand                              →  5
  federations: 文汇 (1 social worker + 1 other staff: in range), 牛庄 (3 social workers
  + 1 who left: out of range), 六户 only a dissolved one (does not count).

  文汇街道: urban 21/2 = 10.50 ✔; brand 1/2 ✘; federation ✔; social workers 1/1 ✔
  牛庄镇:   rural 6/2 = 3.00 ✘; villages 1/2 ✘; brand 1/2 ✘; federation ✔; workers 0/1 ✘
  六户镇:   rural 5/1 = 5.00 ✔; villages 1/1 ✔; brand 1/1 ✔; federation 0/1 ✘; no federations
  东营区:   urban 21/2 = 10.50 ✔; rural 11/3 = 3.67 ✘; villages 2/3 ✘; brand 3/5 ✘;
            townships 2/3 ✘; federations 1/2 ✘
  东营市:   the same as 东营区 (河口区 has no townships).
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from federations.reports import target_progress
from tests.factories import make_region
from tests.federations.factories import make_federation, make_org, make_staff

ON = datetime.date(2026, 6, 1)


@pytest.fixture
def seeded(regions):
    r = regions
    b2 = make_region("370502100002", "李家村", "community", r["town_b"], "rural")
    town_c = make_region("370502101", "六户镇", "township", r["county"])
    c1 = make_region("370502101001", "刘家村", "community", town_c, "rural")
    for i in range(11):
        make_org(r["comm_a1"], f"府前{i}", is_brand=(i == 0), brand_year=2024 if i == 0 else None)
    for i in range(9):
        make_org(r["comm_a2"], f"金湖{i}")
    make_org(r["comm_a2"], "金湖暂停", state="suspended")
    make_org(r["comm_a2"], "金湖注销", state="dissolved")
    for i in range(5):
        make_org(r["comm_b1"], f"王家{i}", is_brand=(i == 0), brand_year=2025 if i == 0 else None)
    for i in range(5):
        make_org(c1, f"刘家{i}", is_brand=(i == 0), brand_year=2025 if i == 0 else None)
    make_staff(r["federation_a"], "社工甲")
    make_staff(r["federation_a"], "文员", social_worker=False)
    for name in ("社工乙", "社工丙", "社工丁"):
        make_staff(r["federation_b"], name)
    make_staff(
        r["federation_b"],
        "已离职",
        started_on=datetime.date(2020, 1, 1),
        ended_on=datetime.date(2025, 1, 1),
    )
    make_federation(town_c, "六户镇旧联合会", is_active=False)
    return {**r, "b2": b2, "town_c": town_c, "c1": c1}


def by_name(rows):
    return {row["name"]: row for row in rows}


def test_figures_per_township_county_and_city(seeded):
    rows = by_name(target_progress(seeded["city"], on=ON))
    assert list(rows) == ["东营市", "东营区", "文汇街道", "牛庄镇", "六户镇", "河口区"]

    wenhui = rows["文汇街道"]
    assert (wenhui["urban_communities"], wenhui["urban_organizations"]) == (2, 21)
    assert wenhui["urban_average"] == Decimal("10.50") and wenhui["urban_average_met"] is True
    assert wenhui["rural_average"] is None and wenhui["rural_average_met"] is None
    assert wenhui["villages_met"] is None
    assert (wenhui["communities_with_brand"], wenhui["communities"]) == (1, 2)
    assert wenhui["brand_met"] is False
    assert wenhui["federation_met"] is True
    assert (wenhui["federations_with_social_workers"], wenhui["federations"]) == (1, 1)
    assert wenhui["social_workers_met"] is True

    niuzhuang = rows["牛庄镇"]
    assert (niuzhuang["rural_communities"], niuzhuang["rural_organizations"]) == (2, 6)
    assert niuzhuang["rural_average"] == Decimal("3.00")
    assert niuzhuang["rural_average_met"] is False
    assert niuzhuang["villages_with_organization"] == 1 and niuzhuang["villages_met"] is False
    assert niuzhuang["brand_met"] is False
    assert niuzhuang["federation_met"] is True
    assert niuzhuang["federations_with_social_workers"] == 0  # three: more than two
    assert niuzhuang["social_workers_met"] is False

    liuhu = rows["六户镇"]
    assert liuhu["rural_average"] == Decimal("5.00") and liuhu["rural_average_met"] is True
    assert liuhu["villages_met"] is True and liuhu["brand_met"] is True
    assert liuhu["townships_with_federation"] == 0 and liuhu["federation_met"] is False
    assert liuhu["federations"] == 0 and liuhu["social_workers_met"] is None

    for name in ("东营区", "东营市"):
        row = rows[name]
        assert row["urban_average"] == Decimal("10.50") and row["urban_average_met"] is True
        assert (row["rural_organizations"], row["rural_communities"]) == (11, 3)
        assert row["rural_average"] == Decimal("3.67") and row["rural_average_met"] is False
        assert (row["villages_with_organization"], row["rural_communities"]) == (2, 3)
        assert (row["communities_with_brand"], row["communities"]) == (3, 5)
        assert (row["townships_with_federation"], row["townships"]) == (2, 3)
        assert (row["federations_with_social_workers"], row["federations"]) == (1, 2)
        assert row["targets_met"] == 1 and row["targets_measured"] == 6

    hekou = rows["河口区"]
    assert hekou["communities"] == 0 and hekou["targets_measured"] == 0


def test_staff_are_counted_on_the_day_asked(seeded):
    before = by_name(target_progress(seeded["town_b"], on=datetime.date(2024, 6, 1)))
    # On 2024-06-01 the one who left in 2025 still worked: four social workers.
    assert before["牛庄镇"]["federations_with_social_workers"] == 0
    early = by_name(target_progress(seeded["town_b"], on=datetime.date(2022, 6, 1)))
    assert early["牛庄镇"]["federations_with_social_workers"] == 1  # only she had started


def test_a_constant_number_of_queries(seeded, django_assert_num_queries):
    with django_assert_num_queries(4):
        target_progress(seeded["city"], on=ON)


def test_api_is_scoped_and_validated(seeded, client_for, users):
    town = client_for(users["finance_town"])
    body = town.get(f"/api/v1/reports/targets/?region={seeded['town_a'].pk}&on=2026-06-01").json()
    assert [r["name"] for r in body["rows"]] == ["文汇街道"]
    assert body["rows"][0]["urban_average"] == "10.50"
    # Out of scope: 404, as if it did not exist.
    assert town.get(f"/api/v1/reports/targets/?region={seeded['town_b'].pk}").status_code == 404
    assert town.get("/api/v1/reports/targets/").status_code == 400
    bad = town.get("/api/v1/reports/targets/?region=abc").json()
    assert bad["code"] == "invalid" and "region" in bad["fields"]
    community = town.get(f"/api/v1/reports/targets/?region={seeded['comm_a1'].pk}")
    assert community.status_code == 400
    assert (
        town.get(f"/api/v1/reports/targets/?region={seeded['town_a'].pk}&on=June").status_code
        == 400
    )


def test_api_for_the_city(seeded, client_for, users, django_assert_max_num_queries):
    client = client_for(users["auditor"])
    with django_assert_max_num_queries(8):
        body = client.get(f"/api/v1/reports/targets/?region={seeded['city'].pk}&on=2026-06-01")
    rows = by_name(body.json()["rows"])
    assert rows["东营区"]["rural_average"] == "3.67"
    assert rows["六户镇"]["federation_met"] is False


def test_csv_and_xlsx_exports(seeded, client_for, users):
    client = client_for(users["auditor"])
    url = f"/api/v1/reports/targets/export/?region={seeded['county'].pk}&on=2026-06-01"
    response = client.get(url + "&file_type=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["区划代码", "名称", "层级"]
    assert [r[1] for r in table[1:]] == ["东营区", "文汇街道", "牛庄镇", "六户镇"]
    assert table[1][table[0].index("城市社区平均组织数（目标≥10）")] == "10.50"

    xlsx = client.get(url + "&file_type=xlsx")
    assert xlsx.status_code == 200
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert ws.cell(3, 2).value == "东营区"
    assert client.get(url + "&file_type=pdf").status_code == 400
