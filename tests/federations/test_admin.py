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


def test_a_change_passes_only_the_fields_changed(admin_client, regions, monkeypatch):
    """The service gets the fields the form changed, not the whole instance: a field the
    form did not change is never written back from it."""
    from federations import admin as federations_admin

    org = regions["org_a"]
    org.founded_on = "2020-01-01"
    org.representative_name = "张三"
    org.save()
    calls = []
    real = federations_admin.organization_update

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(federations_admin, "organization_update", spy)
    response = admin_client.post(
        f"{BASE}{org.pk}/change/",
        {
            "name": "改名的服务队",
            "community": org.community_id,
            "legal_status": "filed",
            "credit_code": "",
            "founded_on": "2020-01-01",
            "categories_field": [],
            "representative_name": "张三",
            "representative_phone": "",
            "representative_id_number": "",
            "party_form": "none",
            "party_established_on": "",
            "party_ended_on": "",
            "brand_year": "",
            "change_reason": "更名",
        },
    )
    assert response.status_code == 200  # no category: the form refuses it
    assert calls == []
    response = admin_client.post(
        f"{BASE}{org.pk}/change/",
        {
            "name": "改名的服务队",
            "community": org.community_id,
            "legal_status": "filed",
            "credit_code": "",
            "founded_on": "2020-01-01",
            "categories_field": ["volunteering"],
            "representative_name": "张三",
            "representative_phone": "",
            "representative_id_number": "",
            "party_form": "none",
            "party_established_on": "",
            "party_ended_on": "",
            "brand_year": "",
            "change_reason": "更名",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert [sorted(c) for c in calls] == [
        ["actor", "categories", "name", "organization_id", "reason"]
    ]
    org.refresh_from_db()
    assert org.name == "改名的服务队"
    assert org.history.first().history_change_reason == "更名"


def test_a_rule_the_service_refuses_shows_on_the_form(admin_client, regions):
    """No server error: the page comes back with the reason and what was typed."""
    response = admin_client.post(
        f"{BASE}add/",
        {
            "name": "府前社区志愿服务队",  # taken in that community
            "community": regions["comm_a1"].pk,
            "legal_status": "filed",
            "credit_code": "",
            "founded_on": "2020-01-01",
            "categories_field": ["dance"],
            "representative_name": "王五",
            "party_form": "none",
            "change_reason": "登记",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "该社区已登记同名组织" in html and "王五" in html
    assert Organization.objects.filter(name="府前社区志愿服务队").count() == 1


def test_staff_and_members_are_added_and_changed_through_the_services(staff_client, regions):
    from federations.models import FederationStaff, Membership
    from tests.federations.factories import make_org

    fed = regions["federation_a"]
    added = staff_client.post(
        "/admin/federations/federationstaff/add/",
        {
            "federation": fed.pk,
            "name": "后台社工",
            "phone": "",
            "is_social_worker": "on",
            "started_on": "2025-01-01",
            "ended_on": "",
            "change_reason": "入职",
        },
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    worker = FederationStaff.objects.get(name="后台社工")
    assert worker.history.get().history_change_reason == "入职"
    elsewhere = staff_client.post(
        "/admin/federations/federationstaff/add/",
        {
            "federation": regions["federation_b"].pk,
            "name": "别处社工",
            "started_on": "2025-01-01",
        },
    )
    assert elsewhere.status_code == 200  # not a choice for this user
    assert not FederationStaff.objects.filter(name="别处社工").exists()
    loose = make_org(regions["comm_a2"], "后台新会员")
    joined = staff_client.post(
        "/admin/federations/membership/add/",
        {
            "federation": fed.pk,
            "organization": loose.pk,
            "joined_on": "2025-03-01",
            "left_on": "",
            "change_reason": "入会",
        },
    )
    assert joined.status_code == 302, joined.content.decode()[:2000]
    membership = Membership.objects.get(organization=loose)
    left = staff_client.post(
        f"/admin/federations/membership/{membership.pk}/change/",
        {
            "federation": fed.pk,
            "organization": loose.pk,
            "joined_on": "2025-03-01",
            "left_on": "2025-06-01",
            "change_reason": "退会",
        },
    )
    assert left.status_code == 302, left.content.decode()[:2000]
    membership.refresh_from_db()
    assert membership.left_on.isoformat() == "2025-06-01"
    assert membership.history.first().history_change_reason == "退会"


def test_federation_change_in_the_admin(admin_client, regions):
    fed = regions["federation_a"]
    response = admin_client.post(
        f"/admin/federations/federation/{fed.pk}/change/",
        {
            "name": fed.name,
            "kind": fed.kind,
            "township": fed.township_id,
            "credit_code": fed.credit_code,
            "registered_on": "",
            "head_name": "新会长",
            "head_approval_reference": "",
            "is_active": "on",
            "change_reason": "换届",
            "staff-TOTAL_FORMS": "0",
            "staff-INITIAL_FORMS": "0",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    fed.refresh_from_db()
    assert fed.head_name == "新会长"
    assert fed.history.first().history_change_reason == "换届"
