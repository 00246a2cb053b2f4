"""Admin pages for auditors, in Chinese: timeline, one object's versions with diffs,
export, last verification result."""

import pytest
from django.test import Client

from audit.models import AccessLog
from audit.verification import run_verification
from core.models import VerificationRun
from tests.audit.factories import change


@pytest.fixture
def auditor_client(users):
    auditor = users["auditor"]
    auditor.is_staff = True
    auditor.save()
    client = Client()
    client.force_login(auditor)
    return client


@pytest.fixture
def changed(regions, users):
    change(regions["comm_a1"], by=users["finance_county"], reason="改名原因", name="府前社区一")
    return regions["comm_a1"]


def test_timeline_in_chinese_with_diffs(auditor_client, changed):
    response = auditor_client.get("/admin/core/verificationrun/timeline/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "变更时间线" in html and "改名原因" in html
    assert "府前社区 → 府前社区一" in html
    assert AccessLog.objects.filter(action="admin").exists()


def test_object_versions_and_comparison(auditor_client, changed):
    versions = list(changed.history.order_by("history_id"))
    response = auditor_client.get(
        "/admin/core/verificationrun/timeline/",
        {
            "model": "federations.region",
            "object_id": changed.pk,
            "from_version": versions[0].pk,
            "to_version": versions[-1].pk,
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "此对象的各个版本" in html and "两个版本之间的差异" in html
    assert html.count("府前社区一") >= 2


def test_export_from_the_admin(auditor_client, changed):
    response = auditor_client.get(
        "/admin/core/verificationrun/export/", {"model": "federations.region"}
    )
    assert response.status_code == 200
    assert response["X-Audit-Chain-Head"]
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.startswith("审计哈希链头")


def test_last_verification_result_and_run_now(auditor_client, regions):
    run_verification(triggered_by="test")
    response = auditor_client.get("/admin/core/verificationrun/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "最近一次校验" in html and "通过" in html


def test_other_staff_are_refused(users, changed):
    officer = users["finance_county"]
    officer.is_staff = True
    officer.save()
    client = Client()
    client.force_login(officer)
    assert client.get("/admin/core/verificationrun/timeline/").status_code == 403
    assert client.get("/admin/core/verificationrun/").status_code == 403
    assert VerificationRun.objects.count() == 0
