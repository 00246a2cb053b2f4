"""The approvals tests' world: the region tree, officers at each level, a submitter, and a
city-wide policy for the test step (township alone up to ¥50,000; above that a county
officer too; above ¥500,000 two county officers)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from access.models import Role
from approvals import services
from approvals.models import ApprovalDecision, ApprovalRequest, ApprovalRequirement
from tests.approvals import steps
from tests.factories import make_user

TIERS = [
    {"above_amount": "0", "level": "township", "count": 1},
    {"above_amount": "50000", "level": "county", "count": 1},
    {"above_amount": "500000", "level": "county", "count": 2},
]


@dataclass
class ApprovalWorld:
    regions: dict
    users: dict
    policy: object

    def __getitem__(self, name):
        return self.users[name]

    def submit(self, amount="1000.00", *, by="submitter", owner_id=1, **kwargs):
        scope = {"federation": self.regions["federation_a"]}
        if {"region", "federation", "organization"} & set(kwargs):
            scope = {}
        return services.request_submit(
            actor=self.users[by],
            kind=steps.KIND,
            owner_type=steps.OWNER_TYPE,
            owner_id=owner_id,
            amount=amount,
            reason=kwargs.pop("reason", "请审批"),
            **scope,
            **kwargs,
        )


@pytest.fixture(autouse=True)
def test_step():
    steps.ensure_registered()
    steps.EFFECTS.clear()
    yield steps


@pytest.fixture
def aw(regions) -> ApprovalWorld:
    r = regions
    users = {
        "admin": make_user("ap_admin", Role.ADMINISTRATOR),
        "town_a": make_user("ap_town_a", Role.FINANCE_OFFICER, region=r["town_a"]),
        "town_a2": make_user("ap_town_a2", Role.FINANCE_OFFICER, region=r["town_a"]),
        "town_b": make_user("ap_town_b", Role.FINANCE_OFFICER, region=r["town_b"]),
        "county": make_user("ap_county", Role.FINANCE_OFFICER, region=r["county"]),
        "county2": make_user("ap_county2", Role.FINANCE_OFFICER, region=r["county"]),
        "county3": make_user("ap_county3", Role.FINANCE_OFFICER, region=r["county"]),
        "other_county": make_user("ap_other", Role.FINANCE_OFFICER, region=r["other_county"]),
        "city": make_user("ap_city", Role.FINANCE_OFFICER, region=r["city"]),
        "submitter": make_user("ap_staff", Role.FEDERATION_STAFF, federation=r["federation_a"]),
        "auditor": make_user("ap_auditor", Role.AUDITOR, region=r["city"]),
        "nobody": make_user("ap_nobody", None),
    }
    policy = services.policy_create(
        actor=users["admin"], kind=steps.KIND, region=r["city"], tiers=TIERS, reason="测试"
    )
    return ApprovalWorld(regions=r, users=users, policy=policy)


def written() -> tuple:
    """What the engine has written so far (rows and history rows), to prove nothing was."""
    return (
        ApprovalDecision.objects.count(),
        ApprovalRequest.objects.count(),
        ApprovalRequest.history.count(),
        ApprovalRequirement.history.count(),
        tuple(ApprovalRequest.objects.order_by("pk").values_list("state", flat=True)),
        tuple(ApprovalRequirement.objects.order_by("pk").values_list("given", "is_open")),
    )
