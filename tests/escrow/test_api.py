"""The escrow API: scoping (404 across federations, vouchers too), masking, list query
counts that do not grow with the rows, statements on demand, the dashboard."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escrow.models import ClaimState
from tests.escrow.factories import PDF, make_escrow_world

pytestmark = pytest.mark.django_db


def _deposit_b(ew, b):
    from escrow import services

    d = services.deposit_announce(
        actor=ew["staff_b"], account_id=b.pk, kind="other", funding_source_id=ew.source.pk,
        amount="500.00", payer="区民政局", idempotency_key="b-1",
    )  # fmt: skip
    services.deposit_confirm(actor=ew["staff_b"], transfer_id=d.transfer_id, bank_reference="B-b")


def test_other_federations_accounts_claims_and_vouchers_are_404(regions, client_for):
    from escrow import services

    ew = make_escrow_world(regions)
    b = services.account_open(actor=ew["staff_b"], federation_id=regions["federation_b"].pk,
                              organization_id=regions["org_b"].pk)  # fmt: skip
    _deposit_b(ew, b)
    claim_b = ew.claim("100.00", account=b, forward=False)
    voucher_b = claim_b.vouchers.get()
    staff_a = client_for(ew["staff"])
    assert staff_a.get(f"/api/v1/custodial-accounts/{b.pk}/").status_code == 404
    assert staff_a.get(f"/api/v1/expense-claims/{claim_b.pk}/").status_code == 404
    url = f"/api/v1/expense-claims/{claim_b.pk}/vouchers/{voucher_b.pk}/"
    assert staff_a.get(url).status_code == 404
    listed = staff_a.get("/api/v1/custodial-accounts/").json()["results"]
    assert [a["id"] for a in listed] == [ew.account.pk]
    # Their own staff and an auditor of the city read the voucher; a town-B auditor not A's.
    response = client_for(ew["staff_b"]).get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert client_for(ew["auditor"]).get(url).status_code == 200
    claim_a = ew.claim("50.00", forward=False)
    url_a = f"/api/v1/expense-claims/{claim_a.pk}/vouchers/{claim_a.vouchers.get().pk}/"
    assert client_for(ew["auditor_b"]).get(url_a).status_code == 404
    # An id of another federation named in a body: a 400 naming the field.
    response = client_for(ew["staff"]).post(
        "/api/v1/deposits/", {"account": b.pk, "kind": "other", "funding_source": ew.source.pk,
                              "amount": "1.00", "payer": "x", "idempotency_key": "k-x"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400 and "account" in response.json()["fields"]


def test_payee_numbers_masked_except_for_who_pays(ew, client_for):
    claim = ew.claim(forward=False)
    for user, shown in (("staff", "6222021234567890123"), ("rep", "***************0123"),
                        ("auditor", "***************0123")):  # fmt: skip
        body = client_for(ew[user]).get(f"/api/v1/expense-claims/{claim.pk}/").json()
        assert body["lines"][0]["payee_account_number"] == shown, user


def test_the_whole_claim_path_over_the_api(ew, client_for):
    rep, staff = client_for(ew["rep"]), client_for(ew["staff"])
    claim = rep.post("/api/v1/expense-claims/", {"account": ew.account.pk, "title": "活动物资"},
                     format="json").json()  # fmt: skip
    cid = claim["id"]
    response = rep.post(f"/api/v1/expense-claims/{cid}/lines/", {
        "category": "materials", "amount": "88.80", "payee_name": "文具店", "payee_bank": "工行",
        "payee_account_number": "6222 0212 3456 7890", "funding_source": ew.source.pk,
    }, format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    from django.core.files.uploadedfile import SimpleUploadedFile

    gif = SimpleUploadedFile("x.pdf", b"GIF89a....")
    bad = rep.post(f"/api/v1/expense-claims/{cid}/vouchers/", {"file": gif}, format="multipart")
    assert bad.status_code == 400 and "file" in bad.json()["fields"]
    good = rep.post(f"/api/v1/expense-claims/{cid}/vouchers/",
                    {"file": SimpleUploadedFile("x.pdf", PDF)}, format="multipart")  # fmt: skip
    assert good.status_code == 201
    assert rep.post(f"/api/v1/expense-claims/{cid}/submit/", {}, format="json").status_code == 200
    forwarded = staff.post(f"/api/v1/expense-claims/{cid}/forward/", {}, format="json").json()
    checker = client_for(ew["staff2"])
    inbox = checker.get("/api/v1/approvals/").json()
    assert [r["id"] for r in inbox["results"]] == [forwarded["approval_request"]]
    # Staff of another federation: not in their inbox, and the request is not found.
    other = client_for(ew["staff2_b"])
    assert other.get("/api/v1/approvals/").json()["results"] == []
    assert other.post(f"/api/v1/approvals/{forwarded['approval_request']}/approve/",
                      {"reason": "同意"}, format="json").status_code == 404  # fmt: skip
    approve = checker.post(
        f"/api/v1/approvals/{forwarded['approval_request']}/approve/", {"reason": "同意"},
        format="json")  # fmt: skip
    assert approve.status_code == 200
    body = {"payout_reference": "PAY-API-1", "idempotency_key": "api-pay-1"}
    paid = staff.post(f"/api/v1/expense-claims/{cid}/pay/", body, format="json")
    assert paid.status_code == 200 and paid.json()["state"] == ClaimState.PAID
    again = staff.post(f"/api/v1/expense-claims/{cid}/pay/", body, format="json")
    assert again.status_code == 200
    other = staff.post(f"/api/v1/expense-claims/{cid}/pay/",
                       {"payout_reference": "PAY-API-2", "idempotency_key": "api-pay-2"},
                       format="json")  # fmt: skip
    assert other.status_code == 409 and other.json()["code"] == "already_paid"
    on_demand = staff.get(f"/api/v1/statements/on-demand/?account={ew.account.pk}"
                          "&start=2024-01-01&end=2028-12-31").json()  # fmt: skip
    assert on_demand["closing_balance"] == "9911.20" and on_demand["movement_count"] == 2
    csv = staff.get(f"/api/v1/statements/on-demand/?account={ew.account.pk}"
                    "&start=2024-01-01&end=2028-12-31&file_type=csv")  # fmt: skip
    assert csv.status_code == 200 and csv.streaming  # sent as made
    assert "PAY-API-1" in b"".join(csv.streaming_content).decode("utf-8-sig")
    dash = staff.get("/api/v1/custodial-accounts/dashboard/").json()
    assert dash["total_held"] == "9911.20" and dash["members"][0]["account"] == ew.account.pk


@pytest.mark.parametrize(
    "url",
    ["/api/v1/custodial-accounts/", "/api/v1/deposits/", "/api/v1/expense-claims/",
     "/api/v1/statements/", "/api/v1/bank-statements/"],
)  # fmt: skip
def test_list_queries_do_not_grow_with_rows(ew, client_for, url):
    from escrow import statements

    client = client_for(ew["staff"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    ew.claim("10.00", forward=False)
    statements.statement_generate(account=ew.account, year=2025, month=1)
    few = count()
    for _ in range(3):
        ew.deposit("1.00")
        ew.claim("10.00", forward=False)
    for month in (2, 3, 4):
        statements.statement_generate(account=ew.account, year=2025, month=month)
    assert count() == few
