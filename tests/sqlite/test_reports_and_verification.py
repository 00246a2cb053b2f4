"""Reports, exports and verification on the demo's SQLite database."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import load_workbook

from federations.models import Region

pytestmark = pytest.mark.sqlite


def test_targets_report_and_its_exports(as_user):
    client = as_user("finance.county")
    county = Region.objects.get(level="county", name="东营区")
    body = client.get("/api/v1/reports/targets/", {"region": county.pk}).json()
    assert body["rows"] and body["rows"][0]["id"] == county.pk
    csv_file = client.get(
        "/api/v1/reports/targets/export/", {"region": county.pk, "file_type": "csv"}
    )
    assert csv_file.status_code == 200
    xlsx = client.get("/api/v1/reports/targets/export/", {"region": county.pk, "file_type": "xlsx"})
    assert xlsx.status_code == 200
    sheet = load_workbook(
        io.BytesIO(b"".join(xlsx.streaming_content) if xlsx.streaming else xlsx.content)
    ).active
    assert sheet.max_row > 2


def test_audit_export_on_sqlite(as_user):
    response = as_user("auditor").get(
        "/api/v1/audit/exports/", {"export_format": "csv", "model": "ledger.transfer"}
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "¥200,000.00" in text


def test_verification_says_what_it_cannot_check_on_sqlite(demo, db):
    """The history chain, the triggers and the completeness backstop are PostgreSQL features:
    on SQLite the verification answers "not checked on this database" for them (never "OK"
    having checked nothing), checks the ledger it can, and exits non-zero."""
    out = io.StringIO()
    with pytest.raises(CommandError, match="not everything can be checked"):
        call_command("audit_verify", stdout=out, stderr=io.StringIO())
    text = out.getvalue()
    assert "chain: not checked on this database (sqlite)" in text
    assert "backstop: not checked on this database (sqlite)" in text
    assert "ledger: OK" in text


def test_verification_page_and_api(as_user, client, django_user_model):
    assert as_user("auditor").get("/api/v1/audit/verify/").status_code == 200
    client.force_login(django_user_model.objects.get(username="auditor"))
    assert client.get(reverse("admin:core_verificationrun_changelist")).status_code == 200
