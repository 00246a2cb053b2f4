"""Community charity funds: a qualified host and an agreement in force before a fund opens;
a lapsed qualification stops new donations; the agreement scan is checked by content."""

import datetime
from pathlib import Path

import pytest

from core.errors import Conflict, InvalidInput
from funds.campaigns import services as crowd
from funds.campaigns.models import CharityFund, Donation
from tests.funds import campaign_factories as cf

pytestmark = pytest.mark.django_db


@pytest.fixture
def cw(fw, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "public")
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    cf.setup_policies(fw)
    fw.charity = cf.holder(fw)
    return fw


def test_a_fund_opens_with_its_account_and_takes_donations(cw):
    fund = cf.charity_fund(cw, cw.charity)
    assert fund.state == "open" and fund.source.kind == "community_charity_fund"
    assert fund.source.account_id and fund.agreement_scan_type == "application/pdf"
    d = cf.donate(cw, fund, "66.00")
    assert d.fund == fund and d.transfer.to_account_id == fund.source.account_id
    r = crowd.receipt_issue(actor=cw["county"], donation_id=d.pk)
    assert r.issuer == cw.charity


def test_no_fund_without_qualification(cw):
    plain = cf.holder(cw, name="无资格慈善会", fundraising_certificate="")
    with pytest.raises(InvalidInput) as exc:
        cf.charity_fund(cw, plain)
    assert exc.value.code == "host_not_qualified" and not CharityFund.objects.exists()
    expired = cf.holder(cw, name="过期慈善会", fundraising_valid_from=datetime.date(2020, 1, 1),
                        fundraising_valid_until=datetime.date(2025, 12, 31))  # fmt: skip
    fund = cf.charity_fund(cw, expired, open_it=False)
    with pytest.raises(Conflict) as exc:
        crowd.charity_fund_submit(actor=cw["county"], fund_id=fund.pk)
    assert exc.value.code == "qualification_invalid"
    fund.refresh_from_db()
    assert fund.state == "draft" and fund.source.state == "draft"


def test_no_fund_without_agreement(cw):
    fund = cf.charity_fund(cw, cw.charity, open_it=False, scan=None)
    with pytest.raises(Conflict) as exc:
        crowd.charity_fund_submit(actor=cw["county"], fund_id=fund.pk)
    assert exc.value.code == "agreement_missing" and "agreement_scan" in exc.value.fields


def test_a_lapsed_qualification_stops_new_donations(cw):
    fund = cf.charity_fund(cw, cw.charity)
    cf.donate(cw, fund, "10.00")
    crowd.holder_update_qualification(
        actor=cw["county"], holder_id=cw.charity.pk, fundraising_certificate="鲁民募字〔2024〕3号",
        fundraising_authority="东营市民政局", fundraising_valid_from=datetime.date(2024, 1, 1),
        fundraising_valid_until=datetime.date(2026, 6, 30), reason="资格到期",
    )  # fmt: skip
    with pytest.raises(Conflict) as exc:
        cf.donate(cw, fund, "10.00")
    assert exc.value.code == "qualification_lapsed" and Donation.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("协议.exe", b"MZ\x90\x00" + b"\x00" * 20, "upload_type_not_allowed"),
        ("协议.pdf", b"<html>not a pdf</html>", "upload_type_not_allowed"),
        ("协议.pdf", cf.PNG, "upload_type_mismatch"),  # a PNG named .pdf
        ("协议.png", cf.PDF, "upload_type_mismatch"),
        ("协议.pdf", b"", "upload_empty"),
    ],
)
def test_bad_uploads_are_refused(cw, name, content, code):
    fund = cf.charity_fund(cw, cw.charity, open_it=False, scan=None)
    with pytest.raises(InvalidInput) as exc:
        crowd.charity_fund_upload_agreement(actor=cw["county"], fund_id=fund.pk, filename=name,
                                            content=content)  # fmt: skip
    assert exc.value.code == code and "file" in exc.value.fields
    fund.refresh_from_db()
    assert not fund.agreement_scan


def test_too_large_upload_is_refused(cw, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    fund = cf.charity_fund(cw, cw.charity, open_it=False, scan=None)
    with pytest.raises(InvalidInput) as exc:
        crowd.charity_fund_upload_agreement(
            actor=cw["county"], fund_id=fund.pk, filename="a.pdf", content=cf.PDF + b"0" * 2000
        )
    assert exc.value.code == "upload_too_large"


def test_images_are_accepted(cw):
    fund = cf.charity_fund(cw, cw.charity, open_it=False, scan=None)
    fund = crowd.charity_fund_upload_agreement(actor=cw["county"], fund_id=fund.pk,
                                               filename="scan.PNG", content=cf.PNG)  # fmt: skip
    assert fund.agreement_scan_type == "image/png" and fund.agreement_scan.name.endswith(".png")


def test_the_scan_is_stored_privately_not_under_media(cw, settings):
    fund = cf.charity_fund(cw, cw.charity, open_it=False, scan=None)
    fund = crowd.charity_fund_upload_agreement(actor=cw["county"], fund_id=fund.pk,
                                               filename="协议.pdf", content=cf.PDF)  # fmt: skip
    stored = Path(settings.PRIVATE_MEDIA_ROOT) / fund.agreement_scan.name
    assert stored.read_bytes() == cf.PDF
    assert not (Path(settings.MEDIA_ROOT)).exists() or not any(
        Path(settings.MEDIA_ROOT).rglob("*.pdf")
    )
    with pytest.raises(ValueError):
        _ = fund.agreement_scan.url  # no public address
