"""Custody over the year: in every township with a federation, custodial accounts for
members without legal personality (opened by federation staff, funded by deposits of the
township's welfare subsidy), the milestone payments of the projects confirmed as they
arrive, expense claims in every state with vouchers and payouts, and the monthly
statements of every month that has ended."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from access.models import Role, RoleAssignment
from approvals.services import request_reject
from escrow import services, statements
from escrow.models import ClaimState, CustodialAccount, Deposit, ExpenseClaim
from federations.eligibility import custody_organizations
from federations.models import Federation
from funds.models import FundingSource
from projects.models import MilestonePaymentPart

from .common import REASON, Year, approve, clock, officers, pending_request

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ACCOUNTS_PER_FEDERATION = 4
CLAIMS_PER_ACCOUNT = 2
CLAIMING_ACCOUNTS = 2  # per federation: the others only hold money
# What members spend on, who is paid: (title, category, payee, bank)
SPENDING = [
    ("活动物资采购", "materials", "东营市惠民文具店", "中国工商银行东营分行"),
    ("场地租用", "venue", "东营市文化活动中心", "中国农业银行东营分行"),
    ("志愿者交通补贴", "transport", "东营市公共交通有限公司", "中国建设银行东营分行"),
    ("慰问品采购", "materials", "东营银座商城", "中国银行东营分行"),
    ("宣传资料印制", "printing", "黄河口印务有限公司", "东营农商银行"),
    ("专家授课劳务", "services", "东营市社会工作协会", "交通银行东营分行"),
]
# Claim states in turn, so every state is present in any township.
STATES = ["paid", "paid", "approved", "submitted", "forwarded", "draft", "returned",
          "rejected", "withdrawn", "paid", "advance"]  # fmt: skip


def _federations(year: Year) -> list[Federation]:
    found = list(Federation.objects.filter(is_active=True).exclude(credit_code="").order_by("id"))
    return found[: year.n(len(found), 3)]


def _holder(year: Year, username: str, name: str, role: str, **scope):
    """The first active holder of `role` in `scope`, else a demo login made for it."""
    found = RoleAssignment.objects.filter(role=role, is_active=True, **scope).order_by("id")
    assignment = found.select_related("user").first()
    return assignment.user if assignment else year.user(username, name, role, **scope)


def staff_of(year: Year, federation: Federation):
    return _holder(year, f"fed.{federation.township.code}", f"{federation.name[:20]}社工",
                   Role.FEDERATION_STAFF, federation=federation)  # fmt: skip


def checker_of(year: Year, federation: Federation, staff):
    """A second staff member of the federation: claims one forwards, the other approves
    (maker–checker in the approval engine)."""
    other = (
        RoleAssignment.objects.filter(
            role=Role.FEDERATION_STAFF, is_active=True, federation=federation
        )
        .exclude(user=staff)
        .select_related("user")
        .order_by("id")
        .first()
    )
    if other:
        return other.user
    return year.user(f"fed.{federation.township.code}.acct", f"{federation.name[:20]}会计",
                     Role.FEDERATION_STAFF, federation=federation)  # fmt: skip


def rep_of(year: Year, organization):
    return _holder(year, f"rep.{organization.credit_code or organization.pk}",
                   organization.representative_name or "负责人", Role.ORGANIZATION_REP,
                   organization=organization)  # fmt: skip


def township_officer(year: Year, township):
    """The township's finance officer (claims above ¥5,000 need it after the checker)."""
    if not officers_of(township):
        year.user(f"finance.{township.code}", f"{township.name}财务审批员", Role.FINANCE_OFFICER,
                  region=township)  # fmt: skip


def officers_of(region) -> bool:
    return RoleAssignment.objects.filter(
        role=Role.FINANCE_OFFICER, region=region, is_active=True
    ).exists()


def steps(year: Year) -> int:
    return len(_federations(year)) * 2


def open_accounts(year: Year, progress, places: dict) -> int:
    """Custodial accounts with a first deposit (arrived) and, for some, a second one still
    receivable. Returns how many accounts it opened."""
    opened = 0
    for federation in _federations(year):
        staff = staff_of(year, federation)
        welfare = FundingSource.objects.filter(
            fiscal_year__year=year.year, region=federation.township,
            kind="community_welfare_subsidy", state="approved",
        ).first()  # fmt: skip
        members = list(custody_organizations(federation=federation).order_by("id"))
        have = set(
            CustodialAccount.objects.filter(federation=federation).values_list(
                "organization_id", flat=True
            )
        )
        for k, org in enumerate(members[:ACCOUNTS_PER_FEDERATION]):
            if org.pk in have:
                continue
            with clock(year, year.day(1 + k % 2, 6 + k)):
                opened += _open(year, staff, federation, welfare, org, k)
        progress.update(1)
    return opened


def _open(year: Year, staff, federation, welfare, org, k: int) -> int:
    account = services.account_open(actor=staff, federation_id=federation.pk,
                            organization_id=org.pk, reason=REASON)  # fmt: skip
    if welfare is None:
        return 1
    first = services.deposit_announce(
        actor=staff, account_id=account.pk, kind="other", funding_source_id=welfare.pk,
        amount=f"{(k + 3) * 2000}.00", payer=f"{federation.township.name}财政所",
        memo="社区公益事业补助资金拨付", idempotency_key=f"year:{year.year}:dep:{org.pk}:1",
        reason=REASON,
    )  # fmt: skip
    services.deposit_confirm(actor=staff, transfer_id=first.transfer_id,
                             bank_reference=f"YH{year.year}{org.pk:06d}1",
                             reason=REASON)  # fmt: skip
    if k % 3 == 2:
        services.deposit_announce(
            actor=staff, account_id=account.pk, kind="other",
            funding_source_id=welfare.pk, amount="1500.00",
            payer=f"{federation.township.name}财政所", memo="第二批补助（未到账）",
            idempotency_key=f"year:{year.year}:dep:{org.pk}:2", reason=REASON,
        )  # fmt: skip
    return 1


