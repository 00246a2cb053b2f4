"""Bounds on what one API request may send, and the per-user rate limit.

Every bound answers in the common error shape: 413 past a body or upload bound, 400 past
the query-string or page-size bound, 429 with Retry-After past the rate.
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import resolve

from core.api.pagination import CursorPagination, PageNumberPagination
from core.api.throttles import UserRateThrottle
from tests.api.openapi import operations, schema_dict

SHAPE = {"code", "detail", "fields"}
OPERATIONS = operations()
WITH_BODY = [op for op in OPERATIONS if "requestBody" in op.spec()]


def _concrete(op) -> str:
    """The operation's path with every parameter filled (the bounds apply before any lookup)."""
    values = {}
    for parameter in op.spec().get("parameters", []):
        if parameter["in"] == "path":
            uuid = parameter["schema"].get("format") == "uuid"
            values[parameter["name"]] = "00000000-0000-0000-0000-000000000001" if uuid else "1"
    return op.path.format(**values)


def _assert_shape(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == SHAPE
    assert body["code"] == code
    return body


@pytest.fixture
def admin_client(client_for, world):
    return client_for(world.users["administrator"])


# Query string -----------------------------------------------------------------------------


@override_settings(API_MAX_QUERY_STRING=100)
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.label)
def test_every_operation_refuses_an_over_long_query_string(api, op):
    # Refused before authentication, so before anything else is read.
    url = _concrete(op) + "?name=" + "x" * 100
    response = api.generic(op.method, url)
    _assert_shape(response, 400, "query_too_long")


@override_settings(API_MAX_QUERY_STRING=100)
def test_a_query_string_at_the_bound_is_served(admin_client):
    query = "name=" + "x" * 95
    assert len(query) == 100
    assert admin_client.get("/api/v1/regions/?" + query).status_code == 200
    response = admin_client.get("/api/v1/regions/?" + query + "x", HTTP_ACCEPT_LANGUAGE="en")
    body = _assert_shape(response, 400, "query_too_long")
    assert "100" in body["detail"]


def test_the_default_query_string_bound_is_2048(settings):
    assert settings.API_MAX_QUERY_STRING == 2048


