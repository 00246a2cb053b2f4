"""Demo custody (idempotent): custodial accounts for the demo federation's members without
legal personality, deposits (arrived and still receivable), expense claims in every state,
an overdue advance, last month's statements and a reconciled bank month. Everything goes
through the services and the approval engine."""

from __future__ import annotations

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from access.models import Role, RoleAssignment, User
from approvals.models import ApprovalPolicy
from approvals.services import policy_create, request_approve, request_reject
from core.audited import set_reason
from core.documents import table_csv
from federations.eligibility import custody_organizations
from funds.models import ApprovalState, FundingSource

from . import reconciliation, services, statements
from .models import BankMatch, CustodialAccount, ExpenseClaim
from .selectors import transfers_of

REASON = "演示数据"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _all(role: str, **scope) -> list[User]:
    found = RoleAssignment.objects.filter(role=role, is_active=True, **scope).order_by("id")
    return [a.user for a in found.select_related("user")]


def _one(role: str, **scope) -> User | None:
    found = _all(role, **scope)
    return found[0] if found else None


def _voucher(name="发票.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def load(places: dict) -> None:
    federation, member = places["federation"], places["organization"]
    if federation is None or member is None:
        return
    if CustodialAccount.objects.filter(organization=member).exists():
        return  # loaded before
    admin = User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()
    # Two staff members: one forwards a claim, the other approves it (maker–checker).
    staff, checker = (_all(Role.FEDERATION_STAFF, federation=federation) + [None, None])[:2]
    rep = _one(Role.ORGANIZATION_REP, organization=member)
    officer = _one(Role.FINANCE_OFFICER, region=places["township"])
    if not (admin and staff and checker and rep and officer):
        return
    if not ApprovalPolicy.objects.filter(kind=services.STEP_CLAIM, is_active=True).exists():
        policy_create(actor=admin, kind=services.STEP_CLAIM, region=places["city"],
                      tiers=services.CLAIM_POLICY_TIERS, reason=REASON)  # fmt: skip
    source = (
        FundingSource.objects.filter(state=ApprovalState.APPROVED, money_tag__isnull=False)
        .order_by("id")
        .first()
    )
    if source is None:
        return
    members = [member] + [
        o for o in custody_organizations(federation=federation).order_by("id")[:6] if o != member
    ]
    accounts = []
    for i, org in enumerate(members[:5]):
        account = services.account_open(
            actor=staff, federation_id=federation.pk, organization_id=org.pk, reason=REASON
        )
        accounts.append(account)
        deposit = services.deposit_announce(
            actor=staff, account_id=account.pk, kind="other", funding_source_id=source.pk,
            amount=f"{(i + 2) * 4000}.00", payer="东营区民政局", memo="社区公益事业补助",
            idempotency_key=f"demo:deposit:{org.pk}:1", reason=REASON,
        )  # fmt: skip
        services.deposit_confirm(actor=staff, transfer_id=deposit.transfer_id,
                                 bank_reference=f"DY{org.pk:05d}01", reason=REASON)  # fmt: skip
    main = accounts[0]
    # Receivable: announced, not yet arrived (the demo organization's own receivable money
    # is the projects' milestone payments).
    services.deposit_announce(
        actor=staff, account_id=accounts[-1].pk, kind="other", funding_source_id=source.pk,
        amount="1500.00", payer="东营区民政局", memo="第二批补助（未到账）",
        idempotency_key=f"demo:deposit:{member.pk}:2", reason=REASON,
    )  # fmt: skip

    def claim(title, amount, *, advance=False, vouchers=True):
        made = services.claim_create(actor=rep, account_id=main.pk, title=title,
                                     is_advance=advance, reason=REASON)  # fmt: skip
        services.line_add(
            actor=rep, claim_id=made.pk, category="materials", amount=amount,
            payee_name="东营市惠民文具店", payee_bank="中国工商银行东营分行",
            payee_account_number="6222021612000123456", funding_source_id=source.pk,
            description=title,
        )  # fmt: skip
        if vouchers:
            services.voucher_add(actor=rep, claim_id=made.pk, file=_voucher())
        return made

    def submitted(title, amount, **kw):
        made = claim(title, amount, **kw)
        services.claim_submit(actor=rep, claim_id=made.pk, reason=REASON)
        return made

    def forwarded(title, amount, *, by=staff, **kw):
        made = submitted(title, amount, **kw)
        return made, services.claim_forward(actor=by, claim_id=made.pk, reason="凭证齐全")

    claim("重阳节活动物资（草稿）", "320.00")
    submitted("社区读书角图书（待联合会审核）", "860.00")
    # Forwarded by the second staff member: waits in the first one's 待我审批.
    forwarded("助老服务交通费（待审批）", "450.00", by=checker)
    # Above ¥5,000: the staff member approved, the township's finance officer has not yet
    # (submitted before the others reserve their money: ¥8,000 are available then).
    _made, request = forwarded("活动室改造（待街道审批）", "6000.00")
    request_approve(actor=checker, request_id=request.pk, reason="凭证齐全，同意")
    _made, request = forwarded("志愿者保险（已批准待支付）", "1200.00")
    request_approve(actor=checker, request_id=request.pk, reason="同意")
    paid, request = forwarded("春节慰问品（已支付）", "2300.00")
    request_approve(actor=checker, request_id=request.pk, reason="同意")
    services.claim_pay(actor=staff, claim_id=paid.pk, payout_reference="ZF2026000101",
                       idempotency_key="demo:payout:1", reason=REASON)  # fmt: skip
    returned = submitted("场地租金（退回补充）", "600.00")
    services.claim_return(actor=staff, claim_id=returned.pk, reason="请补充租赁合同")
    rejected, request = forwarded("聚餐费用（已驳回）", "900.00")
    request_reject(actor=checker, request_id=request.pk, reason="不属于公益活动支出")
    withdrawn = claim("宣传横幅（已撤回）", "150.00")
    services.claim_withdraw(actor=rep, claim_id=withdrawn.pk, reason="活动取消")
    advance, request = forwarded("端午活动预支（凭证逾期）", "700.00", advance=True, vouchers=False)
    request_approve(actor=checker, request_id=request.pk, reason="同意预支")
    services.claim_pay(actor=staff, claim_id=advance.pk, payout_reference="ZF2026000102",
                       idempotency_key="demo:payout:2", reason=REASON)  # fmt: skip
    # The demo's advance is overdue: its vouchers were due before today.
    advance = ExpenseClaim.objects.get(pk=advance.pk)
    advance.vouchers_due_on = timezone.localdate() - datetime.timedelta(days=3)
    set_reason(advance, "演示数据：预支凭证已逾期").save()

    # Last month's statements (the beat task makes them on the 1st).
    year, month = statements.previous_month(timezone.localdate())
    statements.monthly_run(year=year, month=month)
    _reconciled_month(staff, federation)


def _reconciled_month(staff, federation) -> None:
    """This month's bank statement of the federation, every line matched and confirmed."""
    today = timezone.localdate()
    start, end = statements.month_bounds(today.year, today.month)
    ids = set(CustodialAccount.objects.filter(federation=federation).values_list(
        "ledger_account_id", flat=True))  # fmt: skip
    rows, balance = [], 0
    tz = timezone.get_current_timezone()
    lo = statements._instant(start)
    hi = statements._instant(end + datetime.timedelta(days=1))
    transfers = transfers_of(ids, start=lo, end=hi).order_by("resolved_at", "id")
    for t in transfers:
        if (t.to_account_id in ids) == (t.from_account_id in ids):
            continue
        amount = t.amount if t.to_account_id in ids else -t.amount
        balance += amount
        rows.append([t.resolved_at.astimezone(tz).date().isoformat(), str(amount), "", t.memo])
    content = table_csv(["交易日期", "金额", "流水号", "摘要"], rows)
    bank = reconciliation.bank_statement_import(
        actor=staff, federation_id=federation.pk,
        file=SimpleUploadedFile("bank.csv", content), year=today.year, month=today.month,
        opening_balance="0.00", closing_balance=str(balance),
        mapping={"date": "交易日期", "amount": "金额", "reference": "流水号", "memo": "摘要"},
        reason=REASON,
    )  # fmt: skip
    for match in BankMatch.objects.filter(line__statement=bank):
        reconciliation.match_confirm(actor=staff, match_id=match.pk, reason=REASON)
    reconciliation.reconcile(actor=staff, statement_id=bank.pk, reason=REASON)
