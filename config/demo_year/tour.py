"""One yuan from its source to the payee, in the township the demo logins work in (the
guided tour in docs/tour.md follows it): a custody project of the demo organization, paid
from the county's special fund and the township's welfare subsidy, its milestones paid into
the organization's custodial account, and a claim of the organization charged to it, paid
by the federation to a supplier."""

from __future__ import annotations

import datetime
from decimal import Decimal

from access.models import User
from escrow import services as escrow_services
from escrow.models import CustodialAccount, ExpenseClaim
from escrow.selectors import overdue_advances
from funds.models import FundingSource
from projects.models import Allocation, MilestonePayment, Project

from . import projects
from .common import Year, approve, clock, officers

TITLE = "{town}{year}年社区长者助餐服务"
CLAIM = "长者助餐食材采购（{month}月）"


def build(year: Year, progress, places: dict) -> int:
    township, federation = places.get("township"), places.get("federation")
    member = places.get("organization")
    if township is None or federation is None or member is None:
        return 0
    title = TITLE.format(town=township.name, year=year.year)
    account = CustodialAccount.objects.filter(organization=member, state="active").first()
    if account is None or Project.objects.filter(title=title).exists():
        progress.update(1)
        return 0
    maker = User.objects.get(username="finance.city")
    project = projects._project(
        year, maker, township, federation, title, "elderly_care", "C0101", "closed", 1,
        custody=True, budget=Decimal("24000"), two_sources=True, start_month=3, member=member,
    )  # fmt: skip
    welfare = FundingSource.objects.get(
        fiscal_year__year=year.year, region=township, kind="community_welfare_subsidy"
    )
    rep = User.objects.get(username="orgrep")
    staff = User.objects.get(username="federation")
    day = min(datetime.date(year.year, 9, 18), year.today)
    with clock(year, day, hour=10):
        if overdue_advances().filter(account=account).exists():
            # Only where the steps happen now (PostgreSQL): the plain demo's advance is
            # overdue today and blocks the account's new claims (on SQLite this is September).
            progress.update(1)
            return 0
        claim = escrow_services.claim_create(actor=rep, account_id=account.pk,
                                             title=CLAIM.format(month=day.month),
                                             reason="助餐点食材")  # fmt: skip
        escrow_services.line_add(
            actor=rep, claim_id=claim.pk, category="materials", amount="1860.00",
            payee_name="东营市黄河口农贸市场惠民蔬菜店", payee_bank="东营农商银行文汇支行",
            payee_account_number="6230910212345678901", funding_source_id=welfare.pk,
            project_id=project.pk, description="9月助餐点蔬菜、肉蛋采购",
        )  # fmt: skip
        escrow_services.voucher_add(actor=rep, claim_id=claim.pk,
                                    file=projects._pdf("食材采购发票.pdf"))  # fmt: skip
        escrow_services.claim_submit(actor=rep, claim_id=claim.pk, reason="请审核报销")
        escrow_services.claim_forward(actor=staff, claim_id=claim.pk, reason="发票与清单相符")
        checker = User.objects.get(username="federation.acct")
        approve("escrow.expenseclaim", claim.pk, [checker, *officers(township)], reason="同意报销")
    with clock(year, day + datetime.timedelta(days=2), hour=15):
        escrow_services.claim_pay(actor=staff, claim_id=claim.pk,
                                  payout_reference=f"ZF{year.year}0918001",
                                  idempotency_key=f"year:{year.year}:tour:payout",
                                  reason="已转账至供应商")  # fmt: skip
    progress.update(1)
    return ExpenseClaim.objects.filter(pk=claim.pk, state="paid").count()


def trail(year: int, township) -> dict | None:
    """The ids of the tour's yuan, source to payee (docs/tour.md; scripts/tour_screenshots.py):
    the welfare source, its budget line and budget, the project, the allocation from that
    line, the milestone payments, the custodial account, the paid claim and its payout."""
    project = Project.objects.filter(title=TITLE.format(town=township.name, year=year)).first()
    if project is None:
        return None
    allocation = (
        Allocation.objects.filter(project=project, line__source__kind="community_welfare_subsidy")
        .select_related("line__budget", "line__source")
        .first()
    )
    account = CustodialAccount.objects.get(organization=project.member)
    claim = (
        ExpenseClaim.objects.filter(account=account, lines__project=project, state="paid")
        .order_by("id")
        .first()
    )
    line = claim.lines.order_by("id").first() if claim else None
    payments = list(MilestonePayment.objects.filter(project=project).order_by("id"))
    return {
        "source": allocation.line.source_id,
        "source_account": allocation.line.source.account_id,
        "budget": allocation.line.budget_id,
        "budget_line": allocation.line_id,
        "line_account": allocation.line.account_id,
        "project": project.pk,
        "project_title": project.title,
        "allocation": allocation.pk,
        "commitment_account": allocation.account_id,
        "milestone_payments": [p.pk for p in payments],
        "custodial_account": account.pk,
        "custodial_ledger_account": account.ledger_account_id,
        "claim": claim.pk if claim else None,
        "claim_reservation": line.reservation_id if line else None,
        "payee": line.payee_name if line else None,
    }
