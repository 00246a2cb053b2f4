"""The whole money path through the HTTP API only (issue 16, part 1).

Each step is taken by its own person with their own token login (POST /api/v1/auth/token/):
township finance officer 王会计 makes, a second officer 李审批 approves, federation staff
张社工 (and 陈社工) keep custody, the member's representative 赵队长 claims, auditor 孙审计
reads. Users and role assignments are made by an administrator through the access services
(conftest); everything after that is an HTTP request.

    sources (welfare 100,000.00 + party 50,000.00) ── budget lines W 60,000.00 / P 30,000.00
      ── allocations 12,345.67 (W) + 7,654.33 (P), reserved on approval, posted at signing
      ── milestone 15,000.00, split pro rata: W 9,259.26 / P 5,740.74, into 赵队长's team's
         custodial account (receivable until staff confirm it with the bank reference)
      ── expense claim 2,000.00 (W 1,200.50 to the venue, P 799.50 to the print shop)
      ── close-out: W 3,086.41 and P 1,913.59 back to their lines
    campaign for the project: three donations (100.00 + 250.50 + 1,000.00), three receipts
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.django_db

YEAR = 2026
STEP_KINDS = (
    "funding_source", "budget", "project", "allocation", "contract", "milestone_payment",
    "crowdfunding_campaign",
)  # fmt: skip


def d(value) -> Decimal:
    return Decimal(value)


# --------------------------------------------------------------------------- people


@dataclass
class Person:
    """One person's HTTP session: logged in with their own token."""

    key: str
    user: object
    client: APIClient

    def _check(self, response, expect):
        assert response.status_code == expect, (
            f"{self.key} {response.request['REQUEST_METHOD']} {response.request['PATH_INFO']}: "
            f"{response.status_code} {getattr(response, 'data', response.content)!r}"
        )
        return response

    def post(self, path, body=None, *, expect=201, multipart=False):
        response = self.client.post(
            f"/api/v1/{path}", body or {}, format="multipart" if multipart else "json"
        )
        self._check(response, expect)
        return response.json()

    def get(self, path, *, expect=200, **query):
        response = self._check(self.client.get(f"/api/v1/{path}", query), expect)
        return (
            response.json()
            if response["Content-Type"].startswith("application/json")
            else (response)
        )


def login(key, user) -> Person:
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/",
        {"username": user.username, "password": PASSWORD, "name": "e2e"},
        format="json",
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["username"] == user.username
    return Person(key, user, client)


# --------------------------------------------------------------------------- files


