"""Objects of the other apps, so path parameters of their endpoints name real rows.

For each kind of object there is one in township A (in the scope of `finance_town`,
`federation_staff` and `organization_rep`) and one in township B (out of their scope).
Add a small function per app when its endpoints land.
"""

from __future__ import annotations

import datetime

from django.core.files.base import ContentFile

from core.audited import set_reason


def seed_federations(world) -> None:
    from federations.models import Membership
    from tests.factories import make_region
    from tests.federations.factories import make_org, make_staff

    o = world.objects
    # A township with no federation yet (to register one in).
    o["town_c"] = make_region("370502200", "龙居镇", "township", o["county"])
    o["staff_a"] = make_staff(o["federation_a"], "甲社工")
    o["staff_b"] = make_staff(o["federation_b"], "乙社工")
    o["membership_a"] = Membership.objects.get(
        federation=o["federation_a"], organization=o["org_a"]
    )
    o["membership_b"] = Membership.objects.get(
        federation=o["federation_b"], organization=o["org_b"]
    )
    # Organizations in each township that belong to no federation yet (to join one).
    o["loose_org_a"] = make_org(o["comm_a2"], "金湖社区读书会")
    o["loose_org_b"] = make_org(o["comm_b1"], "王家村书画社")
    # Complete org_a and org_b (the shared tree leaves them minimal); this also gives them
    # a second version, so the history has a difference to show.
    for name in ("org_a", "org_b"):
        org = o[name]
        org.representative_name = "赵六"
        org.founded_on = datetime.date(2019, 6, 1)
        org.full_clean()
        set_reason(org, "register completed").save()


def seed_ledger(world) -> None:
    from tests.ledger.factories import account, funded_source, move

    o = world.objects
    for side in ("a", "b"):
        town, fed, org = o[f"town_{side}"], o[f"federation_{side}"], o[f"org_{side}"]
        src, _treasury = funded_source("1000.00", region=town)
        custodial = account("custodial", region=org.community, federation=fed, organization=org)
        o[f"source_{side}"] = src
        o[f"account_{side}"] = custodial
        o[f"transfer_{side}"] = move(src, custodial, "100.00", src)


def seed_jobs(world) -> None:
    """One finished job with a file per user; a job is its owner's (and administrators')."""
    from core.models import Job

    for role, user in world.users.items():
        job = Job(kind="audit.export", owner=user, status=Job.Status.SUCCEEDED, total=1)
        job.finished_at = datetime.datetime.now(datetime.UTC)
        job.file.save(f"{role}.csv", ContentFile(b"id\n1\n"), save=False)
        set_reason(job, "test").save()
        world.objects[f"job_{role}"] = job


def seed_approvals(world) -> None:
    """The test step kind, a city policy (one township officer), a request waiting in each
    township (submitted by that township's federation staff), a future delegation in each
    township, and one notification per user."""
    from access.models import Role
    from approvals import services
    from core.notifications import notify
    from tests.approvals.steps import KIND, OWNER_TYPE, ensure_registered
    from tests.factories import make_user

    ensure_registered()
    o, u = world.objects, world.users
    extra = {
        "finance_town2": make_user("api_fin_town2", Role.FINANCE_OFFICER, region=o["town_a"]),
        "finance_county2": make_user("api_fin_county2", Role.FINANCE_OFFICER, region=o["county"]),
        "finance_town_b": make_user("api_fin_town_b", Role.FINANCE_OFFICER, region=o["town_b"]),
        "finance_town_b2": make_user("api_fin_town_b2", Role.FINANCE_OFFICER, region=o["town_b"]),
        "federation_staff_b": make_user(
            "api_fed_staff_b", Role.FEDERATION_STAFF, federation=o["federation_b"]
        ),
    }
    o.update({f"user_{k}": v for k, v in extra.items()})
    o["approval_policy"] = services.policy_create(
        actor=u["administrator"],
        kind=KIND,
        region=o["city"],
        tiers=[{"above_amount": "0", "level": "township", "count": 1}],
    )
    for side, submitter in (("a", u["federation_staff"]), ("b", extra["federation_staff_b"])):
        o[f"approval_{side}"] = services.request_submit(
            actor=submitter,
            kind=KIND,
            owner_type=OWNER_TYPE,
            owner_id=1 if side == "a" else 2,
            amount="1000.00",
            federation=o[f"federation_{side}"],
            reason="请审批",
        )
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    for side, by, to in (
        ("a", u["finance_town"], extra["finance_town2"]),
        ("b", extra["finance_town_b"], extra["finance_town_b2"]),
    ):
        o[f"delegation_{side}"] = services.delegation_grant(
            actor=by,
            to_user=to,
            region=o[f"town_{side}"],
            starts_on=tomorrow,
            ends_on=tomorrow + datetime.timedelta(days=5),
            reason="休假",
        )
    for role, user in u.items():
        o[f"notification_{role}"], _ = notify(
            user=user, key="api-test", kind="test", message="测试通知"
        )


