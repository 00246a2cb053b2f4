"""Ledger admin: Chinese, read-only (accounts and transfers), scoped."""

import pytest
from django.test import Client

from ledger.models import Account

from .factories import account, funded_source, move

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(users):
    client = Client()
    client.force_login(users["admin"])
    return client


def test_transfer_admin_is_read_only_and_chinese(admin_client):
    src, _ = funded_source()
    t = move(src, account(), "1.00", src)
    page = admin_client.get("/admin/ledger/transfer/").content.decode()
    assert "转账" in page
    assert admin_client.get("/admin/ledger/transfer/add/").status_code == 403
    change = admin_client.get(f"/admin/ledger/transfer/{t.pk}/change/")
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
    assert admin_client.post(f"/admin/ledger/transfer/{t.pk}/delete/").status_code == 403


def test_account_admin_is_read_only(admin_client):
    """Accounts are opened and money moves only through domain services, never the admin."""
    src, _ = funded_source()
    assert admin_client.get("/admin/ledger/account/").status_code == 200
    assert admin_client.get("/admin/ledger/account/add/").status_code == 403
    response = admin_client.post(
        "/admin/ledger/account/add/",
        {"code": "admin-opened", "name": "x", "kind": "external", "change_reason": "r"},
    )
    assert response.status_code == 403
    assert not Account.objects.filter(code="admin-opened").exists()
    change = admin_client.get(f"/admin/ledger/account/{src.pk}/change/")
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
