"""Demo funds (idempotent): fiscal years 2025 (closed, its unallocated money carried into
2026) and 2026 (open); sources of every kind; a budget for every township and county;
adjustments approved and waiting. Everything goes through the services and the approval
engine, made by the city finance officer and approved by a county officer."""

from __future__ import annotations

from decimal import Decimal

from access.models import Role, RoleAssignment, User
from approvals.models import ApprovalPolicy, ApprovalRequest
from approvals.services import policy_create, request_approve
from core.audited import set_reason
from federations.models import Region

from . import services
from .models import Budget, BudgetAdjustment, CarryForward, FiscalYear, FundingSource

REASON = "演示数据"  # stored once: in the demo's language
YEAR, LAST_YEAR = 2026, 2025
STEPS = (services.STEP_SOURCE, services.STEP_BUDGET, services.STEP_ADJUSTMENT,
         services.STEP_CARRY_FORWARD)  # fmt: skip


def _user(username: str, name: str, password: str, role: str, region: Region) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, first_name=name, is_staff=True)
        user.set_password(password)
        set_reason(user, REASON).save()
    if not RoleAssignment.objects.filter(user=user, role=role, region=region).exists():
        assignment = RoleAssignment(user=user, role=role, region=region)
        assignment.full_clean()
        set_reason(assignment, REASON).save()
    return user


class _Demo:
    def __init__(self, places: dict, password: str):
        self.city = places["city"]
        admin = User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()
        self.admin = admin
        self.maker = _user("finance.city", "市财务审批员", password, Role.FINANCE_OFFICER,
                           self.city)  # fmt: skip
        self.logins = [(str(Role.FINANCE_OFFICER.label), "finance.city", self.city.name)]
        self.checkers: dict[int, User] = {}
        for county in Region.objects.filter(level=Region.Level.COUNTY).order_by("code"):
            existing = (
                User.objects.filter(
                    role_assignments__role=Role.FINANCE_OFFICER,
                    role_assignments__region=county,
                    role_assignments__is_active=True,
                )
                .order_by("id")
                .first()
            )
            self.checkers[county.pk] = existing or _user(
                f"finance.{county.code}", f"{county.name}财务审批员", password,
                Role.FINANCE_OFFICER, county,
            )  # fmt: skip

    def approve(self, obj, owner_type: str, county: Region):
        request = ApprovalRequest.objects.filter(
            owner_type=owner_type, owner_id=obj.pk, state="pending"
        ).first()
        if request is not None:
            request_approve(actor=self.checkers[county.pk], request_id=request.pk, reason="同意")
        obj.refresh_from_db()
        return obj

    def year(self, year: int) -> FiscalYear:
        found = FiscalYear.objects.filter(year=year).first()
        return found or services.fiscal_year_open(actor=self.admin, year=year, reason=REASON)

    def source(self, year, region, county, kind, name, amount, number, **extra):
        issuer = extra.pop("issuer", f"{county.name}财政局")
        found = FundingSource.objects.filter(
            fiscal_year__year=year, region=region, kind=kind, name=name
        ).first()
        if found is None:
            found = services.source_create(
                actor=self.maker, kind=kind, fiscal_year=year, region=region.pk, name=name,
                issuer=issuer, document_number=number, appropriated_amount=amount,
                reason=REASON, **extra,
            )  # fmt: skip
        if found.state == "draft":
            services.source_submit(actor=self.maker, source_id=found.pk, reason=REASON)
        return self.approve(found, "funds.fundingsource", county)

    def budget(self, year, region, county, lines):
        found = Budget.objects.filter(fiscal_year__year=year, region=region).first()
        if found is None:
            title = f"{region.name}{year}年度购买服务预算"
            found = services.budget_create(actor=self.maker, region=region.pk, fiscal_year=year,
                                           title=title)  # fmt: skip
            for category, source, amount in lines:
                services.line_add(actor=self.maker, budget_id=found.pk, category=category,
                                  source_id=source.pk, amount=amount, reason=REASON)  # fmt: skip
        if found.state == "draft":
            services.budget_submit(actor=self.maker, budget_id=found.pk, reason=REASON)
        return self.approve(found, "funds.budget", county)


def _policies(admin: User, city: Region) -> None:
    for kind in STEPS:
        if not ApprovalPolicy.objects.filter(kind=kind, region=city).exists():
            policy_create(actor=admin, kind=kind, region=city, reason=REASON,
                          tiers=[{"above_amount": "0", "level": "county", "count": 1}])  # fmt: skip


