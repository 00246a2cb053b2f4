"""One test per defect the API robustness work found, named for the defect, fixed at its cause."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from tests.api.openapi import operations

SHAPE = {"code", "detail", "fields"}


@override_settings(API_MAX_UPLOAD_SIZE=64 * 1024, DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_multipart_file_bytes_are_bounded(api, db):
    """Django counts only a multipart request's non-file fields against
    DATA_UPLOAD_MAX_MEMORY_SIZE and spools files of any size to disk: an upload had no bound.
    Fixed in config/api/limits.py (413 from Content-Length, before anything is read)."""
    upload = SimpleUploadedFile("big.bin", b"0" * (128 * 1024))
    response = api.post(
        "/api/v1/auth/token/", {"username": "a", "password": "b", "f": upload}, format="multipart"
    )
    assert response.status_code == 413
    assert set(response.json()) == SHAPE


def test_page_size_past_the_maximum_is_refused_not_clamped(client_for, world):
    """page_size=100000 used to be silently cut to 200, so a client could not tell it got
    fewer rows than it asked for. Fixed in config/api/pagination.py (400 naming page_size)."""
    response = client_for(world.users["administrator"]).get("/api/v1/regions/?page_size=100000")
    assert response.status_code == 400
    assert "page_size" in response.json()["fields"]


def test_rate_limit_follows_settings_at_request_time(client_for, world, settings):
    """DRF's UserRateThrottle reads THROTTLE_RATES once at import, so a changed rate (a test
    override, a reloaded setting) had no effect. Fixed in config/api/throttles.py."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"user": "1/min"},
    }
    client = client_for(world.users["auditor"])
    assert client.get("/api/v1/me/").status_code == 200
    response = client.get("/api/v1/me/")
    assert response.status_code == 429
    assert response["Retry-After"].isdigit()


def test_empty_filter_values_are_documented_as_not_given(client_for, world):
    """Filters, ordering and pagination read `?level=` as "not filtered" (django-filter, DRF),
    but the schema said `level` must be one of its choices: the fuzzer's invalid-input check
    failed on a documented-looking request. Fixed in config/api/schema.py (allowEmptyValue)."""
    from tests.api.openapi import schema_dict

    params = schema_dict()["paths"]["/api/v1/regions/"]["get"]["parameters"]
    assert all(p.get("allowEmptyValue") for p in params if p["in"] == "query")
    response = client_for(world.users["administrator"]).get("/api/v1/regions/?level=&page_size=")
    assert response.status_code == 200


def test_too_many_fields_has_its_own_code(client_for, world, settings):
    """More query or form fields than DATA_UPLOAD_MAX_NUMBER_FIELDS fell through to Django's
    generic 400 ("bad_request"). Fixed in config/api/exceptions.py (`too_many_fields`)."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    response = client_for(world.users["administrator"]).get(
        "/api/v1/regions/?" + "&".join(f"x{i}=1" for i in range(10))
    )
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_fields"


@pytest.mark.parametrize("op", operations(), ids=lambda op: op.label)
def test_every_operation_documents_every_error_status(op):
    responses = op.spec()["responses"]
    for status in ("400", "403", "404", "405", "409", "413", "415", "429"):
        assert status in responses, (op.label, status)


def _documented_types(method, path, status="200"):
    from tests.api.openapi import schema_dict

    return set(schema_dict()["paths"][path][method]["responses"][status]["content"])


@pytest.mark.parametrize("file_type", ["csv", "xlsx"])
def test_target_report_export_documents_its_file_types(client_for, world, file_type):
    """The report export answered text/csv or XLSX but the schema said
    application/octet-stream (found by the fuzzer's content-type check). Fixed in
    federations/api.py (TargetReportExportView's documented responses)."""
    response = client_for(world.users["administrator"]).get(
        "/api/v1/reports/targets/export/",
        {"region": world["town_a"].pk, "file_type": file_type},
    )
    assert response.status_code == 200
    media_type = response["Content-Type"].split(";")[0]
    assert media_type in _documented_types("get", "/api/v1/reports/targets/export/")


def test_job_download_documents_its_file_types(client_for, world):
    """A job's file is served with the type its name implies (an export: text/csv), but the
    schema said application/octet-stream. Fixed in audit/api.py (JobDownloadView)."""
    job = world["job_auditor"]
    response = client_for(world.users["auditor"]).get(f"/api/v1/jobs/{job.pk}/download/")
    assert response.status_code == 200
    media_type = response["Content-Type"].split(";")[0]
    assert media_type in _documented_types("get", "/api/v1/jobs/{id}/download/")


def test_integer_filters_refuse_fractions(client_for, world):
    """`?owner_id=0.5` on ledger accounts was accepted (200, matching nothing): django-filter
    reads integer model fields with a decimal form field, though the schema says integer.
    Found by the fuzzer's boundary cases. Fixed with core.api.filters.IntegerFilter, used by
    ledger/api.py's LedgerAccountFilter."""
    from tests.api.openapi import schema_dict

    client = client_for(world.users["administrator"])
    response = client.get("/api/v1/ledger/accounts/?owner_id=0.5")
    assert response.status_code == 400
    assert "owner_id" in response.json()["fields"]
    assert client.get("/api/v1/ledger/accounts/?owner_id=5").status_code == 200
    params = schema_dict()["paths"]["/api/v1/ledger/accounts/"]["get"]["parameters"]
    owner_id = next(p for p in params if p["name"] == "owner_id")
    assert owner_id["schema"]["type"] == "integer"


def test_anonymous_requests_get_401_with_a_challenge(api):
    """An anonymous API request got 403 (the first authentication class, session, has no
    challenge). Fixed in config/settings/base.py: token authentication first, so 401 with
    `WWW-Authenticate: Token`, in the common error shape; the schema documents the header."""
    from tests.api.openapi import schema_dict

    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"code", "detail", "fields"}
    me = schema_dict()["paths"]["/api/v1/me/"]["get"]["responses"]["401"]
    assert "WWW-Authenticate" in me["headers"]


def test_a_session_write_without_csrf_names_csrf(world):
    """A logged-in session posting without its CSRF token got 401 "not authenticated" once
    anonymous requests got 401: the API guard's own authentication (core/api/guards.py) left
    the request's user anonymous after the CSRF refusal, so the view saw nobody logged in.
    Fixed there: the session's user is restored, and the view answers 403 naming CSRF."""
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.users["federation_staff"])
    response = client.post("/api/v1/members/", {}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