def png(name="凭证.png") -> SimpleUploadedFile:
    """A real (tiny) PNG image."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def pdf(name="scan.pdf") -> SimpleUploadedFile:
    """A real (one-page) PDF."""
    buffer = io.BytesIO()
    Image.new("RGB", (60, 80), (255, 255, 255)).save(buffer, "PDF")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


# --------------------------------------------------------------------------- the path


@dataclass
class Path:
    r: dict
    p: dict  # key → Person
    o: dict = field(default_factory=dict)  # what the steps made, by name

    def __getattr__(self, name):
        try:
            return self.__dict__["p"][name]
        except KeyError:
            raise AttributeError(name) from None

    def approve(self, owner_type, owner_id, *, by="checker", reason="同意"):
        """The approver finds the request in their inbox (待我审批) and approves it."""
        person = self.p[by]
        inbox = person.get("approvals/", page_size=200)["results"]
        mine = [a for a in inbox if (a["owner_type"], a["owner_id"]) == (owner_type, owner_id)]
        assert len(mine) == 1, f"{owner_type} #{owner_id} not in {by}'s inbox: {inbox!r}"
        decided = person.post(f"approvals/{mine[0]['id']}/approve/", {"reason": reason},
                              expect=200)  # fmt: skip
        assert decided["state"] == "approved", decided
        self.o.setdefault("approvals", []).append((owner_type, owner_id, mine[0]["id"]))
        return decided


def step_admin_opens_the_year_and_sets_policies(path):
    admin = path.admin
    admin.post("fiscal-years/", {"year": YEAR, "reason": "开启2026财年"})
    for kind in STEP_KINDS:
        admin.post("approval-policies/", {
            "kind": kind, "region": path.r["city"].pk, "reason": "乡镇财务一人审批",
            "tiers": [{"above_amount": "0.00", "level": "township", "count": 1}],
        })  # fmt: skip
    # Expense claims: a second federation staff member up to ¥5,000, above it a township
    # officer as well (escrow.services.CLAIM_POLICY_TIERS).
    admin.post("approval-policies/", {
        "kind": "expense_claim", "region": path.r["city"].pk, "reason": "联合会复核报销",
        "tiers": [{"above_amount": "0.00", "level": "federation", "count": 1},
                  {"above_amount": "5000.00", "level": "township", "count": 1}],
    })  # fmt: skip


def step_sources_recorded_and_approved(path):
    officer = path.officer
    for name, kind, title, amount, doc in (
        ("welfare", "community_welfare_subsidy", "社区公益事业补助资金", "100000.00",
         "文汇财〔2026〕3号"),
        ("party", "party_service_fund", "党组织服务群众专项经费", "50000.00", "文汇组〔2026〕7号"),
    ):  # fmt: skip
        made = officer.post("funding-sources/", {
            "name": f"2026年文汇街道{title}",
            "kind": kind, "fiscal_year": YEAR, "region": path.r["town_a"].pk,
            "issuer": "文汇街道办事处", "document_number": doc, "appropriated_amount": amount,
        })  # fmt: skip
        assert made["state"] == "draft"
        officer.post(f"funding-sources/{made['id']}/submit/", {"reason": "年度资金下达"})
        # Maker–checker: the officer who recorded it cannot approve it.
        assert not [a for a in officer.get("approvals/")["results"] if a["owner_id"] == made["id"]]
        path.approve("funds.fundingsource", made["id"], reason="文件齐全，同意入账")
        source = officer.get(f"funding-sources/{made['id']}/")
        assert source["state"] == "approved" and source["account"], source
        path.o[f"source_{name}"] = source


def step_budget_with_lines_approved(path):
    officer = path.officer
    budget = officer.post("budgets/", {
        "region": path.r["town_a"].pk, "fiscal_year": YEAR, "title": "文汇街道2026年度购买服务预算",
    })  # fmt: skip
    for name, amount in (("welfare", "60000.00"), ("party", "30000.00")):
        officer.post("budget-lines/", {
            "budget": budget["id"], "category": "elderly_care",
            "source": path.o[f"source_{name}"]["id"], "amount": amount,
        })  # fmt: skip
    officer.post(f"budgets/{budget['id']}/submit/", {})
    path.approve("funds.budget", budget["id"], reason="预算与资金来源一致")
    budget = officer.get(f"budgets/{budget['id']}/")
    assert budget["state"] == "approved", budget
    by_source = {line["source"]: line for line in budget["lines"]}
    path.o["line_welfare"] = by_source[path.o["source_welfare"]["id"]]
    path.o["line_party"] = by_source[path.o["source_party"]["id"]]
    assert all(line["account"] for line in budget["lines"])


def step_custodial_account_opened(path):
    account = path.staff.post("custodial-accounts/", {
        "federation": path.r["federation_a"].pk, "organization": path.r["org_a"].pk,
        "reason": "成员无法人资格，由联合会代管资金",
    })  # fmt: skip
    assert account["state"] == "active"
    path.o["custodial"] = account


def step_need_and_offer_matched_into_a_project(path):
    need = path.officer.post("demands/", {
        "community": path.r["comm_a1"].pk, "title": "独居老人助餐", "category": "elderly_care",
        "beneficiary_count": 40, "beneficiaries": "府前社区独居老人",
    })  # fmt: skip
    offer = path.rep.post("offers/", {
        "organization": path.r["org_a"].pk, "title": "志愿助餐送餐", "category": "elderly_care",
        "area": path.r["town_a"].pk, "price_min": "5000.00", "price_max": "30000.00",
        "capacity": 60,
    })  # fmt: skip
    suggestions = path.officer.get(f"demands/{need['id']}/suggestions/")
    assert offer["id"] in [s["offer"] for s in suggestions], suggestions
    project = path.officer.post("projects/from-match/", {
        "demand": need["id"], "offer": offer["id"], "purchaser": path.r["town_a"].pk,
        "catalogue_code": "A0501", "fiscal_year": YEAR, "budget_amount": "20000.00",
        "title": "府前社区独居老人助餐服务",
    })  # fmt: skip
    # An unincorporated member: its township's federation undertakes in custody.
    assert project["custody_federation"] == path.r["federation_a"].pk, project
    assert project["member"] == path.r["org_a"].pk and not project["undertaker"]
    path.officer.post(f"projects/{project['id']}/submit/", {"reason": "供需对接立项"},
                      expect=200)  # fmt: skip
    path.approve("projects.project", project["id"], reason="符合指导性目录，同意立项")
    project = path.officer.get(f"projects/{project['id']}/")
    assert project["state"] == "approved"
    path.o["project"] = project


def step_allocations_reserved_then_posted_at_signing(path):
    officer, project = path.officer, path.o["project"]
    allocations = {}
    for name, amount in (("welfare", "12345.67"), ("party", "7654.33")):
        made = officer.post("allocations/", {
            "project": project["id"], "line": path.o[f"line_{name}"]["id"], "amount": amount,
        })  # fmt: skip
        officer.post(f"allocations/{made['id']}/submit/", {"reason": "安排项目资金"},
                     expect=200)  # fmt: skip
        path.approve("projects.allocation", made["id"], reason="预算指标充足")
        allocations[name] = officer.get(f"allocations/{made['id']}/")
        assert allocations[name]["state"] == "reserved", allocations[name]
    path.o["allocations"] = allocations
    # Reserved, not yet posted: the line still holds the money, pending on it.
    line = path.auditor.get(f"ledger/accounts/{path.o['line_welfare']['account']}/")
    assert (d(line["posted"]), d(line["pending"])) == (d("60000.00"), d("12345.67"))

    officer.post("milestones/", {
        "project": project["id"], "number": 1, "title": "全年助餐服务", "due_on": "2026-06-30",
        "amount": "15000.00", "deliverables": "每周五次助餐，服务记录",
    })  # fmt: skip
    contract = officer.post("contracts/", {
        "project": project["id"], "content": "为府前社区独居老人提供助餐服务",
        "term_start": "2026-03-01", "term_end": "2026-12-31", "price": "15000.00",
        "settlement_terms": "验收后支付",
    })  # fmt: skip
    officer.post(f"contracts/{contract['id']}/submit/", {"reason": "合同送审"}, expect=200)
    path.approve("projects.contract", contract["id"], reason="合同条款合规")
    signed = officer.post(f"contracts/{contract['id']}/sign/",
                          {"signed_on": "2026-03-01", "scan": pdf("合同.pdf")},
                          multipart=True, expect=200)  # fmt: skip
    assert signed["state"] == "signed" and signed["has_scan"], signed
    for name, allocation in allocations.items():
        assert officer.get(f"allocations/{allocation['id']}/")["state"] == "committed", name
    line = path.auditor.get(f"ledger/accounts/{path.o['line_welfare']['account']}/")
    assert (d(line["posted"]), d(line["pending"])) == (d("47654.33"), d("0.00"))
    path.o["contract"] = signed


def step_milestone_accepted_paid_and_confirmed(path):
    project = path.o["project"]
    (milestone,) = path.officer.get("milestones/", project=project["id"])["results"]
    path.rep.post(f"projects/{project['id']}/transition/",
                  {"to": "in_progress", "reason": "服务开始"}, expect=200)  # fmt: skip
    path.staff.post(f"milestones/{milestone['id']}/progress/",
                    {"note": "三月至六月共助餐96次", "delivered": True}, expect=200)  # fmt: skip
    path.staff.post(f"projects/{project['id']}/visits/",
                    {"visited_on": "2026-05-20", "progress": "现场查看助餐点"})  # fmt: skip
    evidence = path.staff.post(f"milestones/{milestone['id']}/evidence/",
                               {"file": png("助餐签到表.png")}, multipart=True)  # fmt: skip
    assert evidence["content_type"] == "image/png"
    accepted = path.officer.post(f"milestones/{milestone['id']}/accept/",
                                 {"accepted_on": "2026-07-01", "note": "验收合格，签到表齐全"},
                                 expect=200)  # fmt: skip
    assert accepted["state"] == "accepted"
    payment = path.officer.post(f"milestones/{milestone['id']}/pay/",
                                {"idempotency_key": "e2e-milestone-1"})  # fmt: skip
    again = path.officer.post(f"milestones/{milestone['id']}/pay/",
                              {"idempotency_key": "e2e-milestone-1"}, expect=200)  # fmt: skip
    assert again["id"] == payment["id"] and again["replayed"] is True
    path.approve("projects.milestonepayment", payment["id"], reason="已验收，同意支付")
    assert path.officer.get(f"milestones/{milestone['id']}/")["state"] == "paid"

    account = path.o["custodial"]
    receivable = path.staff.get(f"custodial-accounts/{account['id']}/receivable/")
    assert sorted(d(r["amount"]) for r in receivable) == [d("5740.74"), d("9259.26")]
    before = path.rep.get(f"custodial-accounts/{account['id']}/")
    assert (d(before["posted"]), d(before["receivable"])) == (d("0.00"), d("15000.00"))
    for i, row in enumerate(receivable, start=1):
        deposit = path.staff.post("deposits/confirm/", {
            "transfer": row["transfer"], "bank_reference": f"NS20260705-{i}",
            "reason": "银行回单已核对",
        }, expect=200)  # fmt: skip
        assert deposit["state"] == "confirmed" and deposit["kind"] == "milestone", deposit
    after = path.rep.get(f"custodial-accounts/{account['id']}/")
    assert (d(after["posted"]), d(after["receivable"])) == (d("15000.00"), d("0.00"))
    path.o["milestone"], path.o["payment"] = milestone, payment


def step_claim_submitted_approved_and_paid(path):
    account, project = path.o["custodial"], path.o["project"]
    claim = path.rep.post("expense-claims/", {"account": account["id"], "title": "助餐场地与宣传"})
    for category, amount, payee, bank, number, source in (
        ("venue", "1200.50", "府前社区居委会", "农业银行", "6228481234567890",
         "source_welfare"),
        ("materials", "799.50", "文汇印务", "工商银行", "6222021234567890123",
         "source_party"),
    ):  # fmt: skip
        path.rep.post(f"expense-claims/{claim['id']}/lines/", {
            "category": category, "amount": amount, "payee_name": payee, "payee_bank": bank,
            "payee_account_number": number, "funding_source": path.o[source]["id"],
            "project": project["id"], "description": "助餐服务",
        })  # fmt: skip
    voucher = path.rep.post(f"expense-claims/{claim['id']}/vouchers/", {"file": png("发票.png")},
                            multipart=True)  # fmt: skip
    path.rep.post(f"expense-claims/{claim['id']}/submit/", {}, expect=200)
    forwarded = path.staff.post(f"expense-claims/{claim['id']}/forward/",
                                {"reason": "凭证齐全，送审"})  # fmt: skip
    # Maker–checker: the staff member who forwarded it does not find it in their inbox.
    waiting = path.staff.get("approvals/", kind="expense_claim")["results"]
    assert claim["id"] not in [a["owner_id"] for a in waiting], waiting
    path.approve("escrow.expenseclaim", claim["id"], by=CLAIM_APPROVER, reason="支出合规，同意")
    assert path.staff.get(f"approvals/{forwarded['approval_request']}/")["state"] == "approved"
    approved = path.staff.get(f"expense-claims/{claim['id']}/")
    assert approved["state"] == "approved" and d(approved["total"]) == d("2000.00")
    paid = path.staff.post(f"expense-claims/{claim['id']}/pay/", {
        "payout_reference": "FK20260715-01", "idempotency_key": "e2e-claim-1",
        "reason": "已网银转账",
    }, expect=200)  # fmt: skip
    assert paid["state"] == "paid", paid
    # The voucher is the real file, served to the people who see the claim.
    served = path.staff.get(f"expense-claims/{claim['id']}/vouchers/{voucher['id']}/")
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")
    path.o["claim"] = paid


# Who decides an expense claim in the engine: a second federation staff member (the one
# who forwarded it made it, as far as the engine is concerned).
CLAIM_APPROVER = "staff2"


def step_campaign_for_the_project(path):
    """Open for donations now (a campaign takes gifts only between its dates, none in the
    future): its dates are today's, whatever day the test runs."""
    officer = path.officer
    today = timezone.localdate()
    ends = today + datetime.timedelta(days=60)
    if today.year != YEAR:
        path.admin.post("fiscal-years/", {"year": today.year, "reason": "众筹所在年度"})
    holder = officer.post("fundraising-holders/", {
        "kind": "charity", "name": "东营市慈善总会文汇分会", "region": path.r["town_a"].pk,
        "fundraising_certificate": "东民慈〔2024〕12号", "fundraising_authority": "东营市民政局",
        "fundraising_valid_from": "2024-01-01", "fundraising_valid_until": "2030-12-31",
    })  # fmt: skip
    campaign = officer.post("campaigns/", {
        "region": path.r["town_a"].pk, "holder": holder["id"],
        "title": f"为“{path.o['project']['title']}”众筹", "purpose": "助餐食材与送餐",
        "target_amount": "1000.00", "starts_on": str(today), "ends_on": str(ends),
        "outcome_rule": "keep_what_raised", "category": "elderly_care",
    })  # fmt: skip
    officer.post(f"campaigns/{campaign['id']}/submit/", {})
    path.approve("funds.campaign", campaign["id"], reason="募捐主体有公开募捐资格")
    officer.post(f"campaigns/{campaign['id']}/open/", {}, expect=200)
    project_id = path.o["project"]["id"]
    linked = officer.post(f"projects/{project_id}/campaigns/",
                          {"campaign": campaign["id"], "reason": "为本项目募集"})  # fmt: skip
    assert linked["project_ref"] == f"projects.project:{project_id}", linked
    receipts = []
    for i, (donor_type, name, amount) in enumerate((
        ("resident", "刘大爷", "100.00"),
        ("social_organization", "东营区义工协会", "250.50"),
        ("enterprise", "东营鲁信超市有限公司", "1000.00"),
    ), start=1):  # fmt: skip
        donation = officer.post("donations/", {
            "idempotency_key": f"e2e-donation-{i}", "campaign": campaign["id"],
            "donor_type": donor_type, "donor_name": name, "amount": amount,
            "channel": "bank_transfer", "channel_reference": f"JZ2026060{i}",
            "donated_on": str(today),
        })  # fmt: skip
        receipt = officer.post(f"donations/{donation['id']}/receipt/", {})
        receipts.append(receipt)
        pdf_response = officer.get(f"receipts/{receipt['id']}/pdf/")
        assert pdf_response["Content-Type"] == "application/pdf"
    numbers = [r["number"] for r in receipts]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3, receipts
    public = path.rep.client.get(f"/api/v1/campaigns/{campaign['id']}/public/").json()
    assert d(public["raised"]) == d("1350.50"), public
    (for_project,) = officer.get(f"projects/{project_id}/campaigns/")
    assert for_project["id"] == campaign["id"] and d(for_project["raised"]) == d("1350.50")
    path.o["campaign"] = officer.get(f"campaigns/{campaign['id']}/")