def load(places: dict, *, password: str) -> list[tuple[str, str, str]]:
    """Returns the logins it added: (role, username, scope)."""
    demo = _Demo(places, password)
    _policies(demo.admin, demo.city)
    demo.year(LAST_YEAR)
    demo.year(YEAR)
    counties = list(Region.objects.filter(level=Region.Level.COUNTY).order_by("code"))
    # Last year: one special fund per county, half budgeted; closed and carried forward.
    for n, county in enumerate(counties, 1):
        old = demo.source(LAST_YEAR, county, county, "fiscal_special_fund",
                          f"{county.name}{LAST_YEAR}年社区治理专项资金", "400000.00",
                          f"{county.name[:2]}财〔{LAST_YEAR}〕{n}号")  # fmt: skip
        demo.budget(LAST_YEAR, county, county, [("capacity_building", old, "200000.00")])
    if FiscalYear.objects.get(year=LAST_YEAR).is_open:
        services.fiscal_year_close(actor=demo.admin, year=LAST_YEAR, reason="年终结账")
    for county in counties:
        old = FundingSource.objects.get(fiscal_year__year=LAST_YEAR, region=county,
                                        carried_from__isnull=True)  # fmt: skip
        carry = CarryForward.objects.filter(source=old).first() or (
            services.carry_forward_request(
                actor=demo.maker, source_id=old.pk, reason="结转未分配资金"
            )  # fmt: skip
        )
        demo.approve(carry, "funds.carryforward", county)

    # This year: every kind of source, a budget for every county and township.
    for n, county in enumerate(counties, 1):
        special = demo.source(YEAR, county, county, "fiscal_special_fund",
                              f"{county.name}{YEAR}年社区社会组织培育专项资金", "3000000.00",
                              f"{county.name[:2]}财〔{YEAR}〕{n}号",
                              requires_party_organization=True)  # fmt: skip
        townships = list(Region.objects.filter(parent=county).order_by("code"))
        demo.budget(YEAR, county, county, [("capacity_building", special, "300000.00")])
        for i, town in enumerate(townships, 1):
            welfare = demo.source(YEAR, town, county, "community_welfare_subsidy",
                                  f"{town.name}{YEAR}年社区公益事业补助资金", "300000.00",
                                  f"{town.name[:2]}财〔{YEAR}〕{i}号",
                                  issuer=f"{town.name}财政所")  # fmt: skip
            budget = demo.budget(YEAR, town, county, [
                ("elderly_care", special, "60000.00"),
                ("culture_sports", welfare, "120000.00"),
                ("dispute_mediation", welfare, "60000.00"),
            ])  # fmt: skip
            community = Region.objects.filter(parent=town).order_by("code").first()
            if community is not None and i == 1:
                # The first township of each county: its first community's own money.
                demo.source(YEAR, community, county, "party_service_fund",
                            f"{community.name}{YEAR}年党组织服务群众专项经费", "50000.00",
                            f"{town.name[:2]}组〔{YEAR}〕{i}号",
                            issuer=f"{town.name}党（工）委")  # fmt: skip
            if community is not None and i == 1 and n == 1:
                demo.source(YEAR, community, county, "community_party_support",
                            f"{community.name}党组织公益活动经费", "20000.00",
                            f"{community.name[:2]}党〔{YEAR}〕1号",
                            issuer=f"{community.name}党组织")  # fmt: skip
                demo.source(YEAR, community, county, "residents_committee_support",
                            f"{community.name}居（村）委会公益经费", "10000.00",
                            f"{community.name[:2]}居〔{YEAR}〕1号",
                            issuer=f"{community.name}居（村）民委员会")  # fmt: skip
                demo.source(YEAR, community, county, "community_charity_fund",
                            f"{community.name}社区慈善基金", "50000.00", "",
                            issuer="东营市慈善总会", purpose="社区困难群众帮扶")  # fmt: skip
                demo.source(YEAR, town, county, "crowdfunding",
                            f"{town.name}“微心愿”众筹", "30000.00", "", issuer=town.name,
                            allowed_categories=["hardship_relief"],
                            purpose="为困难老人实现微心愿")  # fmt: skip
            if i <= 3:
                _adjust(demo, budget, county, approve=i != 2)
    return demo.logins


def _adjust(demo: _Demo, budget: Budget, county: Region, *, approve: bool) -> None:
    if BudgetAdjustment.objects.filter(budget=budget).exists():
        return
    lines = {ln.category: ln for ln in budget.lines.all()}
    adjustment = services.adjustment_request(
        actor=demo.maker, from_line_id=lines["culture_sports"].pk,
        to_line_id=lines["dispute_mediation"].pk, amount=Decimal("15000.00"),
        reason="调解需求增加，文体活动经费调剂至矛盾调解",
    )  # fmt: skip
    if approve:
        demo.approve(adjustment, "funds.budgetadjustment", county)