def test_too_many_query_fields_is_400_in_shape(admin_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = admin_client.get("/api/v1/regions/?" + "&".join(f"f{i}=1" for i in range(20)))
    _assert_shape(response, 400, "too_many_fields")


# Request body -----------------------------------------------------------------------------


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
@pytest.mark.parametrize("op", WITH_BODY, ids=lambda op: op.label)
def test_every_operation_with_a_body_refuses_one_past_the_bound(api, op):
    body = json.dumps({"padding": "x" * 2048})
    response = api.generic(op.method, _concrete(op), data=body, content_type="application/json")
    _assert_shape(response, 413, "request_too_large")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_json_body_at_the_bound_is_read(api, world):
    body = json.dumps({"username": "api_admin", "password": "wrong"})
    body += " " * (1024 - len(body))  # JSON allows trailing white space
    assert len(body) == 1024
    response = api.post("/api/v1/auth/token/", data=body, content_type="application/json")
    assert response.status_code == 400  # read and refused on its merits, not its size
    assert response.json()["code"] == "invalid_credentials"
    response = api.post("/api/v1/auth/token/", data=body + " ", content_type="application/json")
    _assert_shape(response, 413, "request_too_large")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_form_body_past_the_bound_is_413(api, db):
    response = api.post(
        "/api/v1/auth/token/",
        data="username=" + "x" * 2048 + "&password=y",
        content_type="application/x-www-form-urlencoded",
    )
    _assert_shape(response, 413, "request_too_large")


def test_a_body_with_a_bad_content_length_is_400(api, db):
    response = api.post(
        "/api/v1/auth/token/", data="{}", content_type="application/json", CONTENT_LENGTH="-5"
    )
    _assert_shape(response, 400, "bad_content_length")


def test_the_default_body_bound_is_2_mib(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2 * 1024 * 1024


# JSON nesting -----------------------------------------------------------------------------


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("op", WITH_BODY, ids=lambda op: op.label)
def test_every_operation_with_a_body_refuses_json_nested_1000_deep(api, op):
    """Regression: 2 KB of JSON nested 1,000 deep raised RecursionError in the parser, a
    500, on every JSON endpoint (the unauthenticated token login included)."""
    body = '{"name": ' + _nested(1000) + "}"
    response = api.generic(op.method, _concrete(op), data=body, content_type="application/json")
    _assert_shape(response, 400, "json_too_deep")


def test_json_nesting_is_bounded_before_authentication(api, db):
    response = api.post(
        "/api/v1/auth/token/",
        data=_nested(1000),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    body = _assert_shape(response, 400, "json_too_deep")
    assert "at most 32 levels" in body["detail"]


@override_settings(API_MAX_JSON_DEPTH=5)
def test_json_at_the_depth_bound_is_parsed(api, db):
    at_bound = json.dumps({"username": [[[["x"]]]], "password": "y"})  # 5 deep
    response = api.post("/api/v1/auth/token/", data=at_bound, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"  # read, and refused on its merits
    past = json.dumps({"username": [[[[["x"]]]]], "password": "y"})
    response = api.post("/api/v1/auth/token/", data=past, content_type="application/json")
    _assert_shape(response, 400, "json_too_deep")


@override_settings(API_MAX_JSON_DEPTH=2)
def test_brackets_inside_json_strings_are_text(api, db):
    body = json.dumps({"username": '[[[{{{"\\' + "[" * 50, "password": "]]]" * 20})
    response = api.post("/api/v1/auth/token/", data=body, content_type="application/json")
    assert response.json()["code"] == "invalid_credentials"


@override_settings(API_MAX_JSON_DEPTH=3)
def test_json_media_types_with_a_suffix_are_bounded_too(api, db):
    response = api.post(
        "/api/v1/auth/token/", data=_nested(10), content_type="application/merge-patch+json"
    )
    _assert_shape(response, 400, "json_too_deep")


def test_the_depth_scan_reads_wide_bodies_without_refusing_them():
    from core.api.limits import json_depth_exceeds

    wide = json.dumps([{"a": [1, 2, {"b": "}]"}]} for _ in range(50_000)]).encode()
    assert not json_depth_exceeds(wide, 4)  # [ { [ {
    assert json_depth_exceeds(wide, 3)
    assert not json_depth_exceeds(b'"[[[[[["', 1)
    assert not json_depth_exceeds(b"[[[", 3)  # malformed: left to the parser


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max([_depth(v) for v in value] or [0])
    if isinstance(value, dict):
        return 1 + max([_depth(v) for v in value.values()] or [0])
    return 0


def _random_json(rng, depth):
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(["[x]", "\\", '"', "{}", 1, None, 'a\\"b]', "}{"])
    if rng.random() < 0.5:
        return [_random_json(rng, depth - 1) for _ in range(rng.randint(0, 3))]
    return {f"{i}[{{": _random_json(rng, depth - 1) for i in range(rng.randint(0, 3))}


def test_the_depth_scan_agrees_with_the_parsed_depth():
    import random

    from core.api.limits import json_depth_exceeds

    rng = random.Random(17)
    for _ in range(1000):
        value = _random_json(rng, rng.randint(0, 8))
        body, depth = json.dumps(value).encode(), _depth(value)
        for limit in range(9):
            assert json_depth_exceeds(body, limit) == (depth > limit), (body, limit)


@pytest.mark.parametrize(
    "body",
    [b"[" * 10**6 + b"]" * 10**6, b"[0,[]," * 10**5 + b"]" * 10**5, b'[{"a":' * 10**5],
    ids=["runs", "interleaved", "unclosed"],
)
def test_deep_bodies_of_every_shape_are_caught(body):
    from core.api.limits import json_depth_exceeds

    assert json_depth_exceeds(body, 32)


def test_the_default_json_depth_bound_is_32(settings):
    assert settings.API_MAX_JSON_DEPTH == 32


# Uploads (multipart) ----------------------------------------------------------------------


@override_settings(API_MAX_UPLOAD_SIZE=10 * 1024)
def test_an_upload_past_the_bound_is_413(api, db):
    upload = SimpleUploadedFile("scan.pdf", b"%PDF" + b"0" * 20 * 1024, "application/pdf")
    response = api.post(
        "/api/v1/auth/token/",
        {"username": "x", "password": "y", "file": upload},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    body = _assert_shape(response, 413, "upload_too_large")
    assert "10 KiB" in body["detail"]


@override_settings(API_MAX_UPLOAD_SIZE=10 * 1024)
def test_an_upload_under_the_bound_is_read(api, db):
    upload = SimpleUploadedFile("scan.pdf", b"%PDF" + b"0" * 1024, "application/pdf")
    response = api.post(
        "/api/v1/auth/token/",
        {"username": "x", "password": "y", "file": upload},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"file": [response.json()["fields"]["file"][0]]}


def test_the_default_upload_bound_is_10_mib(settings):
    assert settings.API_MAX_UPLOAD_SIZE == 10 * 1024 * 1024


def test_bounds_do_not_touch_pages_outside_the_api(client, db, settings):
    settings.API_MAX_QUERY_STRING = 10
    response = client.get("/admin/login/?next=" + "x" * 50)
    assert response.status_code == 200


# Page size --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-1", "201", "abc", "1.5", "99999999999999999999"])
def test_page_size_outside_its_bounds_is_400_naming_it(admin_client, value):
    response = admin_client.get(f"/api/v1/regions/?page_size={value}")
    body = _assert_shape(response, 400, "invalid")
    assert "page_size" in body["fields"]


@pytest.mark.parametrize("value", ["1", "200", ""])
def test_page_size_within_its_bounds_is_served(admin_client, value):
    from federations.models import Region

    response = admin_client.get(f"/api/v1/regions/?page_size={value}")
    assert response.status_code == 200
    expected = min(int(value or 50), Region.objects.count())
    assert len(response.json()["results"]) == expected


def test_every_page_size_parameter_declares_its_bounds():
    unbounded = []
    for op in OPERATIONS:
        for parameter in op.spec().get("parameters", []):
            if parameter["name"] == "page_size":
                schema = parameter["schema"]
                if schema.get("minimum") != 1 or not schema.get("maximum"):
                    unbounded.append(op.label)
    assert not unbounded


def test_cursor_pages_are_bounded_too(rf):
    from rest_framework.exceptions import ValidationError
    from rest_framework.request import Request

    paginator = CursorPagination()
    with pytest.raises(ValidationError):
        paginator.get_page_size(Request(rf.get("/", {"page_size": "501"})))
    assert paginator.get_page_size(Request(rf.get("/", {"page_size": "500"}))) == 500
    assert paginator.get_page_size(Request(rf.get("/"))) == 100


# Rate limit -------------------------------------------------------------------------------


def _rate(value):
    from django.conf import settings

    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": value}}
    )


def test_requests_past_the_rate_are_429_with_retry_after(client_for, world):
    client = client_for(world.users["auditor"])
    with _rate("3/min"):
        statuses = [client.get("/api/v1/me/").status_code for _ in range(3)]
        response = client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
        assert statuses == [200, 200, 200]
        _assert_shape(response, 429, "throttled")
        assert 1 <= int(response["Retry-After"]) <= 60
        # Per user: another user still gets through.
        assert client_for(world.users["finance_town"]).get("/api/v1/me/").status_code == 200


def test_the_rate_is_per_user_across_token_and_session(api, client, world):
    user = world.users["federation_staff"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens['federation_staff']}")
    client.force_login(user)
    with _rate("2/min"):
        assert api.get("/api/v1/regions/").status_code == 200
        assert client.get("/api/v1/regions/").status_code == 200
        assert api.get("/api/v1/regions/").status_code == 429
        assert client.get("/api/v1/regions/").status_code == 429


def test_anonymous_requests_are_rate_limited_by_address(api, db):
    # (DRF checks permissions first: an anonymous request to a closed endpoint is a cheap 403.)
    # A quick public endpoint: the schema took over 20 s to build on a busy machine, so three
    # of its requests no longer fell within one minute.
    url = "/api/v1/reports/project-disclosure/?fiscal_year=2026"
    with _rate("2/min"):
        statuses = [api.get(url).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_the_default_rate_comes_from_the_environment():
    from config.settings import base

    assert base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["user"] == "1200/min"
    assert base.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == [
        "core.api.throttles.UserRateThrottle"
    ]


# Names the views that may opt out of the per-user rate and why.
NOT_RATE_LIMITED = {
    ("POST", "/api/v1/auth/token/"): "failed logins are throttled by django-axes instead",
}


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.label)
def test_every_operation_is_rate_limited(op):
    match = resolve(_concrete(op))
    view_class = match.func.cls
    view = view_class(**getattr(match.func, "initkwargs", {}))
    throttles = [type(t) for t in view.get_throttles()]
    if op.key in NOT_RATE_LIMITED:
        return
    assert any(issubclass(t, UserRateThrottle) for t in throttles), (op.label, throttles)


def test_429_documents_retry_after():
    for path_item in schema_dict()["paths"].values():
        for operation in path_item.values():
            assert "Retry-After" in operation["responses"]["429"]["headers"]


@override_settings(API_MAX_QUERY_STRING=10, DATA_UPLOAD_MAX_MEMORY_SIZE=10)
def test_limit_messages_are_chinese_by_default(api, db):
    assert "查询字符串过长" in api.get("/api/v1/me/?q=" + "x" * 20).json()["detail"]
    body = api.post("/api/v1/auth/token/", {"username": "x" * 20, "password": "y"}).json()
    assert body["detail"].startswith("请求内容过大")
    assert "须为 1 到" in _page_size_message()


def test_the_json_depth_message_is_chinese_by_default(api, db):
    deep = api.post("/api/v1/auth/token/", data="[" * 40, content_type="application/json")
    assert deep.json()["detail"] == "JSON 请求内容嵌套过深：最多 32 层。"


def _page_size_message():
    from django.test import RequestFactory
    from rest_framework.exceptions import ValidationError
    from rest_framework.request import Request

    try:
        PageNumberPagination().get_page_size(Request(RequestFactory().get("/?page_size=0")))
    except ValidationError as exc:
        return str(exc.detail["page_size"][0])
    raise AssertionError("page_size=0 was accepted")
