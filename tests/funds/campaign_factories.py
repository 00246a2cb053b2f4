"""Crowdfunding test builders over the funds world: holders, campaigns approved and opened
through the services and the approval engine, donations, charity funds."""

from __future__ import annotations

import datetime
import itertools

from approvals import services as approvals
from approvals.models import ApprovalRequest
from funds.campaigns import services as crowd
from funds.campaigns.models import Campaign, CharityFund
from tests.funds.factories import TIERS

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
TODAY = datetime.date(2026, 11, 30)
_keys = itertools.count(1)


def setup_policies(fw) -> None:
    for kind in (crowd.STEP_CAMPAIGN, crowd.STEP_CHARITY_FUND):
        approvals.policy_create(
            actor=fw["admin"], kind=kind, region=fw.r["city"], tiers=TIERS, reason="测试"
        )


def holder(fw, kind="charity", *, region="county", by="county", **fields):
    names = {"charity": "东营市慈善总会", "federation": "文汇街道联合会",
             "organization": "府前社区志愿服务队"}  # fmt: skip
    fields.setdefault("name", names[kind])
    if kind == "charity":
        fields.setdefault("fundraising_certificate", "鲁民募字〔2024〕3号")
        fields.setdefault("fundraising_authority", "东营市民政局")
        fields.setdefault("fundraising_valid_from", datetime.date(2024, 1, 1))
        fields.setdefault("fundraising_valid_until", datetime.date(2028, 12, 31))
    if kind == "federation":
        fields.setdefault("federation", fw.r["federation_a"].pk)
    return crowd.holder_create(actor=fw[by], kind=kind, region=fw.r[region].pk, **fields)


def approve(fw, owner_type, owner_id, by="county2"):
    request = ApprovalRequest.objects.get(owner_type=owner_type, owner_id=owner_id,
                                          state="pending")  # fmt: skip
    approvals.request_approve(actor=fw[by], request_id=request.pk, reason="同意")


def campaign(fw, the_holder, *, target="10000.00", rule="all_or_nothing", region="town_a",
             by="county", state="open", **fields) -> Campaign:  # fmt: skip
    fields.setdefault("title", "府前社区助老食堂众筹")
    fields.setdefault("purpose", "为社区老人提供午餐")
    fields.setdefault("starts_on", datetime.date(2026, 1, 1))
    fields.setdefault("ends_on", datetime.date(2026, 12, 31))
    fields.setdefault("category", "elderly_care")
    made = crowd.campaign_create(
        actor=fw[by], region=fw.r[region].pk, holder=the_holder.pk, target_amount=target,
        outcome_rule=rule, reason="测试", **fields,
    )  # fmt: skip
    if state in ("submitted", "approved", "open"):
        crowd.campaign_submit(actor=fw[by], campaign_id=made.pk, reason="请审批")
    if state in ("approved", "open"):
        approve(fw, "funds.campaign", made.pk)
    if state == "open":
        crowd.campaign_open(actor=fw[by], campaign_id=made.pk, reason="开始募捐")
    made.refresh_from_db()
    return made


def donate(fw, target, amount="100.00", *, by="county", key=None, **fields):
    fields.setdefault("donor_type", "resident")
    fields.setdefault("donor_name", "张三")
    fields.setdefault("channel", "bank_transfer")
    fields.setdefault("channel_reference", f"BANK{next(_keys)}")
    fields.setdefault("donated_on", datetime.date(2026, 6, 1))
    which = {"fund": target.pk} if isinstance(target, CharityFund) else {"campaign": target.pk}
    return crowd.donation_record(
        actor=fw[by], idempotency_key=key or f"k-{next(_keys)}", amount=amount, **which,
        **fields,
    )  # fmt: skip


def charity_fund(fw, host, *, region="comm_a1", by="county", open_it=True, scan=PDF,
                 **fields) -> CharityFund:  # fmt: skip
    fields.setdefault("name", "府前社区慈善基金")
    fields.setdefault("agreement_number", "合作协议2026-01")
    fields.setdefault("agreement_signed_on", datetime.date(2026, 1, 5))
    fields.setdefault("agreement_starts_on", datetime.date(2026, 1, 5))
    fields.setdefault("agreement_ends_on", datetime.date(2029, 1, 4))
    fund = crowd.charity_fund_create(actor=fw[by], region=fw.r[region].pk, host=host.pk,
                                     expected_amount="50000.00", **fields)  # fmt: skip
    if scan:
        crowd.charity_fund_upload_agreement(actor=fw[by], fund_id=fund.pk,
                                            filename="协议.pdf", content=scan)  # fmt: skip
    if open_it:
        crowd.charity_fund_submit(actor=fw[by], fund_id=fund.pk)
        approve(fw, "funds.charityfund", fund.pk)
    fund.refresh_from_db()
    return fund
