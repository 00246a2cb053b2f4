"""me/, token login and its throttling, authentication required."""

import pytest
from django.test import Client


@pytest.mark.parametrize(
    "key,role,scope_kind",
    [
        ("admin", "administrator", "all"),
        ("finance_town", "finance_officer", "region"),
        ("federation_staff", "federation_staff", "federation"),
        ("org_rep", "organization_rep", "organization"),
        ("auditor", "auditor", "region"),
    ],
)
def test_me_lists_roles_and_scopes(client_for, users, key, role, scope_kind):
    body = client_for(users[key]).get("/api/v1/me/").json()
    assert body["username"] == users[key].username
    assert [(r["role"], r["scope"]["kind"]) for r in body["roles"]] == [(role, scope_kind)]


def test_me_role_names_are_chinese_by_default(client_for, users):
    body = client_for(users["auditor"]).get("/api/v1/me/").json()
    assert body["roles"][0]["role_display"] == "审计员"
    english = client_for(users["auditor"]).get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["roles"][0]["role_display"] == "Auditor"


def test_api_needs_authentication(api, users):
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert set(response.json()) == {"code", "detail", "fields"}


def test_token_login_and_use(api, users):
    response = api.post(
        "/api/v1/auth/token/", {"username": "auditor_city", "password": "pw-test-123"}
    )
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api.get("/api/v1/me/").json()["username"] == "auditor_city"


def test_token_login_refuses_unknown_fields(api, users):
    response = api.post(
        "/api/v1/auth/token/",
        {"username": "auditor_city", "password": "pw-test-123", "admin": True},
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"admin": ["未知字段。"]}


def test_repeated_failed_logins_are_throttled(api, users, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        bad = api.post("/api/v1/auth/token/", {"username": "auditor_city", "password": "no"})
        assert bad.status_code == 400
        assert bad.json()["code"] == "invalid_credentials"
    locked = api.post("/api/v1/auth/token/", {"username": "auditor_city", "password": "no"})
    assert locked.status_code == 429
    assert locked.json()["code"] == "login_locked"
    assert int(locked["Retry-After"]) > 0
    # Even the right password is refused while locked out.
    right = api.post("/api/v1/auth/token/", {"username": "auditor_city", "password": "pw-test-123"})
    assert right.status_code == 429


def test_admin_login_is_throttled_too(users, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "admin1", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "admin1", "password": "pw-test-123"})
    assert response.status_code == 429
    assert "登录" in response.content.decode()


def test_deactivated_user_cannot_log_in(api, users):
    user = users["auditor"]
    user.is_active = False
    user.save()
    response = api.post(
        "/api/v1/auth/token/", {"username": "auditor_city", "password": "pw-test-123"}
    )
    assert response.status_code == 400


def test_service_identity_cannot_log_in(api, db):
    from core.context import service_user

    user = service_user("system.celery")
    user.set_password("known-password-1")
    user.save()
    response = api.post(
        "/api/v1/auth/token/", {"username": "system.celery", "password": "known-password-1"}
    )
    assert response.status_code == 400
