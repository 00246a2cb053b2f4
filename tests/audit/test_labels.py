"""History as people read it: choice labels, related names, yes/no and ¥ amounts in the
timeline, the diff, the admin pages and the exports; the API keeps the raw values too."""

import csv
import io

import pytest
from django.urls import reverse

from core.audited import set_reason
from core.context import acting_as
from ledger.models import TransferKind
from tests.ledger import factories as ledger

URL = "/api/v1/audit/history/"


@pytest.fixture
def moved(regions, users):
    org = regions["org_a"]
    with acting_as(user=users["admin"]):
        org.community = regions["comm_a2"]
        org.is_brand = True
        org.brand_year = 2024
        set_reason(org, "moved to 金湖").save()
    source = ledger.account("funding_source", name="社区公益事业补助资金")
    treasury = ledger.account("external", name="国库")
    from ledger import services

    services.post_transfer(
        actor=ledger.system(),
        from_account=treasury,
        to_account=source,
        amount="200000.00",
        source_account=source,
        kind=TransferKind.PAYMENT,
        idempotency_key=ledger.key(),
    )
    return org


def _changes(entry):
    return {c["field"]: c for c in entry["changes"]}


def test_api_keeps_raw_values_and_adds_what_people_read(client_for, users, moved):
    results = (
        client_for(users["admin"])
        .get(URL, {"model": "federations.organization", "object_id": moved.pk})
        .json()["results"]
    )
    changes = _changes(results[0])
    community = changes["community"]
    assert community["old"] == moved.history.last().community_id  # the raw id, kept
    assert (community["old_display"], community["new_display"]) == ("府前社区", "金湖社区")
    assert changes["is_brand"]["old"] is False and changes["is_brand"]["new"] is True
    assert (changes["is_brand"]["old_display"], changes["is_brand"]["new_display"]) == ("否", "是")
    created = _changes(results[-1])
    assert created["legal_status"]["new"] == "filed"
    assert created["legal_status"]["new_display"] == str(moved.get_legal_status_display())
    assert "filed" not in created["legal_status"]["new_display"]


def test_transfers_show_kind_label_and_money(client_for, users, moved):
    results = client_for(users["admin"]).get(URL, {"model": "ledger.transfer"}).json()["results"]
    changes = _changes(results[0])
    assert changes["amount"]["new"] == "200000.00"
    assert changes["amount"]["new_display"] == "¥200,000.00"
    assert changes["kind"]["new"] == "payment"
    assert changes["kind"]["new_display"] not in ("payment", "")


def test_csv_export_shows_labels(client_for, users, moved):
    response = client_for(users["admin"]).get(
        "/api/v1/audit/exports/",
        {"export_format": "csv", "model": "federations.organization", "object_id": moved.pk},
    )
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    changed = rows[2][10]
    assert "府前社区 → 金湖社区" in changed and "否 → 是" in changed
    assert "False" not in changed


def test_admin_timeline_and_object_history_show_labels(client, users, moved):
    client.force_login(users["admin"])
    page = client.get(
        reverse("admin:audit_timeline"),
        {"model": "federations.organization", "object_id": moved.pk},
    ).content.decode()
    assert "府前社区 → 金湖社区" in page and "False" not in page
    history = client.get(f"/admin/federations/organization/{moved.pk}/history/").content.decode()
    assert "history_actor" not in history and "history_change_reason" not in history
    assert history.count("moved to 金湖") == 1  # the reason once
    assert "金湖社区" in history and "是" in history and "False" not in history


def test_xlsx_export_has_amounts_as_yuan_numbers(client_for, users, moved):
    from decimal import Decimal

    from openpyxl import load_workbook

    from core.money import XLSX_FORMAT

    response = client_for(users["admin"]).get(
        "/api/v1/audit/exports/", {"export_format": "xlsx", "model": "ledger.transfer"}
    )
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(min_row=3))
    amount = rows[0][12]
    assert Decimal(str(amount.value)) == Decimal("200000.00")
    assert amount.number_format == XLSX_FORMAT
    assert "¥200,000.00" in rows[0][10].value  # the changes text as people read it
