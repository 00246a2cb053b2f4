"""The admin speaks Chinese, shows history, and never reverts."""

from django.test import Client


def test_admin_login_is_chinese():
    html = Client().get("/admin/login/").content.decode()
    assert "社区社会组织资金管理系统" in html
    assert "用户名" in html


def test_admin_login_in_english_on_request():
    html = Client().get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Community organization fund manager" in html


def test_history_view_without_revert(users, regions):
    client = Client()
    client.force_login(users["admin"])
    region = regions["town_a"]
    response = client.get(f"/admin/federations/region/{region.pk}/history/")
    assert response.status_code == 200
    record = region.history.first()
    url = f"/admin/federations/region/{region.pk}/history/{record.history_id}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "恢复" not in page.content.decode()  # no revert button
    revert = client.post(url, {"code": region.code, "name": "reverted", "level": "township"})
    assert revert.status_code == 403
    region.refresh_from_db()
    assert region.name != "reverted"


def test_users_cannot_be_deleted_in_admin(users):
    client = Client()
    client.force_login(users["admin"])
    response = client.get(f"/admin/access/user/{users['nobody'].pk}/delete/")
    assert response.status_code == 403


def test_every_admin_page_renders(users, regions):
    """Changelist, add, change and history pages of every registered project model."""
    from django.conf import settings
    from django.contrib import admin

    client = Client()
    client.force_login(users["admin"])
    failures = []
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = users["admin"]
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in settings.PROJECT_APPS:
            continue
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        urls = [base]
        if model_admin.has_add_permission(request):  # read-only records (ledger) have none
            urls.append(base + "add/")
        obj = model._default_manager.first()
        if obj is not None:
            urls += [f"{base}{obj.pk}/change/", f"{base}{obj.pk}/history/"]
        for url in urls:
            status = client.get(url).status_code
            if status != 200:
                failures.append((url, status))
    assert failures == []


def test_user_admin_add_records_reason(users):
    client = Client()
    client.force_login(users["admin"])
    response = client.post(
        "/admin/access/user/add/",
        {
            "username": "new.officer",
            "password1": "Xy7-long-password",
            "password2": "Xy7-long-password",
            "usable_password": "true",
            "change_reason": "新任财务人员",
            "role_assignments-TOTAL_FORMS": "0",
            "role_assignments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    from access.models import User

    created = User.objects.get(username="new.officer")
    assert created.history.first().history_change_reason == "新任财务人员"