def step_evaluated_and_closed(path):
    project = path.o["project"]
    path.staff.post(f"projects/{project['id']}/transition/",
                    {"to": "delivered", "reason": "服务全部完成"}, expect=200)  # fmt: skip
    path.officer.post(f"projects/{project['id']}/transition/",
                      {"to": "accepted", "reason": "项目整体验收合格"}, expect=200)  # fmt: skip
    evaluation = path.officer.post("evaluations/", {
        "project": project["id"], "evaluator_kind": "purchaser", "evaluator_name": "文汇街道办事处",
        "evaluated_on": "2026-11-20", "summary": "服务满意度高",
        "criteria": [{"name": "服务质量", "weight": "60", "score": "90"},
                     {"name": "资金使用", "weight": "40", "score": "85"}],
    })  # fmt: skip
    assert d(evaluation["score"]) == d("88.00"), evaluation
    closed = path.officer.post(f"projects/{project['id']}/transition/",
                               {"to": "closed", "reason": "结项，结余资金退回预算"},
                               expect=200)  # fmt: skip
    assert closed["state"] == "closed"
    returned = {
        name: path.officer.get(f"allocations/{a['id']}/")
        for name, a in path.o["allocations"].items()
    }
    assert {n: (a["state"], d(a["returned"])) for n, a in returned.items()} == {
        "welfare": ("closed", d("3086.41")),
        "party": ("closed", d("1913.59")),
    }
    path.o["allocations"] = returned


