"""Auditors read everything in scope and change nothing: every write operation of the
generated OpenAPI schema (so endpoints added later too) answers an auditor 403."""

import re
import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator

WRITE_METHODS = ("post", "put", "patch", "delete")
# Logging in is not a change of data: an auditor must be able to get a token.
NOT_WRITES = {("post", "/api/v1/auth/token/")}


def _write_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in WRITE_METHODS and (method, path) not in NOT_WRITES:
                yield method, path, operation


def _example(parameter) -> str:
    schema = parameter.get("schema", {})
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    if schema.get("type") == "integer":
        return "1"
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
