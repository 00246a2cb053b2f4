"""Projects test builders: the funds world (officers, policies, sources, budgets) plus a
legal-person undertaker, a custody member with its custodial account, approval policies
for the projects steps, and projects driven through the services."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from access.models import Role
from approvals import services as approvals
from approvals.models import ApprovalRequest
from federations.codes import make_credit_code
from federations.models import Membership, Organization
from ledger import services as ledger
from ledger.models import AccountKind
from ledger.services import AccountScope
from projects import services
from projects.models import Allocation, Contract, MilestonePayment, Project
from tests.factories import make_user
from tests.funds.factories import TIERS, YEAR, FundsWorld
from tests.funds.factories import make_world as make_funds_world

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
OWNER_TYPES = {
    Project: "projects.project",
    Allocation: "projects.allocation",
    Contract: "projects.contract",
    MilestonePayment: "projects.milestonepayment",
}
STEPS = (services.STEP_PROJECT, services.STEP_ALLOCATION, services.STEP_CONTRACT,
         services.STEP_PAYMENT)  # fmt: skip


def pdf(name="scan.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@dataclass
class ProjectsWorld(FundsWorld):
    o: dict | None = None

    def request_for(self, obj) -> ApprovalRequest:
        if type(obj) in OWNER_TYPES:
            return ApprovalRequest.objects.get(
                owner_type=OWNER_TYPES[type(obj)], owner_id=obj.pk, state="pending"
            )
        return super().request_for(obj)

    def request_for_any(self, obj) -> ApprovalRequest:
        return ApprovalRequest.objects.filter(
            owner_type=OWNER_TYPES[type(obj)], owner_id=obj.pk
        ).latest("id")

    # ----------------------------------------------------------------- money

    def lines(self, *amounts, region="town_a", category="elderly_care"):
        """One approved budget of `region` with one line per amount, each line funded by its
        own county source: [line, ...] (one budget per region and year)."""
        sources = [self.source(str(Decimal(a) * 2)) for a in amounts]
        budget = self.budget(
            [(category, s, a) for s, a in zip(sources, amounts, strict=True)], region=region
        )
        return list(budget.lines.select_related("source", "account").order_by("id"))

    # ----------------------------------------------------------------- projects

    def project(self, *, custody=False, by="town_a", approve=True, amount="30000.00", **fields):
        org = self.o["member"] if custody else self.o["legal"]
        kwargs = dict(
            actor=self.u[by], title=fields.pop("title", "居家养老助餐服务"),
            purchaser=self.r["town_a"].pk, category=fields.pop("category", "elderly_care"),
            catalogue_code=fields.pop("catalogue_code", "A0501"), fiscal_year=YEAR,
            budget_amount=amount,
        )  # fmt: skip
        if custody:
            kwargs.update(custody_federation=self.r["federation_a"].pk, member=org.pk)
        else:
            kwargs.update(undertaker=org.pk)
        kwargs.update(fields)
        project = services.project_create(**kwargs)
        if approve:
            services.project_submit(actor=self.u[by], project_id=project.pk)
            self.approve(project)
        project.refresh_from_db()
        return project

    def allocate(self, project, line, amount, *, approve=True, by="town_a"):
        allocation = services.allocation_create(
            actor=self.u[by], project_id=project.pk, line=line.pk, amount=amount
        )
        services.allocation_submit(actor=self.u[by], allocation_id=allocation.pk)
        if approve:
            self.approve(allocation)
        allocation.refresh_from_db()
        return allocation

    def contract(self, project, price, *, shares=None, sign=True, by="town_a", **fields):
        start = datetime.date(YEAR, 3, 1)
        fields.setdefault("term_start", start)
        fields.setdefault("term_end", datetime.date(YEAR, 12, 31))
        contract = services.contract_create(
            actor=self.u[by], project_id=project.pk, content="为辖区老人提供助餐服务",
            price=price, **fields,
        )  # fmt: skip
        for i, share in enumerate(shares or [price], start=1):
            services.milestone_add(
                actor=self.u[by], project_id=project.pk, number=i, title=f"第{i}阶段",
                due_on=datetime.date(YEAR, 3 + 3 * i, 1), amount=share,
            )  # fmt: skip
        if sign:
            services.contract_submit(actor=self.u[by], contract_id=contract.pk)
            self.approve(contract)
            services.contract_sign(
                actor=self.u[by], contract_id=contract.pk, signed_on=start, scan=pdf()
            )
        contract.refresh_from_db()
        return contract

    def accept(self, milestone, *, by="town_a"):
        services.evidence_upload(actor=self.u[by], milestone_id=milestone.pk, file=pdf("验收.pdf"))
        return services.milestone_accept(
            actor=self.u[by], milestone_id=milestone.pk, accepted_on=datetime.date(YEAR, 6, 1),
            note="验收合格",
        )  # fmt: skip

    def pay(self, milestone, *, key=None, by="town_a", approve=True):
        payment = services.payment_request(
            actor=self.u[by],
            milestone_id=milestone.pk,
            idempotency_key=key or f"pay-{milestone.pk}",
        )
        if approve:
            self.approve(payment)
        payment.refresh_from_db()
        return payment


def make_world(regions) -> ProjectsWorld:
    base = make_funds_world(regions)
    r = regions
    for kind in STEPS:
        approvals.policy_create(
            actor=base.u["admin"], kind=kind, region=r["city"], tiers=TIERS, reason="测试"
        )
    legal = Organization(
        name="东营区乐龄社会工作服务中心",
        community=r["comm_a1"],
        legal_status="private_non_enterprise",
        credit_code=make_credit_code("52", "370502", 77),
        party_form="own_branch",
        party_established_on=datetime.date(2020, 1, 1),
    )
    legal.save()
    Membership(federation=r["federation_a"], organization=legal,
               joined_on=datetime.date(2024, 1, 1)).save()  # fmt: skip
    member = r["org_a"]
    custodial = ledger.open_account(
        actor=base.u["admin"], kind=AccountKind.CUSTODIAL, name=f"{member.name}代管账户",
        owner_type="federations.organization", owner_id=member.pk,
        scope=AccountScope(region_path=r["town_a"].path, federation_id=r["federation_a"].pk,
                           organization_id=member.pk),
    )  # fmt: skip
    u = dict(base.u)
    u["rep"] = make_user("pj_rep", Role.ORGANIZATION_REP, organization=legal)
    u["member_rep"] = make_user("pj_member_rep", Role.ORGANIZATION_REP, organization=member)
    u["staff_b"] = make_user("pj_staff_b", Role.FEDERATION_STAFF, federation=r["federation_b"])
    return ProjectsWorld(r=r, u=u, o={"legal": legal, "member": member, "custodial": custodial})


def d(value) -> Decimal:
    return Decimal(value)