def seed_funds(world) -> None:
    """Fiscal years 2024 (closed) to 2027; sources, budgets, lines, adjustments and
    carry-forwards in townships A and B (approved through the engine by a second county
    officer); drafts to edit and submit."""
    from access.models import Role
    from approvals import services as approvals
    from approvals.models import ApprovalRequest
    from funds import services
    from tests.factories import make_user

    o, admin = world.objects, world.users["administrator"]
    county, town = world.users["finance_county"], world.users["finance_town"]
    checker = o.get("user_finance_county2") or make_user(
        "api_fin_county2", Role.FINANCE_OFFICER, region=o["county"]
    )
    for kind in ("funding_source", "budget", "budget_adjustment", "carry_forward"):
        approvals.policy_create(
            actor=admin,
            kind=kind,
            region=o["city"],
            reason="测试",
            tiers=[{"above_amount": "0", "level": "county", "count": 1}],
        )
    for year in (2024, 2025, 2026, 2027):
        o[f"fy_{year}"] = services.fiscal_year_open(actor=admin, year=year, reason="测试")

    def approve(owner_type, owner_id):
        request = ApprovalRequest.objects.get(
            owner_type=owner_type, owner_id=owner_id, state="pending"
        )
        approvals.request_approve(actor=checker, request_id=request.pk, reason="同意")

    numbers = iter(range(1, 1000))

    def source(side, year, amount, *, approve_it=True):
        number = next(numbers)
        made = services.source_create(
            actor=county,
            kind="community_welfare_subsidy",
            fiscal_year=year,
            region=o[f"town_{side}"].pk,
            name=f"{year}年社区公益事业补助资金{side}{number}",
            issuer="东营区财政局",
            document_number=f"东区财〔{year}〕{number}号",
            appropriated_amount=amount,
            reason="测试",
        )
        if approve_it:
            services.source_submit(actor=county, source_id=made.pk)
            approve("funds.fundingsource", made.pk)
            made.refresh_from_db()
        return made

    def budget(side, year, lines, *, approve_it=True):
        made = services.budget_create(
            actor=county,
            region=o[f"town_{side}"].pk,
            fiscal_year=year,
            title=f"{side}{year}年度预算",
        )
        added = [
            services.line_add(actor=county, budget_id=made.pk, category=c, source_id=s.pk, amount=a)
            for c, s, a in lines
        ]
        if approve_it:
            services.budget_submit(actor=county, budget_id=made.pk)
            approve("funds.budget", made.pk)
        for line in added:
            line.refresh_from_db()
        return made, added

    for side in ("a", "b"):
        o[f"old_source_{side}"] = source(side, 2024, "1000.00")
        o[f"old_source_{side}2"] = source(side, 2024, "500.00")
        o[f"source25_{side}"] = source(side, 2025, "5000.00")
        o[f"fsource_{side}"] = source(side, 2026, "100000.00")
        o[f"draft_source_{side}"] = source(side, 2026, "300.00", approve_it=False)
        o[f"draft_budget_{side}"], (o[f"draft_line_{side}"],) = budget(
            side, 2025, [("elderly_care", o[f"source25_{side}"], "100.00")], approve_it=False
        )
        o[f"budget_{side}"], (o[f"line_{side}1"], o[f"line_{side}2"]) = budget(
            side,
            2026,
            [
                ("elderly_care", o[f"fsource_{side}"], "30000.00"),
                ("disability", o[f"fsource_{side}"], "20000.00"),
            ],
        )
        o[f"adjustment_{side}"] = services.adjustment_request(
            actor=town if side == "a" else county,
            from_line_id=o[f"line_{side}1"].pk,
            to_line_id=o[f"line_{side}2"].pk,
            amount="100.00",
            reason="调剂",
        )
    services.fiscal_year_close(actor=admin, year=2024, reason="年终")
    for side in ("a", "b"):
        o[f"carry_{side}"] = services.carry_forward_request(
            actor=county, source_id=o[f"old_source_{side}"].pk, reason="结转"
        )


