"""Campaign money into custody: a campaign's donations (funds' crowdfunding services) are
announced into a member's custodial account — receivable, not spendable — until federation
staff confirm their arrival with the bank reference; then they pay the member's claims."""

from decimal import Decimal

import pytest

from core.errors import Conflict, InvalidInput
from escrow import services
from escrow.models import DepositKind, DepositState
from escrow.selectors import balance
from funds.campaigns import services as crowd
from funds.campaigns.models import CampaignState
from funds.campaigns.selectors import raised
from ledger import selectors as ledger_selectors
from ledger.verification import verify_ledger
from tests.escrow.factories import key
from tests.funds import campaign_factories as cf

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(ew):
    """An all-or-nothing campaign of township A that reached its target and closed."""
    cf.setup_policies(ew.fw)
    made = cf.campaign(ew.fw, cf.holder(ew.fw), target="3000.00")
    cf.donate(ew.fw, made, "1800.00", donor_name="东营某企业", donor_type="enterprise")
    cf.donate(ew.fw, made, "1200.00", donor_name="李四")
    closed = crowd.campaign_close(actor=ew["county"], campaign_id=made.pk, reason="募集完成")
    assert closed.state == CampaignState.SUCCEEDED and raised(closed) == Decimal("3000.00")
    return closed


def test_campaign_donations_become_a_receivable_deposit_then_confirmed(ew, campaign):
    source = campaign.source
    before = balance(ew.account)
    deposit = services.deposit_announce(
        actor=ew["staff"], account_id=ew.account.pk, kind=DepositKind.CAMPAIGN,
        funding_source_id=source.pk, amount="3000.00", memo="助老食堂众筹款",
        idempotency_key=key("camp"),
    )  # fmt: skip
    assert deposit.state == DepositState.RECEIVABLE and deposit.payer == source.name
    # Receivable: reserved out of the campaign's own account, not spendable in custody.
    after = balance(ew.account)
    assert after.posted == before.posted and after.receivable == Decimal("3000.00")
    assert ledger_selectors.balance(source.account_id).available == Decimal("0.00")
    share = ledger_selectors.source_share(ew.account.ledger_account_id, source.money_tag_id)
    assert (share.posted, share.receivable) == (Decimal("0.00"), Decimal("3000.00"))
    # A claim on the campaign's money waits for it to arrive.
    with pytest.raises(Conflict) as exc:
        ew.claim("100.00", source=source, forward=False)
    assert exc.value.code == "source_share_exceeded"

    confirmed = services.deposit_confirm(
        actor=ew["staff"], transfer_id=deposit.transfer_id, bank_reference="ZH20261130001"
    )
    assert confirmed.state == DepositState.CONFIRMED
    assert confirmed.bank_reference == "ZH20261130001"
    assert balance(ew.account).posted == before.posted + Decimal("3000.00")
    # Now spendable, tagged with the campaign's source: a claim on it is approved and paid.
    claim = ew.claim("2000.00", source=source)
    assert ew.pay(claim).state == "paid"
    share = ledger_selectors.source_share(ew.account.ledger_account_id, source.money_tag_id)
    assert share.posted == Decimal("1000.00")
    assert verify_ledger().ok


def test_campaign_money_beyond_what_it_raised_is_refused(ew, campaign):
    with pytest.raises(Conflict):
        services.deposit_announce(
            actor=ew["staff"], account_id=ew.account.pk, kind=DepositKind.CAMPAIGN,
            funding_source_id=campaign.source_id, amount="3000.01",
            idempotency_key=key("camp"),
        )  # fmt: skip
    # Campaign money comes from a donation-funded source only.
    with pytest.raises(InvalidInput) as exc:
        services.deposit_announce(
            actor=ew["staff"], account_id=ew.account.pk, kind=DepositKind.CAMPAIGN,
            funding_source_id=ew.source.pk, amount="10.00", idempotency_key=key("camp"),
        )  # fmt: skip
    assert "funding_source" in exc.value.fields


def test_campaign_deposit_through_the_api(ew, campaign, client_for):
    staff = client_for(ew["staff"])
    body = {
        "account": ew.account.pk, "kind": "campaign", "funding_source": campaign.source_id,
        "amount": "500.00", "memo": "众筹款第一批", "idempotency_key": key("camp-api"),
    }  # fmt: skip
    response = staff.post("/api/v1/deposits/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "campaign"
    assert response.json()["state"] == DepositState.RECEIVABLE
    # Staff of another federation cannot announce into this account (not found).
    other = client_for(ew["staff_b"]).post("/api/v1/deposits/", body, format="json")
    assert other.status_code == 400 and "account" in other.json()["fields"]