# --------------------------------------------------------------------------- the end


def account(path, account_id) -> dict:
    return path.auditor.get(f"ledger/accounts/{account_id}/")


def shares(row) -> dict:
    return {s["source_account"]: d(s["posted"]) for s in row["by_source"] if d(s["posted"])}


def transfers(path, **filters) -> list[dict]:
    rows, url = [], "ledger/transfers/"
    page = path.auditor.get(url, page_size=500, **filters)
    rows.extend(page["results"])
    assert page["next"] is None
    return rows


def assert_balances(path):
    o = path.o
    tag = {name: o[f"source_{name}"]["money_tag"] for name in ("welfare", "party")}
    src = {name: account(path, o[f"source_{name}"]["account"]) for name in tag}
    line = {name: account(path, o[f"line_{name}"]["account"]) for name in tag}
    commitment = {name: account(path, a["account"]) for name, a in o["allocations"].items()}
    custodial = account(path, o["custodial"]["ledger_account"])
    expect = {
        "source": {"welfare": "40000.00", "party": "20000.00"},
        "line": {"welfare": "50740.74", "party": "24259.26"},
        "commitment": {"welfare": "0.00", "party": "0.00"},
    }
    for label, rows in (("source", src), ("line", line), ("commitment", commitment)):
        for name, row in rows.items():
            want = d(expect[label][name])
            assert (d(row["posted"]), d(row["pending"]), d(row["receivable"])) == (
                want, d("0.00"), d("0.00")), f"{label} {name}: {row}"  # fmt: skip
            # All of its money is its own source's (restricted funds).
            assert shares(row) == ({tag[name]: want} if want else {}), f"{label} {name}"
    assert (d(custodial["posted"]), d(custodial["pending"])) == (d("13000.00"), d("0.00"))
    assert shares(custodial) == {tag["welfare"]: d("8058.76"), tag["party"]: d("4941.24")}

    # Outside accounts: the township's treasury paid out both sources, the payees received
    # the claim, the donors gave the campaign.
    (treasury,) = {t["from_account"] for t in transfers(path, to_account=src["welfare"]["id"])}
    treasury = account(path, treasury)
    assert treasury["kind"] == "external" and d(treasury["posted"]) == d("-150000.00")
    assert shares(treasury) == {tag["welfare"]: d("-100000.00"), tag["party"]: d("-50000.00")}
    expense = transfers(path, from_account=custodial["id"], kind="expense")
    payees = {t["to_account"]: account(path, t["to_account"]) for t in expense}
    assert sorted((p["name"], d(p["posted"])) for p in payees.values()) == [
        ("府前社区居委会（农业银行 ************7890）", d("1200.50")),
        ("文汇印务（工商银行 ***************0123）", d("799.50")),
    ], payees
    campaign_source = path.officer.get(f"funding-sources/{o['campaign']['source']}/")
    campaign_account = account(path, campaign_source["account"])
    assert d(campaign_account["posted"]) == d("1350.50")
    (donors,) = {t["from_account"] for t in transfers(path, to_account=campaign_account["id"])}
    assert d(account(path, donors)["posted"]) == d("-1350.50")
    path.o["payees"] = payees
    path.o["treasury"] = treasury