def seed_campaigns(world) -> None:
    """Crowdfunding in townships A and B (after seed_funds: fiscal years are open): a
    charitable holder per township, campaigns draft, approved, open and failed, donations
    (one with a receipt), a draft charity fund with its agreement per community."""
    from access.models import Role
    from approvals import services as approvals
    from approvals.models import ApprovalRequest
    from funds.campaigns import services as crowd
    from tests.factories import make_user

    o, admin = world.objects, world.users["administrator"]
    county = world.users["finance_county"]
    checker = o.get("user_finance_county2") or make_user(
        "api_fin_county2", Role.FINANCE_OFFICER, region=o["county"]
    )
    for kind in (crowd.STEP_CAMPAIGN, crowd.STEP_CHARITY_FUND):
        tiers = [{"above_amount": "0", "level": "county", "count": 1}]
        approvals.policy_create(
            actor=admin, kind=kind, region=o["city"], reason="测试", tiers=tiers
        )

    def approve(owner_type, owner_id):
        request = ApprovalRequest.objects.get(owner_type=owner_type, owner_id=owner_id,
                                              state="pending")  # fmt: skip
        approvals.request_approve(actor=checker, request_id=request.pk, reason="同意")

    def campaign(side, title, state, rule="all_or_nothing"):
        made = crowd.campaign_create(
            actor=county, region=o[f"town_{side}"].pk, holder=o[f"holder_{side}"].pk,
            title=title, purpose="测试众筹", target_amount="1000.00",
            starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 12, 31),
            outcome_rule=rule, category="elderly_care",
        )  # fmt: skip
        if state != "draft":
            crowd.campaign_submit(actor=county, campaign_id=made.pk)
            approve("funds.campaign", made.pk)
        if state in ("open", "failed"):
            crowd.campaign_open(actor=county, campaign_id=made.pk)
        return made

    def donate(side, target, key, amount="100.00"):
        return crowd.donation_record(
            actor=county, idempotency_key=f"seed-{side}-{key}", campaign=target.pk,
            donor_type="resident", donor_name=f"捐赠人{side}{key}", amount=amount,
            channel="cash", donated_on=datetime.date(2026, 6, 1),
        )  # fmt: skip

    for side in ("a", "b"):
        o[f"holder_{side}"] = crowd.holder_create(
            actor=county, kind="charity", name=f"慈善会{side}", region=o[f"town_{side}"].pk,
            fundraising_certificate=f"募字{side}", fundraising_authority="东营市民政局",
            fundraising_valid_from=datetime.date(2024, 1, 1),
            fundraising_valid_until=datetime.date(2030, 12, 31),
        )  # fmt: skip
        o[f"draft_campaign_{side}"] = campaign(side, f"草稿众筹{side}", "draft")
        o[f"approved_campaign_{side}"] = campaign(side, f"已批准众筹{side}", "approved")
        o[f"campaign_{side}"] = campaign(side, f"进行中众筹{side}", "open")
        o[f"donation_{side}"] = donate(side, o[f"campaign_{side}"], 1)
        o[f"receipt_{side}"] = crowd.receipt_issue(
            actor=county, donation_id=donate(side, o[f"campaign_{side}"], 2).pk
        )
        failed = campaign(side, f"失败众筹{side}", "failed")
        donate(side, failed, 3, "10.00")
        o[f"failed_campaign_{side}"] = crowd.campaign_close(actor=county, campaign_id=failed.pk)
        fund = crowd.charity_fund_create(
            actor=county, region=o[f"comm_{side}1"].pk, host=o[f"holder_{side}"].pk,
            name=f"社区慈善基金{side}", expected_amount="5000.00", agreement_number=f"协议{side}",
            agreement_signed_on=datetime.date(2026, 1, 1),
            agreement_starts_on=datetime.date(2026, 1, 1),
            agreement_ends_on=datetime.date(2029, 12, 31),
        )  # fmt: skip
        o[f"fund_{side}"] = crowd.charity_fund_upload_agreement(
            actor=county, fund_id=fund.pk, filename="协议.pdf", content=b"%PDF-1.4\n%%EOF\n"
        )


