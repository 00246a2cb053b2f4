"""The demo on SQLite: seeding is idempotent, speaks Chinese, and every login sees data."""

import pytest
from django.core.management import call_command

from access.models import User
from federations.models import Organization
from ledger.models import Account, Transfer

pytestmark = pytest.mark.sqlite


def test_seeding_again_changes_nothing(demo, db):
    before = (Organization.objects.count(), Account.objects.count(), Transfer.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    after = (Organization.objects.count(), Account.objects.count(), Transfer.objects.count())
    assert after == before


def test_seeded_reasons_are_chinese(demo, db):
    reasons = set(User.history.values_list("history_change_reason", flat=True))
    reasons |= set(Organization.history.values_list("history_change_reason", flat=True))
    assert reasons == {"演示数据", "首次使用时创建的服务身份"}


def test_the_federation_login_sees_its_custodial_account(as_user):
    client = as_user("federation")
    accounts = client.get("/api/v1/ledger/accounts/").json()["results"]
    # its custodial account, and the commitments of the projects it undertakes in custody
    assert {a["kind"] for a in accounts} == {"custodial", "commitment"}
    custodial = {a["code"]: a for a in accounts if a["kind"] == "custodial"}
    transfers = client.get("/api/v1/ledger/transfers/").json()["results"]
    assert {t["kind"] for t in transfers} >= {"deposit", "expense", "payment"}
    assert custodial["demo:custodial:elderly"]["posted"] == "7400.00"
    # the members' custodial accounts by owner, opened by escrow (projects pays into the demo
    # organization's: receivable); the demo organization's holds what escrow confirmed and paid
    owned = {a["owner_id"]: a for code, a in custodial.items() if code.startswith("custodial:")}
    assert len(owned) == 5
    demo_org = User.objects.get(username="orgrep").role_assignments.get().organization_id
    assert owned[demo_org]["posted"] == "5000.00"


@pytest.mark.parametrize("username", ["admin", "finance.county", "finance.town", "auditor"])
def test_every_region_login_sees_the_ledger(as_user, username):
    assert as_user(username).get("/api/v1/ledger/transfers/").json()["results"]
