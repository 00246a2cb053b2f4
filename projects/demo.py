"""Demo projects (idempotent): approval policies for the projects steps, a need and an offer,
and in the first township one project in every state — draft, submitted, approved,
contracted, in progress, delivered, accepted, closed (evaluated), cancelled, terminated —
half undertaken by a registered organization, half by the federation in custody for the
demo organization (paid into its custodial account). Everything through the services and
the approval engine: made by the city finance officer, approved by the county officer."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from access.models import Role, User
from approvals.models import ApprovalPolicy, ApprovalRequest
from approvals.services import policy_create, request_approve
from federations.models import Organization, Region
from funds.models import BudgetLine
from ledger import services as ledger
from ledger.models import AccountKind
from ledger.services import AccountScope

from . import services
from .models import Demand, Milestone, Offer, Project

REASON = "演示数据"
YEAR = 2026
STEPS = (services.STEP_PROJECT, services.STEP_ALLOCATION, services.STEP_CONTRACT,
         services.STEP_PAYMENT)  # fmt: skip
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
# (title suffix, state to reach, undertaken in custody?)
PLAN = [
    ("社区议事协商能力提升", "draft", False),
    ("老年人文体活动", "submitted", True),
    ("邻里矛盾调解", "approved", False),
    ("广场舞队培育", "contracted", True),
    ("社区书画进楼院", "in_progress", False),
    ("全民健身周末课堂", "delivered", True),
    ("邻里守望文艺汇演", "accepted", False),
    ("“红色记忆”文化宣讲", "closed", True),
    ("重复申报的合唱培训", "cancelled", False),
    ("停办的摄影培训", "terminated", True),
]
ORDER = ["draft", "submitted", "approved", "contracted", "in_progress", "delivered",
         "accepted", "closed"]  # fmt: skip


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _approve(checker, owner_type, owner_id):
    request = ApprovalRequest.objects.filter(
        owner_type=owner_type, owner_id=owner_id, state="pending"
    ).first()
    if request is not None:
        request_approve(actor=checker, request_id=request.pk, reason="同意")


def load(places: dict) -> None:
    # The reasons the services record are stored once, in the deployment's language.
    with translation.override(settings.LANGUAGE_CODE):
        _load(places)


def _load(places: dict) -> None:
    city, township = places["city"], places["township"]
    county = township.parent
    admin = User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()
    maker = User.objects.get(username="finance.city")
    checker = (
        User.objects.filter(role_assignments__role=Role.FINANCE_OFFICER,
                            role_assignments__region=county, role_assignments__is_active=True)
        .exclude(pk=maker.pk).order_by("id").first()
    )  # fmt: skip
    for kind in STEPS:
        if not ApprovalPolicy.objects.filter(kind=kind, region=city).exists():
            policy_create(actor=admin, kind=kind, region=city, reason=REASON,
                          tiers=[{"above_amount": "0", "level": "county", "count": 1}])  # fmt: skip
    member = places["organization"]
    federation = places["federation"]
    # The member's custodial account (escrow opens the same one, by owner and kind).
    ledger.open_account(
        actor=admin, kind=AccountKind.CUSTODIAL, name=f"{member.name}代管账户",
        owner_type=services.ORGANIZATION_OWNER, owner_id=member.pk,
        scope=AccountScope(region_path=member.community.path, federation_id=federation.pk,
                           organization_id=member.pk),
        reason=REASON,
    )  # fmt: skip
    legal = (
        Organization.objects.filter(community__path__startswith=township.path, state="active")
        .exclude(legal_status="filed")
        .order_by("id")
        .first()
    )
    line = BudgetLine.objects.filter(
        budget__region=township, budget__fiscal_year__year=YEAR, category="culture_sports",
        budget__state="approved",
    ).first()  # fmt: skip
    if line is None or legal is None or checker is None:
        return
    community = member.community
    demand = Demand.objects.filter(title="老年人文体活动需求", community=community).first()
    if demand is None:
        demand = services.demand_create(
            actor=maker, community=community.pk, title="老年人文体活动需求",
            category="culture_sports", beneficiaries="社区60岁以上老人", beneficiary_count=120,
            priority="high", description="老年人希望每周有固定的文体活动。", reason=REASON,
        )  # fmt: skip
    if not Offer.objects.filter(organization=legal, title="社区文体活动组织").exists():
        services.offer_create(
            actor=admin, organization=legal.pk, title="社区文体活动组织",
            category="culture_sports", area=township.pk, price_min="5000.00",
            price_max="50000.00", capacity=200, reason=REASON,
        )  # fmt: skip
    for n, (suffix, target, custody) in enumerate(PLAN, 1):
        title = f"{township.name}{suffix}"
        if Project.objects.filter(title=title).exists():
            continue
        _project(maker, checker, township, line, title, target, n,
                 custody=(federation, member) if custody else None, legal=legal,
                 demand=demand if n == 2 else None)  # fmt: skip


def _project(maker, checker, township: Region, line, title, target, n, *, custody, legal,
             demand) -> None:  # fmt: skip
    undertaker = (
        {"custody_federation": custody[0].pk, "member": custody[1].pk}
        if custody
        else {"undertaker": legal.pk}
    )
    project = services.project_create(
        actor=maker, title=title, purchaser=township.pk, category="culture_sports",
        catalogue_code=f"C03{n:02d}", fiscal_year=YEAR, budget_amount="12000.00",
        description=f"{title}：面向社区居民开展系列活动。", demand=demand.pk if demand else None,
        reason=REASON, **undertaker,
    )  # fmt: skip
    if target == "draft":
        return
    services.project_submit(actor=maker, project_id=project.pk, reason=REASON)
    if target == "submitted":
        return
    _approve(checker, "projects.project", project.pk)
    allocation = services.allocation_create(
        actor=maker, project_id=project.pk, line=line.pk, amount="12000.00", reason=REASON
    )
    services.allocation_submit(actor=maker, allocation_id=allocation.pk, reason=REASON)
    _approve(checker, "projects.allocation", allocation.pk)
    for i, share in enumerate(("6000.00", "5000.00"), 1):
        services.milestone_add(
            actor=maker, project_id=project.pk, number=i, title=f"第{i}阶段活动",
            due_on=datetime.date(YEAR, 5 + 5 * (i - 1), 15), amount=share,
            deliverables="活动记录、签到表、照片", reason=REASON,
        )  # fmt: skip
    if target == "approved":
        return
    if target == "cancelled":
        services.project_cancel(actor=maker, project_id=project.pk, reason="与已立项项目重复")
        return
    contract = services.contract_create(
        actor=maker, project_id=project.pk, content=f"{title}服务合同",
        term_start=datetime.date(YEAR, 3, 1), term_end=datetime.date(YEAR, 12, 31),
        price="11000.00", quantity_requirements="全年活动不少于20场",
        quality_requirements="参与居民满意度不低于90%", settlement_terms="按阶段验收后支付",
        liabilities="未按约定提供服务的，按比例扣减服务费", reason=REASON,
    )  # fmt: skip
    services.contract_submit(actor=maker, contract_id=contract.pk, reason=REASON)
    _approve(checker, "projects.contract", contract.pk)
    services.contract_sign(actor=maker, contract_id=contract.pk,
                           signed_on=datetime.date(YEAR, 3, 1), scan=_pdf("合同.pdf"))  # fmt: skip
    if target == "terminated":
        services.project_terminate(actor=maker, project_id=project.pk,
                                   reason="承接组织无法继续提供服务")  # fmt: skip
        return
    if ORDER.index(target) < ORDER.index("in_progress"):
        return
    services.project_start(actor=maker, project_id=project.pk, reason=REASON)
    milestones = list(Milestone.objects.filter(project=project).order_by("number"))
    paid = milestones if ORDER.index(target) >= ORDER.index("accepted") else milestones[:1]
    for milestone in paid:
        services.evidence_upload(actor=maker, milestone_id=milestone.pk,
                                 file=_pdf("验收材料.pdf"))  # fmt: skip
        services.milestone_accept(actor=maker, milestone_id=milestone.pk,
                                  accepted_on=milestone.due_on, note="验收合格")  # fmt: skip
        payment = services.payment_request(
            actor=maker, milestone_id=milestone.pk, idempotency_key=f"demo-pay-{milestone.pk}",
            reason=REASON,
        )  # fmt: skip
        _approve(checker, "projects.milestonepayment", payment.pk)
    if target == "in_progress":
        return
    services.project_deliver(actor=maker, project_id=project.pk, reason=REASON)
    if target == "delivered":
        return
    services.project_accept(actor=maker, project_id=project.pk, reason=REASON)
    services.evaluation_record(
        actor=maker, project_id=project.pk, evaluator_kind="third_party",
        evaluator_name="东营市社会工作评估中心", evaluated_on=datetime.date(YEAR, 12, 20),
        criteria=[{"name": "服务完成度", "weight": 40, "score": 92},
                  {"name": "服务质量", "weight": 40, "score": 88},
                  {"name": "居民满意度", "weight": 20, "score": 95}],
        summary="项目按合同完成，居民反响良好。",
    )  # fmt: skip
    if target == "accepted":
        return
    services.project_close(actor=maker, project_id=project.pk, reason="项目结项")
