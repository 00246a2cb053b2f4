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


SEEDS = [seed_federations, seed_ledger, seed_jobs, seed_approvals]


def seed_other_apps(world) -> None:
    for seed in SEEDS:
        seed(world)