def trace_to_payee(path, name, payee_name, amount):
    """Follow one source's money, by its tag, from the treasury to the payee: every hop a
    posted transfer of that source."""
    o = path.o
    tag = o[f"source_{name}"]["money_tag"]
    moved = {(t["from_account"], t["to_account"], t["kind"]): t
             for t in transfers(path, source=tag) if t["state"] == "posted"}  # fmt: skip
    hops = [
        (o["treasury"]["id"], o[f"source_{name}"]["account"], "funding"),
        (o[f"source_{name}"]["account"], o[f"line_{name}"]["account"], "budget"),
        (o[f"line_{name}"]["account"], o["allocations"][name]["account"], "allocation"),
        (o["allocations"][name]["account"], o["custodial"]["ledger_account"], "payment"),
        (o["custodial"]["ledger_account"],
         next(p["id"] for p in o["payees"].values() if p["name"].startswith(payee_name)),
         "expense"),
    ]  # fmt: skip
    for hop in hops:
        assert hop in moved, f"{name}: no posted {hop} among {sorted(moved)}"
    assert d(moved[hops[-1]]["amount"]) == d(amount)
    # And the unspent part went back to the line.
    back = (o["allocations"][name]["account"], o[f"line_{name}"]["account"], "refund")
    assert d(moved[back]["amount"]) == d(o["allocations"][name]["returned"])


