"""Auditors read everything in scope and change nothing: every write method on every route
of the generated OpenAPI schema (so endpoints added later too, and routes that take no
writes at all) answers an auditor 403, whatever permission list the view declares."""

import re
import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator

WRITE_METHODS = ("post", "put", "patch", "delete")
# An auditor's own credentials are not data: it logs in and revokes its own tokens.
NOT_WRITES = {("post", "/api/v1/auth/token/"), ("delete", "/api/v1/auth/tokens/{id}/")}


def _write_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in WRITE_METHODS and (method, path) not in NOT_WRITES:
                yield method, path, operation


def _every_route_and_write_method():
    """Every path of the schema with every write method, documented for it or not."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        operation = next(iter(item.values()))
        for method in WRITE_METHODS:
            if (method, path) not in NOT_WRITES:
                yield method, path, operation


def _example(parameter) -> str:
    schema = parameter.get("schema", {})
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    if schema.get("type") == "integer" or schema.get("pattern") == "^[0-9]+$":
        return "1"  # a digits-only pattern: the route's own regex (e.g. an action's sub-id)
    return "x"


def _url(path: str, operation: dict) -> str:
    params = {p["name"]: _example(p) for p in operation.get("parameters", []) if p["in"] == "path"}
    return re.sub(r"\{(\w+)\}", lambda m: params.get(m.group(1), "1"), path)


def test_the_walk_finds_write_operations():
    assert list(_write_operations()), "no write endpoint in the schema"


@pytest.mark.parametrize("auditor", ["auditor", "auditor_town_b"])
def test_every_write_endpoint_refuses_an_auditor(client_for, users, auditor):
    client = client_for(users[auditor])
    allowed = []
    for method, path, operation in _write_operations():
        url = _url(path, operation)
        response = getattr(client, method)(url, {}, format="json")
        if response.status_code != 403:
            allowed.append(f"{method.upper()} {url} → {response.status_code}")
    assert allowed == []


@pytest.mark.parametrize("auditor", ["auditor", "auditor_town_b"])
def test_every_write_method_on_every_route_refuses_an_auditor_with_403_not_405(
    client_for, users, auditor
):
    """Regression: the audit views set their own permission_classes, which replaced the
    default list and with it the auditor rule: a POST to /audit/verify/ answered 405. The
    rule now runs from core.api.guards before any view, whatever it declares."""
    client = client_for(users[auditor])
    allowed = []
    for method, path, operation in _every_route_and_write_method():
        url = _url(path, operation)
        response = getattr(client, method)(url, {}, format="json")
        if response.status_code != 403 or response.json()["code"] != "auditor_read_only":
            allowed.append(f"{method.upper()} {url} → {response.status_code}")
    assert allowed == []


def test_the_audit_routes_are_walked():
    walked = {(m, p) for m, p, _ in _every_route_and_write_method()}
    assert ("post", "/api/v1/audit/verify/") in walked
    assert ("delete", "/api/v1/audit/history/") in walked


def test_a_view_cannot_drop_the_auditor_rule_by_its_own_permission_list(users, rf):
    from django.test import override_settings
    from django.urls import path
    from rest_framework.permissions import AllowAny
    from rest_framework.response import Response
    from rest_framework.test import APIClient
    from rest_framework.views import APIView

    class OpenView(APIView):
        permission_classes = [AllowAny]

        def post(self, request):
            return Response({"done": True})

    urlconf = type("urls", (), {"urlpatterns": [path("api/v1/open/", OpenView.as_view())]})
    client = APIClient()
    client.force_authenticate(users["auditor"])
    with override_settings(ROOT_URLCONF=urlconf):
        assert client.post("/api/v1/open/", {}, format="json").status_code == 403
        assert client.get("/api/v1/open/").status_code == 405  # reading is not refused
        client.force_authenticate(users["finance_town"])
        assert client.post("/api/v1/open/", {}, format="json").status_code == 200


def test_an_auditor_may_revoke_its_own_token(api, users):
    from access.services import token_issue

    token, key = token_issue(user=users["auditor"])
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.delete(f"/api/v1/auth/tokens/{token.pk}/").status_code == 204
    assert api.get("/api/v1/me/").status_code in (401, 403)


def test_an_auditor_who_also_holds_a_writing_role_is_not_blocked_by_the_auditor_rule(
    client_for, users, regions
):
    from access.models import Role, RoleAssignment

    user = users["auditor"]
    RoleAssignment(user=user, role=Role.FINANCE_OFFICER, region=regions["county"]).save()
    user._active_assignments = None
    from audit.permissions import AuditorsReadOnly

    class Request:
        method = "POST"

    Request.user = user
    assert AuditorsReadOnly().has_permission(Request(), None) is True
    Request.user = users["auditor_town_b"]
    assert AuditorsReadOnly().has_permission(Request(), None) is False
