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


SEEDS = [seed_federations, seed_ledger, seed_jobs, seed_approvals, seed_funds, seed_escrow]


def seed_other_apps(world) -> None:
    for seed in SEEDS:
        seed(world)
