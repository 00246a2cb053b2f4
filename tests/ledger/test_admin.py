"""Ledger admin: Chinese, accounts opened through the service, transfers read-only."""

import pytest
from django.test import Client

from ledger.models import Account, AccountBalance

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


def test_account_added_in_admin_gets_its_balance_rows(admin_client):
    response = admin_client.post(
        "/admin/ledger/account/add/",
        {
            "code": "admin-opened",
            "name": "东营区慈善总会捐赠户",
            "kind": "external",
            "owner_type": "",
            "is_active": "on",
            "change_reason": "新开账户",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    opened = Account.objects.get(code="admin-opened")
    assert AccountBalance.objects.get(account=opened).is_guarded is False
    assert opened.history.first().history_change_reason == "新开账户"
