"""Every cell of tests/api/permission_matrix.py, called for real; and no operation left out."""

from urllib.parse import urlencode

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from tests.api.conftest import ROLES
from tests.api.openapi import operations
from tests.api.permission_matrix import ALLOW, MATRIX, REQUESTS, SCOPED, Req, expected

OPERATIONS = operations()
VALUES = {ALLOW, SCOPED, 401, 403, 404}


def test_every_operation_in_the_schema_has_a_row():
    missing = sorted(op.label for op in OPERATIONS if op.key not in MATRIX)
    assert not missing, (
        f"Decide these operations' permissions in tests/api/permission_matrix.py: {missing}"
    )


def test_every_row_is_an_operation_in_the_schema():
    keys = {op.key for op in OPERATIONS}
    stale = sorted(f"{m} {p}" for m, p in MATRIX if (m, p) not in keys)
    assert not stale, f"Rows for operations that no longer exist: {stale}"


def test_every_cell_is_a_known_outcome():
    for key, row in MATRIX.items():
        assert len(row) == len(ROLES), key
        assert set(row) <= VALUES, key
        if SCOPED in row:
            assert key in REQUESTS, f"{key}: SCOPED needs an in- and an out-of-scope request"


def _call(world, op, role, req: Req):
    client = APIClient()
    if role in world.users:
        client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens[role]}")
    url = op.path.format(**req.path)
    if req.query:
        url += "?" + urlencode(req.query)
    send = getattr(client, op.method.lower())
    with transaction.atomic():
        # Each cell starts from the same world; nothing one call changes leaks to the next.
        try:
            if op.method == "GET":
                return send(url)
            return send(url, req.body or {}, format="multipart" if req.multipart else "json")
        finally:
            transaction.set_rollback(True)


def _requests(world, op, role):
    if op.key in REQUESTS:
        inside, outside = REQUESTS[op.key](world, role)
    else:
        inside, outside = Req(), None
    return inside, outside


def _check(response, want, *, label):
    status = response.status_code
    assert status < 500, (label, status)
    if want == "2xx":
        assert 200 <= status < 300, (label, status, response.content[:300])
    else:
        assert status in want, (label, status, response.content[:300])
    if status >= 400:
        assert set(response.json()) == {"code", "detail", "fields"}, label


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op.key in MATRIX], ids=lambda o: o.label)
def test_permission_matrix(world, op, subtests):
    for role, outcome in expected(op.key).items():
        with subtests.test(role=role, outcome=outcome):
            inside, outside = _requests(world, op, role)
            path_scoped = bool(op.path_params)
            if outcome == ALLOW:
                want_in, want_out = "2xx", "2xx"
            elif outcome == SCOPED:
                # Out of scope: an id in the path is 404; an id in a body is the same 400 as
                # an id that does not exist (issue 17 item 7); in a query, 403 or 404.
                want_in = "2xx"
                if path_scoped:
                    want_out = {404}
                elif outside is not None and outside.body is not None:
                    want_out = {400}
                else:
                    want_out = {403, 404}
            elif outcome == 401:
                want_in, want_out = {401}, {401}
            elif outcome == 403:
                want_in, want_out = {403}, {403, 404}
            else:
                want_in, want_out = {404}, {404}
            _check(_call(world, op, role, inside), want_in, label=f"{role} in scope")
            if outside is not None:
                _check(_call(world, op, role, outside), want_out, label=f"{role} out of scope")


def _list_ids(response) -> set:
    body = response.json()
    rows = body.get("results", body) if isinstance(body, dict) else body
    return {row.get("id") for row in rows if isinstance(row, dict)}


LIST_DETAIL = [
    (op, (op.method, op.path + "{id}/"))
    for op in OPERATIONS
    if op.method == "GET" and not op.path_params and ("GET", op.path + "{id}/") in MATRIX
]


@pytest.mark.parametrize("op,detail", LIST_DETAIL, ids=lambda v: getattr(v, "label", ""))
def test_lists_hide_what_details_hide(world, op, detail, subtests):
    """A list shows a role the objects its detail shows it, and not the others."""
    for role, outcome in expected(detail).items():
        if outcome not in (ALLOW, SCOPED) or expected(op.key)[role] != ALLOW:
            continue
        with subtests.test(role=role):
            inside, outside = REQUESTS[detail](world, role)
            response = _call(world, op, role, Req(query={"page_size": 200}))
            assert response.status_code == 200
            ids = _list_ids(response)
            assert inside.path["id"] in ids
            if outside is not None:
                hidden = outcome == SCOPED
                assert (outside.path["id"] in ids) is not hidden


def test_session_writes_need_the_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.users["federation_staff"])
    response = client.post("/api/v1/members/", {}, format="json")
    assert response.status_code == 403
    assert set(response.json()) == {"code", "detail", "fields"}