def seed_projects(world) -> None:
    """Projects in townships A and B (federation custody for org A / org B), one per state
    an endpoint acts on: a draft; an approved one (draft and reserved allocations); one with
    a draft contract and one with an approved contract (money reserved, milestones adding to
    the price); a running one (signed, a milestone planned, one with evidence, one accepted);
    a delivered one with an evaluation. A need and an offer in each township."""
    from approvals import services as approvals
    from approvals.models import ApprovalRequest
    from ledger import services as ledger
    from ledger.services import AccountScope
    from projects import services
    from tests.projects.factories import STEPS, pdf

    o, admin = world.objects, world.users["administrator"]
    county = world.users["finance_county"]
    checker = o["user_finance_county2"]
    for kind in STEPS:
        approvals.policy_create(
            actor=admin, kind=kind, region=o["city"], reason="测试",
            tiers=[{"above_amount": "0", "level": "county", "count": 1}],
        )  # fmt: skip

    def approve(owner_type, owner_id):
        request = ApprovalRequest.objects.get(
            owner_type=owner_type, owner_id=owner_id, state="pending"
        )
        approvals.request_approve(actor=checker, request_id=request.pk, reason="同意")

    def project(side, title, *, approve_it=True):
        made = services.project_create(
            actor=county, title=f"{title}{side}", purchaser=o[f"town_{side}"].pk,
            category="elderly_care", catalogue_code="A0501", fiscal_year=2026,
            budget_amount="1000.00", custody_federation=o[f"federation_{side}"].pk,
            member=o[f"org_{side}"].pk,
        )  # fmt: skip
        if approve_it:
            services.project_submit(actor=county, project_id=made.pk)
            approve("projects.project", made.pk)
        return made

    def allocation(side, made, amount="100.00", *, approve_it=True, submit=True):
        alloc = services.allocation_create(
            actor=county, project_id=made.pk, line=o[f"line_{side}1"].pk, amount=amount
        )
        if submit:
            services.allocation_submit(actor=county, allocation_id=alloc.pk)
            if approve_it:
                approve("projects.allocation", alloc.pk)
        return alloc

    def contract(side, made, *, approve_it, shares=("400.00", "300.00", "300.00")):
        allocation(side, made, "1000.00")
        for i, share in enumerate(shares, start=1):
            o[f"milestone_{made.pk}_{i}"] = services.milestone_add(
                actor=county, project_id=made.pk, number=i, title=f"第{i}阶段",
                due_on=f"2026-0{i + 5}-01", amount=share,
            )  # fmt: skip
        made_contract = services.contract_create(
            actor=county, project_id=made.pk, content="助餐服务", term_start="2026-03-01",
            term_end="2026-12-31", price="1000.00",
        )  # fmt: skip
        if approve_it:
            services.contract_submit(actor=county, contract_id=made_contract.pk)
            approve("projects.contract", made_contract.pk)
        return made_contract

    for side in ("a", "b"):
        org = o[f"org_{side}"]
        ledger.open_account(
            actor=admin, kind="custodial", name=f"{org.name}代管账户",
            owner_type="federations.organization", owner_id=org.pk,
            scope=AccountScope(region_path=org.community.path,
                               federation_id=o[f"federation_{side}"].pk, organization_id=org.pk),
        )  # fmt: skip
        o[f"demand_{side}"] = services.demand_create(
            actor=county, community=o[f"comm_{side}1"].pk, title=f"助餐需求{side}",
            category="elderly_care", beneficiary_count=20,
        )  # fmt: skip
        o[f"offer_{side}"] = services.offer_create(
            actor=admin, organization=org.pk, title=f"助餐服务{side}", category="elderly_care",
            area=o[f"town_{side}"].pk, price_min="100.00", price_max="5000.00", capacity=50,
        )  # fmt: skip
        o[f"project_draft_{side}"] = project(side, "草稿项目", approve_it=False)
        approved = o[f"project_approved_{side}"] = project(side, "已批项目")
        o[f"allocation_draft_{side}"] = allocation(side, approved, submit=False)
        o[f"allocation_reserved_{side}"] = allocation(side, approved)
        o[f"contract_draft_{side}"] = contract(side, project(side, "合同草稿"), approve_it=False)
        o[f"contract_approved_{side}"] = contract(side, project(side, "合同已批"), approve_it=True)
        running = o[f"project_running_{side}"] = project(side, "实施项目")
        signed = o[f"contract_signed_{side}"] = contract(side, running, approve_it=True)
        services.contract_sign(actor=county, contract_id=signed.pk, signed_on="2026-03-01",
                               scan=pdf())  # fmt: skip
        m1, m2, m3 = (o[f"milestone_{running.pk}_{i}"] for i in (1, 2, 3))
        o[f"milestone_planned_{side}"] = m1
        o[f"milestone_evidenced_{side}"] = m2
        o[f"evidence_{side}"] = services.evidence_upload(actor=county, milestone_id=m2.pk,
                                                          file=pdf())  # fmt: skip
        services.evidence_upload(actor=county, milestone_id=m3.pk, file=pdf())
        o[f"milestone_accepted_{side}"] = services.milestone_accept(
            actor=county, milestone_id=m3.pk, accepted_on="2026-06-01", note="验收合格"
        )
        done = o[f"project_delivered_{side}"] = project(side, "已交付项目")
        contract_done = contract(side, done, approve_it=True, shares=("1000.00",))
        services.contract_sign(actor=county, contract_id=contract_done.pk,
                               signed_on="2026-03-01", scan=pdf())  # fmt: skip
        services.project_start(actor=county, project_id=done.pk)
        services.project_deliver(actor=county, project_id=done.pk)
        o[f"evaluation_{side}"] = services.evaluation_record(
            actor=county, project_id=done.pk, evaluator_kind="purchaser",
            evaluator_name="街道", evaluated_on="2026-12-01",
            criteria=[{"name": "质量", "weight": 100, "score": 88}],
        )  # fmt: skip


