"""The crowdfunding API: flows through the services, the error shape naming the rule, the
public read without donor names, receipts as data and PDF, statements, query counts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string

from funds.campaigns import services as crowd
from funds.campaigns.models import Campaign, Donation
from tests.funds import campaign_factories as cf

pytestmark = pytest.mark.django_db


@pytest.fixture
def cw(fw, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "public")
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    cf.setup_policies(fw)
    fw.charity = cf.holder(fw)
    return fw


def _body(cw, **extra):
    return {"region": cw.r["town_a"].pk, "holder": cw.charity.pk, "title": "助老众筹",
            "purpose": "老年食堂", "target_amount": "2000.00", "starts_on": "2026-01-01",
            "ends_on": "2026-12-31", "outcome_rule": "all_or_nothing",
            "category": "elderly_care", **extra}  # fmt: skip


def _donation(c, **extra):
    return {"idempotency_key": "api-1", "campaign": c.pk, "donor_type": "resident",
            "donor_name": "孙七", "amount": "20.00", "channel": "online_platform",
            "channel_reference": "WX123", "donated_on": "2026-06-01", **extra}  # fmt: skip


def test_campaign_flow_over_the_api(cw, client_for):
    api = client_for(cw["county"])
    r = api.post("/api/v1/campaigns/", _body(cw), format="json")
    assert r.status_code == 201, r.json()
    cid = r.json()["id"]
    assert r.json()["state"] == "draft" and r.json()["raised"] == "0.00"
    r = api.post(f"/api/v1/campaigns/{cid}/submit/", {}, format="json")
    assert r.status_code == 201
    cf.approve(cw, "funds.campaign", cid)
    assert api.post(f"/api/v1/campaigns/{cid}/open/", {}, format="json").status_code == 200
    r = api.post("/api/v1/donations/", _donation(Campaign(pk=cid)), format="json")
    assert r.status_code == 201, r.json()
    again = api.post("/api/v1/donations/", _donation(Campaign(pk=cid)), format="json")
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
    assert Donation.objects.count() == 1
    r = api.post(f"/api/v1/campaigns/{cid}/close/", {"reason": "期满"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "failed"
    assert r.json()["job"]["kind"] == "funds.campaign_refund"


def test_donation_to_an_unapproved_campaign_is_a_409_naming_the_rule(cw, client_for):
    c = cf.campaign(cw, cw.charity, state="draft")
    r = client_for(cw["county"]).post("/api/v1/donations/", _donation(c), format="json")
    assert r.status_code == 409
    assert r.json()["code"] == "campaign_not_open" and "campaign" in r.json()["fields"]
    assert not Donation.objects.exists()


def test_out_of_scope_campaign_in_a_body_is_a_400_naming_the_field(cw, client_for):
    c = cf.campaign(cw, cw.charity)
    r = client_for(cw["other_county"]).post("/api/v1/donations/", _donation(c), format="json")
    assert r.status_code == 400 and "campaign" in r.json()["fields"]
    assert client_for(cw["other_county"]).get(f"/api/v1/campaigns/{c.pk}/").status_code == 404


def test_receipt_for_sponsorship_is_a_400(cw, client_for):
    c = cf.campaign(cw, cw.charity)
    s = cf.donate(cw, c, nature="sponsorship", benefit="冠名")
    r = client_for(cw["county"]).post(f"/api/v1/donations/{s.pk}/receipt/", {}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "receipt_for_sponsorship"


def test_receipt_as_data_and_pdf(cw, client_for):
    c = cf.campaign(cw, cw.charity)
    d = cf.donate(cw, c, "88.00", donor_name="周八")
    api = client_for(cw["county"])
    r = api.post(f"/api/v1/donations/{d.pk}/receipt/", {}, format="json")
    assert r.status_code == 201
    rid = r.json()["id"]
    detail = api.get(f"/api/v1/receipts/{rid}/").json()
    assert detail["printed"]["donor_name"] == "周八" and detail["printed"]["amount"] == "88.00"
    assert detail["printed"]["purpose"] == c.title and not detail["printed"]["void"]
    assert detail["printed"]["amount_in_capitals"] == "捌拾捌元整"
    html = render_to_string("funds/receipt.html", {"r": detail["printed"]})
    assert "捌拾捌元整" in html and "金额大写" in html
    pdf = api.get(f"/api/v1/receipts/{rid}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    r = api.post(f"/api/v1/receipts/{rid}/void/", {"reason": "开错"}, format="json")
    assert r.json()["state"] == "void" and r.json()["number"] == 1


def test_public_read_needs_no_login_and_hides_anonymous_names(cw, client):
    c = cf.campaign(cw, cw.charity)
    cf.donate(cw, c, donor_name="匿名者真名", anonymous=True)
    body = client.get(f"/api/v1/campaigns/{c.pk}/public/").json()
    assert body["donations"] == 1 and "匿名者真名" not in str(body)
    draft = cf.campaign(cw, cw.charity, state="draft", title="草稿")
    assert client.get(f"/api/v1/campaigns/{draft.pk}/public/").status_code == 404


def test_statement_json_csv_pdf(cw, client_for):
    c = cf.campaign(cw, cw.charity)
    cf.donate(cw, c, "10.00", donor_name="吴九", donor_identifier="ID9")
    api = client_for(cw["auditor"])
    q = {"donor_name": "吴九", "donor_identifier": "ID9", "year": 2026}
    assert len(api.get("/api/v1/donations/statement/", q).json()["rows"]) == 1
    csv_ = api.get("/api/v1/donations/statement/export/", {**q, "file_type": "csv"})
    assert csv_["Content-Type"].startswith("text/csv") and b"10.00" in csv_.content
    pdf = api.get("/api/v1/donations/statement/export/", {**q, "file_type": "pdf"})
    assert pdf.content.startswith(b"%PDF-")
    assert client_for(cw["staff"]).get("/api/v1/donations/statement/", q).status_code == 403


def test_agreement_upload_checks_content(cw, client_for):
    fund = cf.charity_fund(cw, cw.charity, open_it=False, scan=None)
    api = client_for(cw["county"])
    fake = SimpleUploadedFile("协议.pdf", b"GIF89a not a pdf", content_type="application/pdf")
    r = api.post(f"/api/v1/charity-funds/{fund.pk}/agreement/", {"file": fake}, format="multipart")
    assert r.status_code == 400 and r.json()["code"] == "upload_type_not_allowed"
    good = SimpleUploadedFile("协议.pdf", cf.PDF, content_type="application/pdf")
    r = api.post(f"/api/v1/charity-funds/{fund.pk}/agreement/", {"file": good}, format="multipart")
    assert r.status_code == 200 and r.json()["has_agreement_scan"]
    r = api.post(f"/api/v1/charity-funds/{fund.pk}/submit/", {}, format="json")
    assert r.status_code == 201


def test_agreement_scan_is_served_in_scope_only(cw, client_for):
    fund = cf.charity_fund(cw, cw.charity, open_it=False, scan=None)
    url = f"/api/v1/charity-funds/{fund.pk}/agreement-scan/"
    r = client_for(cw["county"]).get(url)
    assert r.status_code == 400 and r.json()["code"] == "no_scan"
    crowd.charity_fund_upload_agreement(actor=cw["county"], fund_id=fund.pk, filename="a.pdf",
                                        content=cf.PDF)  # fmt: skip
    r = client_for(cw["auditor"]).get(url)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    assert b"".join(r.streaming_content) == cf.PDF and r["X-Content-Type-Options"] == "nosniff"
    assert client_for(cw["other_county"]).get(url).status_code == 404


def test_fund_without_qualification_is_a_400(cw, client_for):
    plain = cf.holder(cw, name="普通慈善会", fundraising_certificate="")
    body = {"region": cw.r["comm_a1"].pk, "host": plain.pk, "name": "基金",
            "expected_amount": "1000.00"}  # fmt: skip
    r = client_for(cw["county"]).post("/api/v1/charity-funds/", body, format="json")
    assert r.status_code == 400 and r.json()["code"] == "host_not_qualified"


@pytest.mark.parametrize("n", [1, 6])
def test_list_query_counts_do_not_grow(cw, client_for, django_assert_max_num_queries, n):
    for i in range(n):
        c = cf.campaign(cw, cw.charity, title=f"众筹{i}")
        d = cf.donate(cw, c)
        from funds.campaigns import services as crowd

        crowd.receipt_issue(actor=cw["county"], donation_id=d.pk)
    cf.charity_fund(cw, cw.charity, open_it=False, scan=None)
    api = client_for(cw["county"])
    for url in ("/api/v1/campaigns/", "/api/v1/donations/", "/api/v1/receipts/",
                "/api/v1/charity-funds/", "/api/v1/fundraising-holders/"):  # fmt: skip
        with django_assert_max_num_queries(8):
            assert api.get(url).status_code == 200
