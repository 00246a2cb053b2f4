"""The crowdfunding admin: scoped Chinese pages, writes through the services, the campaign
steps as actions, the printable receipt and the donor statement page."""

import pytest

from funds.campaigns.models import Campaign, Donation, Receipt
from tests.funds import campaign_factories as cf
from tests.funds.test_admin import staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def cw(fw, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    cf.setup_policies(fw)
    fw.charity = cf.holder(fw)
    return fw


def test_pages_are_scoped_and_chinese(cw):
    c = cf.campaign(cw, cw.charity)
    d = cf.donate(cw, c)
    from funds.campaigns import services as crowd

    crowd.receipt_issue(actor=cw["county"], donation_id=d.pk)
    cf.charity_fund(cw, cw.charity, open_it=False)
    client = staff_client(cw["county"])
    for model in ("holder", "campaign", "donation", "receipt", "charityfund"):
        page = client.get(f"/admin/funds/{model}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert page.status_code == 200, model
    assert "众筹" in client.get("/admin/funds/campaign/").content.decode()
    other = staff_client(cw["other_county"])
    assert c.title not in other.get("/admin/funds/campaign/").content.decode()
    assert other.get(f"/admin/funds/campaign/{c.pk}/change/").status_code in (302, 404)


def test_add_a_campaign_and_run_its_steps_as_actions(cw):
    client = staff_client(cw["county"])
    form = {"title": "后台众筹", "purpose": "助残", "region": cw.r["town_a"].pk,
            "holder": cw.charity.pk, "target_amount": "100.00", "starts_on": "2026-01-01",
            "ends_on": "2026-12-31", "outcome_rule": "keep_what_raised",
            "category": "disability", "change_reason": "录入"}  # fmt: skip
    response = client.post("/admin/funds/campaign/add/", form)
    assert response.status_code == 302, response.content[:3000]
    c = Campaign.objects.get(title="后台众筹")
    assert c.source.kind == "crowdfunding" and c.history.first().history_change_reason == "录入"
    client.post("/admin/funds/campaign/", {"action": "submit", "_selected_action": [c.pk]})
    c.refresh_from_db()
    assert c.state == "submitted"
    cf.approve(cw, "funds.campaign", c.pk)
    client.post("/admin/funds/campaign/", {"action": "open_campaigns",
                                           "_selected_action": [c.pk]})  # fmt: skip
    c.refresh_from_db()
    assert c.state == "open"
    donation = {"campaign": c.pk, "donor_type": "agency", "donor_name": "区卫健局",
                "amount": "60.00", "channel": "bank_transfer", "channel_reference": "B77",
                "donated_on": "2026-06-01", "nature": "donation",
                "request_key": "admin-test-1"}  # fmt: skip
    assert client.post("/admin/funds/donation/add/", donation).status_code == 302
    assert client.post("/admin/funds/donation/add/", donation).status_code == 302  # resubmit
    assert Donation.objects.count() == 1
    d = Donation.objects.get()
    client.post("/admin/funds/donation/", {"action": "issue_receipts",
                                           "_selected_action": [d.pk]})  # fmt: skip
    r = Receipt.objects.get()
    pdf = client.get(f"/admin/funds/receipt/{r.pk}/download/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


def test_sponsorship_receipt_refusal_shows_as_a_message(cw):
    c = cf.campaign(cw, cw.charity)
    s = cf.donate(cw, c, nature="sponsorship", benefit="冠名")
    client = staff_client(cw["county"])
    action = {"action": "issue_receipts", "_selected_action": [s.pk]}
    page = client.post("/admin/funds/donation/", action, follow=True)
    assert not Receipt.objects.exists()
    assert "赞助" in page.content.decode()


def test_statement_page_and_downloads(cw):
    c = cf.campaign(cw, cw.charity)
    cf.donate(cw, c, "12.00", donor_name="郑十", donor_identifier="X1")
    client = staff_client(cw["auditor"])
    url = "/admin/funds/donation/statement/"
    page = client.get(url, {"donor_name": "郑十", "donor_identifier": "X1", "year": 2026})
    assert page.status_code == 200 and c.title in page.content.decode()
    csv = client.get(url, {"donor_name": "郑十", "donor_identifier": "X1", "year": 2026,
                           "file_type": "csv"})  # fmt: skip
    assert b"12.00" in csv.content
    assert staff_client(cw["staff"]).get(url).status_code == 403


def test_change_pages_open_in_every_state(cw):
    from funds.campaigns import services as crowd

    draft = cf.campaign(cw, cw.charity, state="draft", title="草稿")
    opened = cf.campaign(cw, cw.charity, title="进行中")
    d = cf.donate(cw, opened)
    r = crowd.receipt_issue(actor=cw["county"], donation_id=d.pk)
    fund = cf.charity_fund(cw, cw.charity)
    cancelled = cf.campaign(cw, cw.charity, state="approved", title="取消的")
    crowd.campaign_cancel(actor=cw["county"], campaign_id=cancelled.pk, reason="取消")
    client = staff_client(cw["county"])
    for url in (f"/admin/funds/campaign/{draft.pk}/change/",
                f"/admin/funds/campaign/{opened.pk}/change/",
                f"/admin/funds/campaign/{cancelled.pk}/change/",
                f"/admin/funds/donation/{d.pk}/change/", f"/admin/funds/receipt/{r.pk}/change/",
                f"/admin/funds/charityfund/{fund.pk}/change/",
                f"/admin/funds/holder/{cw.charity.pk}/change/",
                "/admin/funds/campaign/add/", "/admin/funds/donation/add/",
                "/admin/funds/charityfund/add/", "/admin/funds/holder/add/"):  # fmt: skip
        assert client.get(url).status_code == 200, url
    auditor = staff_client(cw["auditor"])
    assert auditor.get(f"/admin/funds/campaign/{opened.pk}/change/").status_code == 200


def test_read_only_pages_name_the_region(cw):
    c = cf.campaign(cw, cw.charity)
    fund = cf.charity_fund(cw, cw.charity, open_it=False)
    auditor = staff_client(cw["auditor"])
    page = auditor.get(f"/admin/funds/campaign/{c.pk}/change/").content.decode()
    assert cw.r["town_a"].name in page and "None" not in page
    page = auditor.get(f"/admin/funds/charityfund/{fund.pk}/change/").content.decode()
    assert cw.r["comm_a1"].name in page and "50000.00" in page and "None" not in page
    staff = staff_client(cw["staff"])
    assert "捐赠人年度对账单" not in staff.get("/admin/funds/donation/").content.decode()


def test_agreement_scan_opens_from_the_fund_page_in_scope_only(cw):
    fund = cf.charity_fund(cw, cw.charity, open_it=False)  # uploads a PDF scan
    county = staff_client(cw["county"])
    page = county.get(f"/admin/funds/charityfund/{fund.pk}/change/").content.decode()
    scan_url = f"/admin/funds/charityfund/{fund.pk}/scan/"
    assert scan_url in page
    response = county.get(scan_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert staff_client(cw["other_county"]).get(scan_url).status_code == 404