def expected_by(owner_type) -> str:
    return CLAIM_APPROVER if owner_type == "escrow.expenseclaim" else "checker"


def assert_history(path):
    """The auditor's history of the project and each object of its path: every step, with
    who and why."""
    o, auditor = path.o, path.auditor
    names = {p.user.pk: p.user.first_name for p in path.p.values()}

    def versions(model, object_id):
        page = auditor.get("audit/history/", model=model, object_id=object_id, page_size=500)
        assert page["next"] is None
        return page["results"][::-1]  # oldest first

    project = versions("projects.project", o["project"]["id"])
    states = []
    for entry in project:
        state = next((c for c in entry["changes"] if c["field"] == "state"), None)
        if state:
            states.append((state["new"], names.get((entry["user"] or {}).get("id")),
                           entry["reason"]))  # fmt: skip
    assert [s for s, _who, _why in states] == [
        "draft",
        "submitted",
        "approved",
        "contracted",
        "in_progress",
        "delivered",
        "accepted",
        "closed",
    ], states
    assert [who for _s, who, _why in states] == [
        "王会计",
        "王会计",
        "李审批",
        "王会计",
        "赵队长",
        "张社工",
        "王会计",
        "王会计",
    ], states
    assert all(why for _s, _who, why in states), states
    assert states[-1][2] == "结项，结余资金退回预算"
    assert "同意立项" in states[2][2]

    def who_and_why(model, object_id):
        rows = versions(model, object_id)
        assert rows, (model, object_id)
        assert all((e["user"] or {}).get("id") for e in rows), rows
        return [(names.get(e["user"]["id"]), e["reason"]) for e in rows]

    for allocation in o["allocations"].values():
        trail = who_and_why("projects.allocation", allocation["id"])
        assert ("李审批", "预算指标充足") in trail, trail
        assert any(who == "王会计" and "结项" in why for who, why in trail), trail
    milestone = who_and_why("projects.milestone", o["milestone"]["id"])
    assert ("王会计", "验收合格，签到表齐全") in milestone, milestone
    claim = who_and_why("escrow.expenseclaim", o["claim"]["id"])
    assert ("张社工", "凭证齐全，送审") in claim and ("张社工", "已网银转账") in claim, claim
    # The decisions themselves, with who and why, on the requests.
    for owner_type, _owner_id, request_id in o["approvals"]:
        request = auditor.get(f"approvals/{request_id}/")
        (decision,) = request["decisions"]
        assert decision["reason"] and decision["verdict"] == "approve", request
        assert decision["user"] == path.p[expected_by(owner_type)].user.pk, request
        assert request["submitter"]["id"] != decision["user"], request  # maker–checker
    # The money: every transfer of the project's commitments is in the timeline.
    for allocation in o["allocations"].values():
        rows = transfers(path, account=allocation["account"])
        assert {t["kind"] for t in rows} == {"allocation", "payment", "refund"}, rows
    timeline = auditor.get("audit/history/", model="ledger.transfer", page_size=500)
    assert {t["id"] for t in transfers(path, account=o["custodial"]["ledger_account"])} <= {
        int(e["object_id"]) for e in timeline["results"]
    }


def test_the_whole_money_path_through_the_api(people):
    regions, users = people
    path = Path(r=regions, p={key: login(key, user) for key, user in users.items()})
    step_admin_opens_the_year_and_sets_policies(path)
    step_sources_recorded_and_approved(path)
    step_budget_with_lines_approved(path)
    step_custodial_account_opened(path)
    step_need_and_offer_matched_into_a_project(path)
    step_allocations_reserved_then_posted_at_signing(path)
    step_milestone_accepted_paid_and_confirmed(path)
    step_claim_submitted_approved_and_paid(path)
    step_campaign_for_the_project(path)
    step_evaluated_and_closed(path)

    assert_balances(path)
    trace_to_payee(path, "welfare", "府前社区居委会", "1200.50")
    trace_to_payee(path, "party", "文汇印务", "799.50")
    assert_history(path)
    call_command("ledger_verify")
    call_command("audit_verify")
