"""Funding sources: kinds and levels, restrictions as data, approval → treasury transfer."""

from decimal import Decimal

import pytest

from core.errors import Conflict, InvalidInput, NotPermitted
from funds import services
from funds.models import FundingSource
from ledger.models import Account, Transfer
from ledger.selectors import balance
from tests.funds.factories import YEAR


def count_written():
    return (FundingSource.objects.count(), FundingSource.history.count(), Transfer.objects.count())


def test_approved_source_is_funded_by_one_treasury_transfer(fw):
    source = fw.source("250000.00")
    assert source.state == "approved"
    assert balance(source.account).posted == Decimal("250000.00")
    funding = Transfer.objects.get(to_account=source.account)
    assert funding.kind == "funding" and funding.source_account_id == source.account_id
    treasury = funding.from_account
    assert treasury.kind == "external" and treasury.code == f"treasury:{fw.r['county'].code}"
    # A second source of the same region uses the same treasury.
    other = fw.source("1000.00")
    assert Transfer.objects.get(to_account=other.account).from_account_id == treasury.pk
    assert source.history.first().history_change_reason == "同意"


def test_every_kind_at_a_level_it_may_have(fw):
    made = [
        fw.source(kind="community_welfare_subsidy", region="town_a", by="town_a"),
        fw.source(kind="party_service_fund", region="comm_a1", by="town_a"),
        fw.source(kind="fiscal_special_fund", region="county"),
        fw.source(kind="community_party_support", region="comm_a1", by="town_a"),
        fw.source(kind="residents_committee_support", region="comm_a2", by="town_a"),
        fw.source(kind="crowdfunding", region="town_a", by="town_a", document_number=""),
        fw.source(kind="community_charity_fund", region="comm_a1", by="town_a",
                  document_number=""),
    ]  # fmt: skip
    assert {s.kind for s in made} == set(services.SourceKind.values)
    by_kind = {s.kind: s for s in made}
    # Community-level support: charity-type only, whatever was asked.
    assert by_kind["community_party_support"].charity_only
    assert not by_kind["community_party_support"].allows_category("culture_sports")
    assert by_kind["community_party_support"].allows_category("elderly_care")
    # Donation-funded kinds: an account, no treasury money (donations come later).
    assert balance(by_kind["crowdfunding"].account).posted == 0
    community = Account.objects.get(code=f"treasury:{fw.r['comm_a1'].code}")
    assert balance(community).posted == Decimal("-200000.00")


@pytest.mark.parametrize(
    "kind,region",
    [("fiscal_special_fund", "town_a"), ("community_charity_fund", "county"),
     ("community_welfare_subsidy", "comm_a1"), ("residents_committee_support", "town_a")],
)  # fmt: skip
def test_kind_the_level_may_not_own_is_refused(fw, kind, region):
    before = count_written()
    with pytest.raises(InvalidInput) as exc:
        fw.source(kind=kind, region=region, approve=False)
    assert exc.value.code == "kind_not_for_level" and "kind" in exc.value.fields
    assert count_written() == before


@pytest.mark.parametrize("amount,code", [("10.001", "too_many_decimals"),
                                         ("0", "amount_not_positive"),
                                         ("-5.00", "amount_not_positive"),
                                         ("abc", "invalid_amount")])  # fmt: skip
def test_bad_amounts(fw, amount, code):
    before = count_written()
    with pytest.raises(InvalidInput) as exc:
        fw.source(amount, approve=False)
    assert exc.value.code == code and "appropriated_amount" in exc.value.fields
    assert count_written() == before


def test_duplicate_document_number_same_issuer_and_year(fw):
    fw.source(document_number="东区财〔2026〕7号", approve=False)
    before = count_written()
    with pytest.raises(Conflict) as exc:
        fw.source(document_number="东区财〔2026〕7号", approve=False)
    assert exc.value.code == "duplicate_document_number"
    assert "document_number" in exc.value.fields
    assert count_written() == before
    # Another issuer may use the same number.
    fw.source(document_number="东区财〔2026〕7号", issuer="东营区民政局", approve=False)


def test_treasury_source_needs_its_document(fw):
    with pytest.raises(InvalidInput) as exc:
        fw.source(document_number="", approve=False)
    assert exc.value.code == "document_required"


def test_restrictions_as_data(fw):
    source = fw.source(allowed_categories=["elderly_care", "disability"],
                       requires_party_organization=True)  # fmt: skip
    assert source.allows_category("elderly_care") and not source.allows_category("environment")
    with pytest.raises(InvalidInput) as exc:
        fw.source(kind="community_party_support", region="comm_a1", by="town_a",
                  allowed_categories=["culture_sports"], approve=False)  # fmt: skip
    assert exc.value.code == "category_not_charity"


def test_out_of_scope_region_is_an_unknown_region_and_other_roles_403(fw):
    with pytest.raises(InvalidInput) as exc:
        fw.source(kind="community_welfare_subsidy", region="town_b", by="town_a", approve=False)
    assert "region" in exc.value.fields
    with pytest.raises(InvalidInput):
        fw.source(region="other_county", approve=False)
    with pytest.raises(NotPermitted):
        fw.source(by="auditor", approve=False)
    with pytest.raises(NotPermitted):
        fw.source(by="staff", approve=False)


def test_maker_does_not_approve_and_rejection_moves_nothing(fw):
    source = fw.source(approve=False)
    services.source_submit(actor=fw["county"], source_id=source.pk)
    with pytest.raises(NotPermitted):
        fw.approve(source, by="county")
    transfers = Transfer.objects.count()
    fw.reject(source)
    assert source.state == "rejected" and source.account_id is None
    assert Transfer.objects.count() == transfers


def test_only_a_draft_is_edited(fw):
    source = fw.source(approve=False)
    services.source_update(actor=fw["county"], source_id=source.pk, name="改名", reason="更正")
    source.refresh_from_db()
    assert source.name == "改名"
    services.source_submit(actor=fw["county"], source_id=source.pk)
    with pytest.raises(Conflict):
        services.source_update(actor=fw["county"], source_id=source.pk, name="再改")


def test_closed_year_takes_no_source(fw):
    services.fiscal_year_close(actor=fw["admin"], year=YEAR, reason="年终")
    with pytest.raises(Conflict) as exc:
        fw.source(approve=False)
    assert exc.value.code == "fiscal_year_closed" and "fiscal_year" in exc.value.fields
