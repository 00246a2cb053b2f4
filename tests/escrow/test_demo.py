"""The demo custody loads twice without moving money twice; every claim state is there."""

import io

from django.core.management import call_command

from escrow import demo
from escrow.models import BankStatement, ClaimState, CustodialAccount, ExpenseClaim
from escrow.selectors import overdue_advances
from federations.models import Federation, Organization, Region
from ledger.models import Transfer
from ledger.verification import verify_ledger


def test_seed_demo_custody(db):
    call_command("seed_demo", stdout=io.StringIO())
    assert set(ExpenseClaim.objects.values_list("state", flat=True)) == set(ClaimState.values)
    assert overdue_advances().count() == 1
    bank = BankStatement.objects.get()
    assert bank.state == "reconciled" and bank.reconciliation["balanced"]
    counts = (CustodialAccount.objects.count(), Transfer.objects.count())
    places = {
        "city": Region.objects.get(level="city"),
        "township": bank.federation.township,
        "federation": Federation.objects.get(pk=bank.federation_id),
        "organization": Organization.objects.get(
            pk=ExpenseClaim.objects.first().account.organization_id
        ),
    }
    demo.load(places)
    assert counts == (CustodialAccount.objects.count(), Transfer.objects.count())
    assert verify_ledger().ok
