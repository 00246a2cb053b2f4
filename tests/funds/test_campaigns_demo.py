"""The demo crowdfunding: campaigns in every state, a few hundred donations of every donor
type, receipts, a failed campaign refunded; loading twice moves no money twice."""

import io

from django.core.management import call_command

from core.context import COMMAND_USERNAME, acting_as
from federations.models import Region
from funds.campaigns import demo
from funds.campaigns.models import (
    Campaign,
    CampaignState,
    CharityFund,
    Donation,
    DonorType,
    Receipt,
)
from ledger.models import Transfer
from ledger.verification import verify_ledger


def test_seed_demo_crowdfunding(db):
    call_command("seed_demo", stdout=io.StringIO())
    states = set(Campaign.objects.values_list("state", flat=True))
    assert states >= {"draft", "submitted", "approved", "open", "succeeded", "failed",
                      "cancelled"}  # fmt: skip
    assert Donation.objects.count() >= 250
    assert set(Donation.objects.values_list("donor_type", flat=True)) == set(DonorType.values)
    assert Donation.objects.filter(nature="sponsorship").exists()
    assert Donation.objects.filter(anonymous=True).exists()
    failed = Campaign.objects.get(state=CampaignState.FAILED)
    assert not failed.donations.filter(state="recorded").exists()
    assert failed.donations.filter(state="refunded").count() == 30
    assert Receipt.objects.filter(state="issued").count() > 50
    assert Receipt.objects.filter(state="void").exists()
    assert CharityFund.objects.filter(state="open").exists()
    counts = (Donation.objects.count(), Transfer.objects.count(), Receipt.objects.count())
    with acting_as(username=COMMAND_USERNAME, label="command:test"):
        demo.load({"city": Region.objects.get(level="city")}, password="x")
    assert counts == (Donation.objects.count(), Transfer.objects.count(),
                      Receipt.objects.count())  # fmt: skip
    assert verify_ledger().ok
