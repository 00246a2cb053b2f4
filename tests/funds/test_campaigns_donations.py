"""Donations (idempotent ledger transfers), sponsorship, single refunds (refused when the
money is spent), receipts (who may issue, numbering, void), donor statements."""

import csv
import io
from decimal import Decimal

import pytest

from core.errors import Conflict, InvalidInput
from funds.campaigns import services as crowd
from funds.campaigns.documents import statement_csv, statement_pdf
from funds.campaigns.models import Donation, Receipt
from funds.campaigns.selectors import donor_statement
from ledger.models import Transfer
from ledger.selectors import balance
from tests.funds import campaign_factories as cf

pytestmark = pytest.mark.django_db


@pytest.fixture
def cw(fw):
    cf.setup_policies(fw)
    fw.charity = cf.holder(fw)
    fw.c = cf.campaign(fw, fw.charity, target="100000.00")
    return fw


def test_a_donation_is_one_transfer_into_the_campaign_account(cw):
    d = cf.donate(cw, cw.c, "188.00", donor_type="enterprise", donor_name="某石油公司",
                  donor_identifier="91370500MA3C000000")  # fmt: skip
    t = d.transfer
    assert t.kind == "donation" and t.amount == Decimal("188.00")
    assert t.to_account_id == cw.c.source.account_id
    assert t.from_account.kind == "external" and t.from_account.code.startswith("donors:")
    assert t.source_account_id == cw.c.source.money_tag_id
    assert balance(cw.c.source.account).posted == Decimal("188.00")


def test_a_retried_recording_books_once(cw):
    first = cf.donate(cw, cw.c, "50.00", key="retry-1", channel_reference="B1")
    again = cf.donate(cw, cw.c, "50.00", key="retry-1", channel_reference="B1")
    assert again.pk == first.pk and again.replayed and not first.replayed
    assert Donation.objects.count() == 1 and Transfer.objects.filter(kind="donation").count() == 1
    with pytest.raises(Conflict) as exc:
        cf.donate(cw, cw.c, "60.00", key="retry-1", channel_reference="B1")
    assert exc.value.code == "idempotency_conflict"
    assert balance(cw.c.source.account).posted == Decimal("50.00")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"donor_type": "alien"}, "donor_type"),
        ({"channel": "barter"}, "channel"),
        ({"donor_name": "", "anonymous": False}, "donor_name"),
        ({"channel_reference": ""}, "channel_reference"),
        ({"nature": "sponsorship"}, "benefit"),
    ],
)
def test_bad_donations_are_refused_naming_the_field(cw, fields, field):
    with pytest.raises(InvalidInput) as exc:
        cf.donate(cw, cw.c, **{"amount": "10.00", **fields})
    assert field in exc.value.fields
    assert not Donation.objects.exists() and not Transfer.objects.filter(kind="donation").exists()


def test_donation_outside_campaign_dates_is_refused(cw):
    import datetime

    with pytest.raises(InvalidInput) as exc:
        cf.donate(cw, cw.c, donated_on=datetime.date(2025, 12, 31))
    assert exc.value.code == "outside_campaign_dates" and not Donation.objects.exists()


def test_sponsorship_is_recorded_as_such_and_never_receipted(cw):
    s = cf.donate(cw, cw.c, "5000.00", donor_type="enterprise", donor_name="某银行",
                  nature="sponsorship", benefit="活动冠名及广告位")  # fmt: skip
    assert s.is_sponsorship and s.transfer.kind == "donation"
    with pytest.raises(InvalidInput) as exc:
        crowd.receipt_issue(actor=cw["county"], donation_id=s.pk)
    assert exc.value.code == "receipt_for_sponsorship" and not Receipt.objects.exists()


def test_receipt_only_where_the_holder_may_issue(cw):
    fed = cf.holder(cw, "federation")
    c = cf.campaign(cw, fed, title="联合会众筹")
    d = cf.donate(cw, c)
    with pytest.raises(InvalidInput) as exc:
        crowd.receipt_issue(actor=cw["county"], donation_id=d.pk)
    assert exc.value.code == "issuer_not_qualified" and not Receipt.objects.exists()
    qualified = cf.holder(cw, "federation", name="有资格的联合会",
                          federation=cw.r["federation_b"].pk,
                          receipt_qualification="东财票〔2025〕8号")  # fmt: skip
    c2 = cf.campaign(cw, qualified, title="有资格众筹")
    r = crowd.receipt_issue(actor=cw["county"], donation_id=cf.donate(cw, c2).pk)
    assert r.issuer == qualified and r.number == 1


