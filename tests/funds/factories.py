"""Funds test builders: a world of officers and approval policies, and sources and budgets
made and approved through the services and the approval engine."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from access.models import Role
from approvals import services as approvals
from approvals.models import ApprovalRequest
from funds import services
from funds.models import Budget, BudgetAdjustment, CarryForward, FundingSource
from tests.factories import make_user

YEAR = 2026
# Every funds step: one county finance officer above ¥0 (city-wide policy).
TIERS = [{"above_amount": "0", "level": "county", "count": 1}]
OWNER_TYPES = {
    FundingSource: "funds.fundingsource",
    Budget: "funds.budget",
    BudgetAdjustment: "funds.budgetadjustment",
    CarryForward: "funds.carryforward",
}
_doc = iter(range(1, 10**6))


@dataclass
class FundsWorld:
    r: dict
    u: dict

    def __getitem__(self, name):
        return self.u[name]

    # ----------------------------------------------------------------- approvals

    def request_for(self, obj) -> ApprovalRequest:
        return ApprovalRequest.objects.get(
            owner_type=OWNER_TYPES[type(obj)], owner_id=obj.pk, state="pending"
        )

    def approve(self, obj, by="county2", reason="同意"):
        approvals.request_approve(
            actor=self.u[by], request_id=self.request_for(obj).pk, reason=reason
        )
        obj.refresh_from_db()
        return obj

    def reject(self, obj, by="county2", reason="不同意"):
        approvals.request_reject(
            actor=self.u[by], request_id=self.request_for(obj).pk, reason=reason
        )
        obj.refresh_from_db()
        return obj

    # ----------------------------------------------------------------- builders

    def source(
        self, amount="100000.00", *, region="county", kind="fiscal_special_fund", by="county",
        approve=True, approver="county2", **fields,
    ) -> FundingSource:  # fmt: skip
        fields.setdefault("name", f"测试资金{next(_doc)}")
        fields.setdefault("issuer", "东营区财政局")
        fields.setdefault("document_number", f"东区财〔{YEAR}〕{next(_doc)}号")
        source = services.source_create(
            actor=self.u[by], kind=kind, fiscal_year=YEAR, region=self.r[region].pk,
            appropriated_amount=amount, reason="测试", **fields,
        )  # fmt: skip
        if approve:
            services.source_submit(actor=self.u[by], source_id=source.pk, reason="请审批")
            self.approve(source, by=approver)
        return source

    def budget(self, lines, *, region="town_a", by=None, submit=True, approve=True) -> Budget:
        """`lines`: [(category, source, amount), ...]."""
        by = by or ("town_a" if region == "town_a" else "town_b" if region == "town_b"
                    else "county")  # fmt: skip
        budget = services.budget_create(
            actor=self.u[by], region=self.r[region].pk, fiscal_year=YEAR,
            title=f"{self.r[region].name}{YEAR}年度预算",
        )  # fmt: skip
        for category, source, amount in lines:
            services.line_add(
                actor=self.u[by], budget_id=budget.pk, category=category,
                source_id=source.pk, amount=amount,
            )  # fmt: skip
        if submit:
            services.budget_submit(actor=self.u[by], budget_id=budget.pk)
            if approve:
                self.approve(budget)
        budget.refresh_from_db()
        return budget


def make_world(regions) -> FundsWorld:
    r = regions
    u = {
        "admin": make_user("fu_admin", Role.ADMINISTRATOR),
        "city": make_user("fu_city", Role.FINANCE_OFFICER, region=r["city"]),
        "county": make_user("fu_county", Role.FINANCE_OFFICER, region=r["county"]),
        "county2": make_user("fu_county2", Role.FINANCE_OFFICER, region=r["county"]),
        "other_county": make_user("fu_other", Role.FINANCE_OFFICER, region=r["other_county"]),
        "other_county2": make_user("fu_other2", Role.FINANCE_OFFICER, region=r["other_county"]),
        "town_a": make_user("fu_town_a", Role.FINANCE_OFFICER, region=r["town_a"]),
        "town_b": make_user("fu_town_b", Role.FINANCE_OFFICER, region=r["town_b"]),
        "auditor": make_user("fu_auditor", Role.AUDITOR, region=r["city"]),
        "staff": make_user("fu_staff", Role.FEDERATION_STAFF, federation=r["federation_a"]),
    }
    services.fiscal_year_open(actor=u["admin"], year=YEAR, reason="测试")
    for kind in (services.STEP_SOURCE, services.STEP_BUDGET, services.STEP_ADJUSTMENT,
                 services.STEP_CARRY_FORWARD):  # fmt: skip
        approvals.policy_create(
            actor=u["admin"], kind=kind, region=r["city"], tiers=TIERS, reason="测试"
        )
    return FundsWorld(r=r, u=u)


def d(value) -> Decimal:
    return Decimal(value)
