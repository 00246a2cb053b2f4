"""The admin a newcomer meets: read-only pages without form-only fields, nothing offered for
deletion, no English sections, and error pages in Chinese inside the admin's frame."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from config.api import views
from core.audited import set_reason
from federations.models import OrganizationCategory


def _staff(user):
    user.is_staff = True
    set_reason(user, "staff").save()
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def categorised(regions):
    org = regions["org_a"]
    OrganizationCategory(organization=org, category="dance").save()
    return org


def test_read_only_organization_page(users, categorised):
    client = _staff(users["auditor"])
    page = client.get(f"/admin/federations/organization/{categorised.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Categories field" not in html and "Change reason" not in html
    assert "change_reason" not in html and ">None<" not in html
    assert str(categorised.categories.get()) in html  # the category's label


def test_nothing_audited_offers_delete(users, regions):
    client = _staff(users["admin"])
    regions_page = client.get("/admin/federations/region/").content.decode()
    assert "delete_selected" not in regions_page
    org_page = client.get(f"/admin/federations/organization/{regions['org_a'].pk}/change/")
    assert 'id="delete_id_community"' not in org_page.content.decode()
    assert client.get(f"/admin/federations/region/{regions['city'].pk}/delete/").status_code == 403


def test_no_english_or_unused_sections(users):
    html = _staff(users["admin"]).get("/admin/").content.decode()
    assert "/admin/auth/group/" not in html and "/admin/axes/" not in html
    assert "Access attempts" not in html and "Groups" not in html


def test_403_is_chinese_inside_the_admin(users):
    client = _staff(users["finance_town"])
    response = client.get(reverse("admin:audit_timeline"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Forbidden" not in html
    assert "无权访问" in html and 'id="nav-sidebar"' in html and 'href="/admin/"' in html


def test_404_and_500_are_chinese(users):
    client = _staff(users["finance_town"])
    response = client.get("/admin/federations/organization/999999999/change/")
    assert response.status_code in (302, 404)
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert (
        "页面没有找到" in missing.content.decode() and "Not Found" not in missing.content.decode()
    )
    request = RequestFactory().get("/admin/")
    error = views.server_error(request)
    assert error.status_code == 500 and "服务器错误" in error.content.decode()


def test_csrf_failure_is_chinese(users):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "CSRF" not in html and "Forbidden" not in html and "表单已过期" in html