def test_receipts_are_numbered_per_issuer_and_year_and_void_keeps_its_number(cw):
    ds = [cf.donate(cw, cw.c, "10.00", donor_name=f"捐赠人{i}") for i in range(3)]
    rs = [crowd.receipt_issue(actor=cw["county"], donation_id=d.pk) for d in ds]
    assert [r.number for r in rs] == [1, 2, 3] and {r.year for r in rs} == {2026}
    crowd.receipt_void(actor=cw["county"], receipt_id=rs[1].pk, reason="开错")
    rs[1].refresh_from_db()
    assert rs[1].state == "void" and rs[1].number == 2
    # A voided receipt may be replaced: the replacement takes the next number.
    replacement = crowd.receipt_issue(actor=cw["county"], donation_id=ds[1].pk)
    assert replacement.number == 4
    with pytest.raises(Conflict) as exc:
        crowd.receipt_issue(actor=cw["county"], donation_id=ds[0].pk)
    assert exc.value.code == "receipt_exists"
    other = cf.holder(cw, name="另一个慈善会")
    c2 = cf.campaign(cw, other, title="另一个众筹")
    assert crowd.receipt_issue(actor=cw["county"], donation_id=cf.donate(cw, c2).pk).number == 1


def test_single_refund_reverses_the_transfer_and_voids_the_receipt(cw):
    d = cf.donate(cw, cw.c, "300.00")
    r = crowd.receipt_issue(actor=cw["county"], donation_id=d.pk)
    d = crowd.donation_refund(actor=cw["county"], donation_id=d.pk, reason="捐赠人申请退回")
    assert d.state == "refunded" and d.refund_transfer.reverses_id == d.transfer_id
    assert balance(cw.c.source.account).posted == 0
    r.refresh_from_db()
    assert r.state == "void" and r.number == 1
    again = crowd.donation_refund(actor=cw["county"], donation_id=d.pk, reason="重复")
    assert again.refund_transfer_id == d.refund_transfer_id
    with pytest.raises(Conflict) as exc:
        crowd.receipt_issue(actor=cw["county"], donation_id=d.pk)
    assert exc.value.code == "donation_refunded"


def test_refund_of_spent_money_is_refused(cw):
    d = cf.donate(cw, cw.c, "1000.00")
    crowd.campaign_close(actor=cw["county"], campaign_id=cw.c.pk)  # keeps? target not met
    keep = cf.campaign(cw, cw.charity, target="100.00", rule="keep_what_raised", title="保留")
    d = cf.donate(cw, keep, "1000.00")
    crowd.campaign_close(actor=cw["county"], campaign_id=keep.pk)
    keep.refresh_from_db()
    # The money is budgeted to a line (spent from the campaign's account).
    cw.budget([("elderly_care", keep.source, "800.00")], region="town_a")
    with pytest.raises(Conflict) as exc:
        crowd.donation_refund(actor=cw["county"], donation_id=d.pk, reason="退回")
    assert exc.value.code == "donation_money_spent" and "shortfall" in exc.value.fields
    d.refresh_from_db()
    assert d.state == "recorded" and d.refund_transfer_id is None
    assert balance(keep.source.account).posted == Decimal("200.00")


def test_donor_statement_lists_the_year_with_receipt_numbers(cw):
    import datetime

    a = cf.donate(cw, cw.c, "100.00", donor_name="赵六", donor_identifier="370502199001011234")
    cf.donate(cw, cw.c, "50.00", donor_name="赵六", donor_identifier="370502199001011234",
              donated_on=datetime.date(2026, 8, 8))  # fmt: skip
    cf.donate(cw, cw.c, "70.00", donor_name="赵六", donor_identifier="OTHER")
    cf.donate(cw, cw.c, "90.00", donor_name="赵六", donor_identifier="370502199001011234",
              nature="sponsorship", benefit="广告")  # fmt: skip
    r = crowd.receipt_issue(actor=cw["county"], donation_id=a.pk)
    rows = donor_statement(cw["county"], donor_name="赵六",
                           donor_identifier="370502199001011234", year=2026)  # fmt: skip
    assert [row["amount"] for row in rows] == [Decimal("100.00"), Decimal("50.00")]
    assert rows[0]["receipt"] == r.display_number and rows[1]["receipt"] == ""
    assert rows[0]["target"] == cw.c.title
    content = statement_csv(rows, donor_name="赵六", year=2026)
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert any(r.display_number in line for line in lines)
    pdf = statement_pdf(rows, donor_name="赵六", donor_identifier="370502199001011234",
                        year=2026)  # fmt: skip
    assert pdf.startswith(b"%PDF-")
    # Out of scope: the other county's officer sees none of it.
    assert donor_statement(cw["other_county"], donor_name="赵六",
                           donor_identifier="370502199001011234", year=2026) == []  # fmt: skip