def seed_escrow(world) -> None:
    """Per township: custodial accounts (one with money, one empty, one frozen, and a member
    without one yet), deposits (arrived, receivable), claims (draft, submitted, approved by a
    second staff member, one forwarded by that one and waiting in the engine), a
    voucher, last month's statement, and this month's bank statement with a suggested match
    and a line left unmatched."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from access.models import Role
    from approvals import services as approvals
    from escrow import reconciliation, services, statements
    from escrow.models import BankMatch
    from federations.models import Membership
    from tests.factories import make_user
    from tests.federations.factories import make_org

    o, u = world.objects, world.users
    approvals.policy_create(
        actor=u["administrator"], kind=services.STEP_CLAIM, region=o["city"], reason="测试",
        tiers=services.CLAIM_POLICY_TIERS,
    )  # fmt: skip
    o["user_org_rep_b"] = make_user("api_org_rep_b", Role.ORGANIZATION_REP, organization=o["org_b"])
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    today = timezone.localdate()
    last_year, last_month = statements.previous_month(today)
    for side in ("a", "b"):
        fed, community = o[f"federation_{side}"], o[f"comm_{side}1"]
        staff = u["federation_staff"] if side == "a" else o["user_federation_staff_b"]
        rep = u["organization_rep"] if side == "a" else o["user_org_rep_b"]
        # The claims' checker: a second staff member of the federation (the first forwards).
        checker = o[f"user_federation_staff2_{side}"] = make_user(
            f"api_fed_staff2_{side}", Role.FEDERATION_STAFF, federation=fed
        )
        members = {}
        for name in ("open", "empty", "frozen"):
            org = make_org(community, f"{community.name}{name}队")
            Membership(federation=fed, organization=org, joined_on=today.replace(day=1)).save()
            members[name] = org
        o[f"custody_org_{side}"] = members["open"]
        account = services.account_open(actor=staff, federation_id=fed.pk,
                                        organization_id=o[f"org_{side}"].pk)  # fmt: skip
        o[f"escrow_account_{side}"] = account
        o[f"empty_account_{side}"] = services.account_open(
            actor=staff, federation_id=fed.pk, organization_id=members["empty"].pk)  # fmt: skip
        frozen = services.account_open(actor=staff, federation_id=fed.pk,
                                       organization_id=members["frozen"].pk)  # fmt: skip
        o[f"frozen_account_{side}"] = services.account_freeze(
            actor=staff, account_id=frozen.pk, reason="核查")  # fmt: skip
        source = o[f"fsource_{side}"]

        def deposit(amount, ref=None, *, account=account, staff=staff, source=source, side=side):
            made = services.deposit_announce(
                actor=staff, account_id=account.pk, kind="other", funding_source_id=source.pk,
                amount=amount, payer="东营区民政局", idempotency_key=f"api-{side}-{amount}",
            )  # fmt: skip
            if ref:
                made = services.deposit_confirm(actor=staff, transfer_id=made.transfer_id,
                                                bank_reference=ref)  # fmt: skip
            return made

        o[f"deposit_done_{side}"] = deposit("5000.00", f"B-{side}-1")
        o[f"deposit_second_{side}"] = deposit("700.00", f"B-{side}-2")
        o[f"deposit_{side}"] = deposit("300.00")  # receivable
        o[f"receivable_transfer_{side}"] = o[f"deposit_{side}"].transfer_id

        def claim(title, *, rep=rep, account=account, source=source):
            made = services.claim_create(actor=rep, account_id=account.pk, title=title)
            line = services.line_add(
                actor=rep, claim_id=made.pk, category="materials", amount="100.00",
                payee_name="文具店", payee_bank="工商银行", payee_account_number="622202123456789",
                funding_source_id=source.pk,
            )  # fmt: skip
            voucher = services.voucher_add(
                actor=rep, claim_id=made.pk,
                file=SimpleUploadedFile("发票.pdf", pdf, content_type="application/pdf"),
            )  # fmt: skip
            return made, line, voucher

        o[f"claim_{side}"], o[f"claim_line_{side}"], o[f"voucher_{side}"] = claim("草稿")
        submitted, _line, _voucher = claim("已提交")
        services.claim_submit(actor=rep, claim_id=submitted.pk)
        o[f"claim_submitted_{side}"] = submitted
        approved, _line, _voucher = claim("已批准")
        services.claim_submit(actor=rep, claim_id=approved.pk)
        request = services.claim_forward(actor=staff, claim_id=approved.pk)
        approvals.request_approve(actor=checker, request_id=request.pk, reason="同意")
        o[f"claim_approved_{side}"] = approved
        # Forwarded by the checker: waits for the (matrix's) federation staff to decide.
        waiting, _line, _voucher = claim("待审批")
        services.claim_submit(actor=rep, claim_id=waiting.pk)
        o[f"claim_approval_{side}"] = services.claim_forward(actor=checker, claim_id=waiting.pk)
        o[f"statement_{side}"], _new = statements.statement_generate(
            account=account, year=last_year, month=last_month)  # fmt: skip
        day = today.isoformat()
        csv = f"日期,金额,流水号\n{day},5000.00,B-{side}-1\n{day},700.00,X\n"
        bank = reconciliation.bank_statement_import(
            actor=staff, federation_id=fed.pk,
            file=SimpleUploadedFile("bank.csv", csv.encode()), year=today.year,
            month=today.month, opening_balance="0.00", closing_balance="5700.00",
            mapping={"date": "日期", "amount": "金额", "reference": "流水号"},
        )  # fmt: skip
        o[f"bank_{side}"] = bank
        o[f"bank_match_{side}"] = BankMatch.objects.get(line__statement=bank, line__row=2)
        loose = BankMatch.objects.get(line__statement=bank, line__row=3)
        o[f"bank_loose_line_{side}"] = loose.line
        o[f"bank_loose_transfer_{side}"] = loose.transfer_id
        reconciliation.match_remove(actor=staff, match_id=loose.pk, reason="待人工匹配")


SEEDS = [seed_federations, seed_ledger, seed_jobs, seed_approvals, seed_funds, seed_projects,
         seed_escrow]  # fmt: skip


SEEDS = [
    seed_federations,
    seed_ledger,
    seed_jobs,
    seed_approvals,
    seed_funds,
    seed_campaigns,
    seed_projects,
    seed_escrow,
]


def seed_other_apps(world) -> None:
    for seed in SEEDS:
        seed(world)
