"""The Chinese admin: scoped lists, saves through the services, the target page, the import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from federations.models import Organization
from tests.federations.test_import import GOOD_ROWS, csv_bytes

BASE = "/admin/federations/organization/"


@pytest.fixture
def admin_client(users):
    client = Client()
    client.force_login(users["admin"])
    return client


@pytest.fixture
def staff_client(users):
    user = users["federation_staff"]
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def test_changelist_links_the_report_and_the_import(admin_client, regions):
    html = admin_client.get(BASE).content.decode()
    assert "发展目标进度" in html and "从登记册导入" in html
    assert "府前社区志愿服务队" in html


def test_target_page_has_a_table_and_an_svg_chart(admin_client, regions):
    page = admin_client.get(BASE + "targets/").content.decode()
    # Opened from the menu: the user's own scope (the administrator's: the city).
    assert "<form" in page and 'id="target-chart"' in page
    assert 'type="date"' in page
    html = admin_client.get(BASE + f"targets/?region={regions['city'].pk}").content.decode()
    assert 'id="target-chart"' in html and "<rect" in html and "<table" in html
    assert "城市社区平均组织数（目标≥10）" in html and "东营区" in html
    chart = html.split('id="target-chart"', 1)[1].split("</svg>")[0]
    assert "http" not in chart and "<script" not in html.split("<body", 1)[1]
    csv_export = admin_client.get(BASE + f"targets/?region={regions['city'].pk}&export=csv")
    assert csv_export["Content-Type"].startswith("text/csv")
    xlsx = admin_client.get(BASE + f"targets/?region={regions['county'].pk}&export=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_target_page_offers_only_regions_in_scope(staff_client, regions):
    html = staff_client.get(BASE + "targets/").content.decode()
    assert "文汇街道" in html and "牛庄镇" not in html
    refused = staff_client.get(BASE + f"targets/?region={regions['town_b'].pk}").content.decode()
    assert 'id="target-chart"' not in refused


def test_import_page_template_and_all_or_nothing(admin_client, regions):
    assert admin_client.get(BASE + "import/").status_code == 200
    template = admin_client.get(BASE + "import/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    assert (
        admin_client.get(BASE + "import/template.csv")
        .content.decode("utf-8-sig")
        .startswith("名称,社区代码")
    )
    before = Organization.objects.count()
    bad = admin_client.post(
        BASE + "import/",
        {
            "file": SimpleUploadedFile(
                "r.csv", csv_bytes(GOOD_ROWS[0], "坏,1,备案,,舞蹈,甲,,x,无,,")
            )
        },
    )
    html = bad.content.decode()
    assert bad.status_code == 200 and "需要更正的行" in html and "没有此代码的社区（村）" in html
    assert Organization.objects.count() == before
    good = admin_client.post(
        BASE + "import/", {"file": SimpleUploadedFile("r.csv", csv_bytes(*GOOD_ROWS))}
    )
    assert good.status_code == 302
    assert Organization.objects.count() == before + 3


def test_federation_staff_see_only_their_members(staff_client, regions):
    html = staff_client.get(BASE).content.decode()
    assert "府前社区志愿服务队" in html and "王家村舞蹈队" not in html
    assert staff_client.get(f"{BASE}{regions['org_b'].pk}/change/").status_code == 302  # not found
    members = staff_client.get("/admin/federations/membership/").content.decode()
    assert "王家村舞蹈队" not in members


def test_saving_in_the_admin_goes_through_the_service(admin_client, regions):
    org = regions["org_a"]
    response = admin_client.post(
        f"{BASE}{org.pk}/change/",
        {
            "name": org.name,
            "community": org.community_id,
            "legal_status": "filed",
            "credit_code": "",
            "founded_on": "2020-01-01",
            "categories_field": ["dance", "singing"],
            "representative_name": "张三",
            "representative_phone": "",
            "representative_id_number": "",
            "party_form": "none",
            "party_established_on": "",
            "party_ended_on": "",
            "brand_year": "",
            "change_reason": "补录信息",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    org.refresh_from_db()
    assert sorted(org.categories.values_list("category", flat=True)) == ["dance", "singing"]
    assert org.history.first().history_change_reason == "补录信息"


def test_dissolve_action(admin_client, regions):
    org = regions["org_a"]
    admin_client.post(BASE, {"action": "dissolve", "_selected_action": [org.pk]})
    org.refresh_from_db()
    assert org.state == "dissolved"
    assert org.memberships.get().left_on is not None
