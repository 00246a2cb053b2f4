"""Exports: CSV and XLSX of any history query, carrying the chain head; large ones as a
background job with progress at /api/v1/jobs/{id}/; exports are logged."""

import csv
import io

import pytest
from openpyxl import load_workbook

from audit import exports
from audit.models import AccessLog
from core import chain, jobs
from core.models import Job
from tests.audit.factories import change

URL = "/api/v1/audit/exports/"


@pytest.fixture
def changed(regions, users):
    change(regions["comm_a1"], by=users["finance_county"], reason="rename", name="府前社区一")
    return regions["comm_a1"]


def _content(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def test_small_csv_export_carries_the_chain_head(client_for, users, changed):
    response = client_for(users["auditor"]).get(
        URL, {"model": "federations.region", "object_id": changed.pk}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    head = str(chain.head())
    assert response["X-Audit-Chain-Head"] == head
    rows = list(csv.reader(io.StringIO(_content(response).decode("utf-8-sig"))))
    assert rows[0][:2] == ["审计哈希链头", head]
    assert rows[1][0] == "时间"
    assert len(rows) == 2 + 2  # head, header, two versions
    newest = rows[2]
    assert newest[7] == "fin_county" and newest[9] == "rename"
    assert "府前社区 → 府前社区一" in newest[10]
    log = AccessLog.objects.latest("id")
    assert log.action == "export" and log.rows == 2


def test_small_xlsx_export(client_for, users, changed):
    response = client_for(users["auditor"]).get(
        URL, {"model": "federations.region", "export_format": "xlsx"}
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(_content(response)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][1] == response["X-Audit-Chain-Head"]
    assert len(rows) == 2 + 9  # eight regions created, one renamed


def test_large_export_runs_as_a_job_with_progress(
    client_for, users, changed, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exports, "SYNC_LIMIT", 3)
    client = client_for(users["auditor"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.get(URL, {"export_format": "csv"})
    assert response.status_code == 202, response.content
    job_id = response.json()["job"]["id"]
    assert response.json()["job"]["status"] == "queued"
    assert len(callbacks) == 1  # the task is queued once the request commits
    assert jobs.run(job_id) == "succeeded"
    assert jobs.run(job_id) == "succeeded"  # redelivered: nothing again
    status = client.get(f"/api/v1/jobs/{job_id}/").json()
    assert status["status"] == "succeeded" and status["progress"] == 1.0
    assert status["result"]["chain_head"] == str(chain.head())
    download = client.get(status["download_url"])
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(_content(download).decode("utf-8-sig"))))
    assert rows[0][1] == status["result"]["chain_head"]
    assert len(rows) - 2 == status["result"]["rows"] == status["total"] > 3
    assert AccessLog.objects.filter(action="download", user=users["auditor"]).exists()
    # Jobs are their owner's: someone else gets 404.
    assert client_for(users["auditor_town_b"]).get(f"/api/v1/jobs/{job_id}/").status_code == 404
    assert client_for(users["admin"]).get(f"/api/v1/jobs/{job_id}/").status_code == 200
    job = Job.objects.get(pk=job_id)
    assert [h.status for h in job.history.order_by("history_id")] == [
        "queued",
        "running",
        "succeeded",
    ]


def test_job_failure_is_reported(users):
    @jobs.handler("test.boom")
    def boom(job, progress):
        raise RuntimeError("boom")

    job = jobs.start(kind="test.boom", owner=users["admin"], params={})
    assert jobs.run(str(job.pk)) == "failed"
    job.refresh_from_db()
    assert job.error == "RuntimeError: boom"


def test_exporting_is_refused_to_other_roles(client_for, users):
    assert client_for(users["finance_town"]).get(URL).status_code == 403


def test_export_format_is_validated(client_for, users):
    response = client_for(users["auditor"]).get(URL, {"export_format": "pdf"})
    assert response.status_code == 400 and "export_format" in response.json()["fields"]