def _voucher():
    return SimpleUploadedFile("发票.pdf", PDF, content_type="application/pdf")


def claims(year: Year, progress, places: dict) -> int:
    """Confirm the projects' payments that arrived, then the members' claims; then the
    statements of every month that has ended. Returns how many claims it made."""
    rng = year.rng("claims")
    made = 0
    n = 0
    for federation in _federations(year):
        staff = staff_of(year, federation)
        township_officer(year, federation.township)
        # The checker first; above ¥5,000 the township's officer as well.
        deciders = [checker_of(year, federation, staff), *officers(federation.township)]
        accounts = list(
            CustodialAccount.objects.filter(federation=federation)
            .select_related("organization")
            .order_by("id")
        )
        for account in accounts[:CLAIMING_ACCOUNTS]:
            if account.organization == places.get("organization"):
                continue  # the plain demo's claims are there
            if ExpenseClaim.objects.filter(account=account).exists():
                continue
            rep = rep_of(year, account.organization)
            charge = _charge(account)
            if charge is None:
                continue
            source_id, project_id = charge
            days = sorted(year.random_day(rng, 3, 11) for _c in range(CLAIMS_PER_ACCOUNT))
            for c, day in enumerate(days):
                state = STATES[n % len(STATES)]
                n += 1
                if state == "advance" and c < len(days) - 1:
                    state = "paid"  # an open advance blocks the account's later claims
                title, category, payee, bank = SPENDING[rng.randrange(len(SPENDING))]
                amount = Decimal(rng.randrange(8, 60) * 10)
                with clock(year, day):
                    _claim(staff, rep, deciders, account, state, f"{title}（{day.month}月）",
                           category, payee, bank, amount, source_id, project_id, n)  # fmt: skip
                made += 1
        progress.update(1)
    return made


def monthly_statements(year: Year, progress, places: dict) -> int:
    """The statements of every month of the year that has ended, each made on the 1st of the
    next month as the beat task makes them (idempotent: the stored ones are kept)."""
    made = 0
    last = year.today.month - 1 if year.today.year == year.year else 12
    if year.today.year >= year.year:
        for month in range(1, last + 1):
            first_of_next = statements.month_bounds(year.year, month)[1] + datetime.timedelta(
                days=1
            )
            with clock(year, first_of_next, hour=2):  # the beat task's hour
                made += statements.monthly_run(year=year.year, month=month)["made"]
    progress.update(1)
    return made


def _charge(account: CustodialAccount):
    """(source id, project id) a claim of this account may be charged to: a project's money
    where a project paid in (restricted to it), else the account's other money."""
    part = (
        MilestonePaymentPart.objects.filter(transfer__to_account_id=account.ledger_account_id)
        .select_related("allocation__line")
        .order_by("id")
        .first()
    )
    if part is not None and part.transfer.state == "posted":
        return part.allocation.line.source_id, part.allocation.project_id
    deposit = (
        Deposit.objects.filter(account=account, state="confirmed", kind="other")
        .order_by("id")
        .first()
    )
    if deposit is None:
        return None
    restricted = services.projects_of_source(account, deposit.funding_source)
    return (deposit.funding_source_id, None) if not restricted else None


def _claim(staff, rep, deciders, account, state, title, category, payee, bank, amount,
           source_id, project_id, n) -> ExpenseClaim:  # fmt: skip
    advance = state == "advance"
    claim = services.claim_create(actor=rep, account_id=account.pk, title=title,
                                  is_advance=advance, reason=REASON)  # fmt: skip
    services.line_add(
        actor=rep, claim_id=claim.pk, category=category, amount=f"{amount:.2f}",
        payee_name=payee, payee_bank=bank, payee_account_number=f"62220216{n:011d}",
        funding_source_id=source_id, project_id=project_id, description=title,
    )  # fmt: skip
    if not advance:
        services.voucher_add(actor=rep, claim_id=claim.pk, file=_voucher())
    if state == "draft":
        return claim
    if state == "withdrawn":
        return services.claim_withdraw(actor=rep, claim_id=claim.pk, reason="活动取消")
    services.claim_submit(actor=rep, claim_id=claim.pk, reason=REASON)
    if state == "submitted":
        return claim
    if state == "returned":
        return services.claim_return(
            actor=staff, claim_id=claim.pk, reason="请补充活动照片和签到表"
        )
    services.claim_forward(actor=staff, claim_id=claim.pk, reason="凭证齐全")
    claim.refresh_from_db()
    if state == "forwarded":
        return claim
    if state == "rejected":
        request = pending_request("escrow.expenseclaim", claim.pk)
        for decider in deciders:
            try:
                request_reject(actor=decider, request_id=request.pk, reason="不属于公益活动支出")
                break
            except Exception:  # noqa: BLE001 - the next decider may
                continue
        return claim
    approve("escrow.expenseclaim", claim.pk, deciders)
    claim.refresh_from_db()
    if state == "approved" or claim.state != ClaimState.APPROVED:
        return claim
    return services.claim_pay(actor=staff, claim_id=claim.pk,
                              payout_reference=f"ZF{claim.pk:010d}",
                              idempotency_key=f"year:payout:{claim.pk}", reason=REASON)  # fmt: skip
