"""Dozens of purchase-of-service projects across the townships, in every lifecycle state:
allocations from two sources (the county's special fund and the township's welfare
subsidy), contracts signed, milestones accepted and paid (to the undertaker, or into the
custody member's account), supervision visits, evaluations, and projects closed with their
unspent money returned to the budget lines. Made by the city finance officer, approved by
the officers of the purchaser's county through the approval engine."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from access.models import User
from escrow import services as escrow_services
from escrow.models import CustodialAccount
from federations.eligibility import transferred_function_eligibility
from federations.models import Federation, Organization, Region
from funds.models import BudgetLine
from projects import services
from projects.models import Milestone, MilestonePaymentPart, Project

from .common import Year, approve, clock, officers
from .escrow import staff_of

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PROJECTS = 48  # at scale 1
STATES = ["draft", "submitted", "approved", "contracted", "in_progress", "delivered",
          "accepted", "closed", "cancelled", "terminated"]  # fmt: skip
# After one of each: most projects of a year are under way or done.
MORE = ["in_progress", "closed", "in_progress", "accepted", "closed", "contracted",
        "in_progress", "closed", "delivered", "submitted", "closed", "in_progress"]  # fmt: skip
ORDER = STATES[:8]
# (title, category, catalogue code)
TITLES = [
    ("长者助餐服务", "elderly_care", "C0101"), ("高龄独居老人探访", "elderly_care", "C0102"),
    ("失能老人居家照护培训", "elderly_care", "C0103"), ("银龄互助结对", "elderly_care", "C0104"),
    ("社区广场舞大赛", "culture_sports", "C0301"), ("邻里文化节", "culture_sports", "C0302"),
    ("全民健身课堂", "culture_sports", "C0303"), ("少儿书法公益课", "culture_sports", "C0304"),
    ("黄河口民俗文化展演", "culture_sports", "C0305"), ("社区读书会", "culture_sports", "C0306"),
    ("邻里纠纷调解", "dispute_mediation", "C0501"),
    ("婚姻家庭矛盾化解", "dispute_mediation", "C0502"),
    ("物业纠纷协商议事", "dispute_mediation", "C0503"),
    ("法律明白人培训", "dispute_mediation", "C0504"),
]  # fmt: skip
LINE_OF = {"elderly_care": "elderly_care", "culture_sports": "culture_sports",
           "dispute_mediation": "dispute_mediation"}  # fmt: skip
SECOND_LINE = {"elderly_care": "culture_sports", "culture_sports": "elderly_care",
               "dispute_mediation": "elderly_care"}  # fmt: skip


def _count(year: Year) -> int:
    return year.n(PROJECTS, len(STATES))


def steps(year: Year) -> int:
    return _count(year)


def _townships(year: Year) -> list[tuple[Region, Federation]]:
    """Townships with a federation that holds accounts and an approved budget this year."""
    found = []
    for federation in (
        Federation.objects.filter(is_active=True)
        .exclude(credit_code="")
        .select_related("township__parent")
        .order_by("id")
    ):
        if not BudgetLine.objects.filter(budget__region=federation.township,
                                         budget__fiscal_year__year=year.year,
                                         budget__state="approved").exists():  # fmt: skip
            continue
        if CustodialAccount.objects.filter(federation=federation, state="active").exists():
            found.append((federation.township, federation))
    return found


def build(year: Year, progress, places: dict) -> int:
    rng = year.rng("projects")
    towns = _townships(year)
    if not towns:
        return 0
    maker = User.objects.get(username="finance.city")
    made = 0
    used_titles: set[str] = set()
    for i in range(_count(year)):
        target = STATES[i] if i < len(STATES) else MORE[(i - len(STATES)) % len(MORE)]
        township, federation = towns[i % len(towns)]
        name, category, code = TITLES[rng.randrange(len(TITLES))]
        title = f"{township.name}{year.year}年{name}"
        k = 2
        while title in used_titles:
            title = f"{township.name}{year.year}年{name}（{k}期）"
            k += 1
        used_titles.add(title)
        custody = i % 2 == 1
        budget = Decimal(rng.randrange(80, 260) * 100)
        two_sources = i % 3 == 0
        start_month = rng.randint(1, 6)
        if Project.objects.filter(title=title).exists():
            progress.update(1)
            continue
        _project(year, maker, township, federation, title, category, code, target, i,
                 custody=custody, budget=budget, two_sources=two_sources,
                 start_month=start_month)  # fmt: skip
        made += 1
        progress.update(1)
    return made


def _undertaker(township: Region, federation: Federation, i: int, *, custody: bool):
    if custody:
        accounts = list(
            CustodialAccount.objects.filter(federation=federation, state="active")
            .select_related("organization")
            .order_by("id")
        )
        eligible = [
            a.organization
            for a in accounts
            if transferred_function_eligibility(organization=a.organization)
        ]
        pool = eligible or [a.organization for a in accounts]
        return pool[i % len(pool)] if pool else None
    found = [
        org
        for org in Organization.objects.filter(
            community__path__startswith=township.path, state="active"
        )
        .exclude(legal_status="filed")
        .order_by("id")[:12]
        if transferred_function_eligibility(organization=org)
    ]
    return found[i % len(found)] if found else None


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _project(year: Year, maker, township, federation, title, category, code, target, i, *,
             custody, budget, two_sources, start_month, member=None) -> Project | None:  # fmt: skip
    org = member or _undertaker(township, federation, i, custody=custody)
    if org is None and custody:
        custody = False
        org = _undertaker(township, federation, i, custody=False)
    if org is None:
        return None
    deciders = [u for u in officers(township) if u.pk != maker.pk]
    staff = staff_of(year, federation) if custody else None
    y = year.year
    signed_on = year.day(start_month, 10)
    with clock(year, year.day(max(1, start_month - 1), 3 + i % 20)):
        project = _plan(year, maker, deciders, township, federation, org, title, category,
                        code, target, i, custody=custody, budget=budget,
                        two_sources=two_sources, start_month=start_month)  # fmt: skip
    if target in ("draft", "submitted", "approved"):
        return project
    if target == "cancelled":
        with clock(year, signed_on):
            services.project_cancel(actor=maker, project_id=project.pk,
                                    reason="与相邻社区项目合并实施")  # fmt: skip
        return project
    price = sum(m.amount for m in Milestone.objects.filter(project=project))
    with clock(year, signed_on):
        contract = services.contract_create(
            actor=maker, project_id=project.pk, content=f"{title}服务合同",
            term_start=signed_on, term_end=datetime.date(y, 12, 31), price=f"{price:.2f}",
            quantity_requirements="全年服务不少于24场次，覆盖居民不少于300人次",
            quality_requirements="服务对象满意度不低于90%", settlement_terms="按阶段验收合格后支付",
            liabilities="未按约定提供服务的，按比例扣减服务费", reason="起草服务合同",
        )  # fmt: skip
        services.contract_submit(actor=maker, contract_id=contract.pk, reason="提交合同审批")
        approve("projects.contract", contract.pk, deciders)
        services.contract_sign(actor=maker, contract_id=contract.pk, signed_on=signed_on,
                               scan=_pdf("服务合同.pdf"))  # fmt: skip
    if target == "terminated":
        with clock(year, year.day(start_month + 2, 12)):
            services.project_terminate(actor=maker, project_id=project.pk,
                                       reason="承接组织负责人变动，无法继续提供服务")  # fmt: skip
        return project
    if target == "contracted":
        return project
    with clock(year, year.day(start_month, 15)):
        services.project_start(actor=maker, project_id=project.pk, reason="项目启动")
    if custody:
        with clock(year, year.day(start_month + 1, 15)):
            services.visit_record(actor=staff, project_id=project.pk,
                                  visited_on=year.day(start_month + 1, 15),
                                  progress="活动按计划开展，台账齐全", issues="")  # fmt: skip
    milestones = list(Milestone.objects.filter(project=project).order_by("number"))
    paid = milestones if ORDER.index(target) >= ORDER.index("delivered") else milestones[:1]
    last = signed_on
    for milestone in paid:
        last = min(milestone.due_on, year.today)
        with clock(year, last):
            _pay(year, maker, deciders, staff, milestone, request=True)
    if target == "in_progress":
        if len(milestones) > 1 and i % 4 == 0:
            # The next stage accepted, its payment waiting in the officers' inbox (or not
            # asked for yet).
            with clock(year, min(milestones[1].due_on, year.today)):
                _pay(year, maker, [], None, milestones[1], request=i % 8 == 0)
        return project
    finish = min(last + datetime.timedelta(days=10), year.today)
    with clock(year, finish):
        services.project_deliver(actor=maker, project_id=project.pk, reason="服务全部完成")
    if target == "delivered":
        return project
    with clock(year, finish + datetime.timedelta(days=3)):
        services.project_accept(actor=maker, project_id=project.pk, reason="项目整体验收合格")
        score = 70 + (i * 7) % 28
        services.evaluation_record(
            actor=maker, project_id=project.pk, evaluator_kind="third_party",
            evaluator_name="东营市社会工作评估中心",
            evaluated_on=min(finish + datetime.timedelta(days=3), year.today),
            criteria=[{"name": "服务完成度", "weight": 40, "score": score},
                      {"name": "服务质量", "weight": 40, "score": min(100, score + 3)},
                      {"name": "居民满意度", "weight": 20, "score": min(100, score + 5)}],
            summary="项目按合同完成，居民反响良好。" if score >= 80 else "基本完成，台账需规范。",
        )  # fmt: skip
    if target == "accepted":
        return project
    with clock(year, finish + datetime.timedelta(days=7)):
        services.project_close(actor=maker, project_id=project.pk,
                               reason="项目结项，结余资金退回")  # fmt: skip
    return project


def _plan(year: Year, maker, deciders, township, federation, org, title, category, code,
          target, i, *, custody, budget, two_sources, start_month) -> Project:  # fmt: skip
    """The project proposed, approved, its money allocated and its milestones set."""
    y = year.year
    who = (
        {"custody_federation": federation.pk, "member": org.pk}
        if custody
        else {"undertaker": org.pk}
    )
    project = services.project_create(
        actor=maker, title=title, purchaser=township.pk, category=category, catalogue_code=code,
        fiscal_year=y, budget_amount=f"{budget:.2f}",
        description=f"{title}：由{org.name}面向社区居民提供服务，全年分阶段实施。",
        reason="年度购买服务计划", **who,
    )  # fmt: skip
    if target == "draft":
        return project
    services.project_submit(actor=maker, project_id=project.pk, reason="提交立项审批")
    if target == "submitted":
        return project
    approve("projects.project", project.pk, deciders)
    lines = {
        line.category: line
        for line in BudgetLine.objects.filter(
            budget__region=township, budget__fiscal_year__year=y, budget__state="approved"
        )
    }
    first = lines.get(LINE_OF[category])
    second = lines.get(SECOND_LINE[category]) if two_sources else None
    major = (budget * Decimal("0.6")).quantize(Decimal("1"))
    shares = [(first, budget)] if second is None else [(first, major), (second, budget - major)]
    for line, amount in shares:
        if line is None:
            continue
        allocation = services.allocation_create(actor=maker, project_id=project.pk, line=line.pk,
                                                amount=f"{amount:.2f}",
                                                reason="从预算项目安排资金")  # fmt: skip
        services.allocation_submit(actor=maker, allocation_id=allocation.pk,
                                   reason="提交资金安排审批")  # fmt: skip
        approve("projects.allocation", allocation.pk, deciders)
    # The contract's price leaves a little unspent: close-out returns it to the lines.
    price = (budget * Decimal("0.95")).quantize(Decimal("1"))
    parts = 2 if i % 2 else 3
    each = (price / parts).quantize(Decimal("1"))
    amounts = [each] * (parts - 1) + [price - each * (parts - 1)]
    for n, amount in enumerate(amounts, 1):
        due = datetime.date(y, min(12, start_month + n * (10 - start_month) // parts + 1), 20)
        services.milestone_add(
            actor=maker, project_id=project.pk, number=n, title=f"第{n}阶段服务",
            due_on=due, amount=f"{amount:.2f}", deliverables="服务记录、签到表、照片、居民反馈表",
            reason="合同约定的付款节点",
        )  # fmt: skip
    return project


def _pay(year: Year, maker, deciders, staff, milestone, *, request: bool) -> None:
    """Evidence, acceptance, the payment asked for and approved; in custody the member's
    federation confirms the money's arrival."""
    services.evidence_upload(actor=maker, milestone_id=milestone.pk, file=_pdf("验收材料.pdf"))
    services.milestone_accept(actor=maker, milestone_id=milestone.pk,
                              accepted_on=min(milestone.due_on, year.today),
                              note="验收合格")  # fmt: skip
    if not request:
        return
    payment = services.payment_request(
        actor=maker, milestone_id=milestone.pk,
        idempotency_key=f"year:{year.year}:pay:{milestone.pk}", reason="验收合格，申请支付",
    )  # fmt: skip
    if not deciders or not approve("projects.milestonepayment", payment.pk, deciders):
        return
    if staff is not None:  # the federation confirms the money's arrival
        for part in MilestonePaymentPart.objects.filter(payment=payment, pending=True):
            escrow_services.deposit_confirm(actor=staff, transfer_id=part.transfer_id,
                                            bank_reference=f"XM{year.year}{part.transfer_id:06d}",
                                            reason="项目款到账")  # fmt: skip
