"""The federation-staff level: a tier asks for N staff of the request's federation (named by
the owning app's registration), with maker–checker, thresholds, delegation and the inbox."""

from __future__ import annotations

import datetime

import pytest

from access.models import Role, RoleAssignment
from approvals import services
from approvals.models import ApprovalRequest, RequestState
from approvals.registry import register_step, unregister_step
from approvals.selectors import inbox_for, requests_visible_to
from core.audited import set_reason
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from core.models import Notification
from tests.approvals import steps
from tests.factories import make_user

pytestmark = pytest.mark.django_db

KIND = "test_fed_step"
# owner id → federation id, as an owning app would find it from its object.
FEDERATION_OF: dict[int, int | None] = {}
STAFF_TIERS = [
    {"above_amount": "0", "level": "federation", "count": 1},
    {"above_amount": "5000", "level": "federation", "count": 2},
    {"above_amount": "50000", "level": "township", "count": 1},
]


@pytest.fixture
def fed(aw):
    register_step(
        KIND,
        label="测试联合会步骤",
        on_approved=steps.on_approved,
        on_rejected=steps.on_rejected,
        federation_of=FEDERATION_OF.get,
    )
    r = aw.regions
    for name, federation in (
        ("staff2", "federation_a"),
        ("staff3", "federation_a"),
        ("staff_b", "federation_b"),
    ):
        aw.users[name] = make_user(f"ap_{name}", Role.FEDERATION_STAFF, federation=r[federation])
    services.policy_create(
        actor=aw["admin"], kind=KIND, region=r["city"], tiers=STAFF_TIERS, reason="测试"
    )
    FEDERATION_OF.clear()
    yield aw
    unregister_step(KIND)


def submit(aw, amount, *, owner_id=1, federation="federation_a", by="submitter", **scope):
    FEDERATION_OF[owner_id] = aw.regions[federation].pk if federation else None
    return services.request_submit(
        actor=aw[by], kind=KIND, owner_type="tests.fedthing", owner_id=owner_id, amount=amount,
        **(scope or {"region": aw.regions["town_a"]}),
    )  # fmt: skip


def approve(aw, who, request):
    return services.request_approve(actor=aw[who], request_id=request.pk, reason="同意")


def test_the_registration_names_the_federation_whose_staff_approve(fed):
    request = submit(fed, "1000.00")  # scoped to the township; the object names federation A
    (need,) = request.requirements.all()
    assert (need.level, need.federation_id, need.region_id, need.needed) == (
        "federation", fed.regions["federation_a"].pk, fed.regions["town_a"].pk, 1)  # fmt: skip
    assert request.rule["required"][0]["federation"]["name"] == fed.regions["federation_a"].name
    # Staff of federation A see it (through the requirement) and have it in their inbox.
    assert requests_visible_to(fed["staff2"]).filter(pk=request.pk).exists()
    assert [r.request_id for r in inbox_for(fed["staff2"])] == [request.pk]
    done = approve(fed, "staff2", request)
    assert done.state == RequestState.APPROVED
    decision = done.decisions.get()
    assert (decision.role, decision.level) == (Role.FEDERATION_STAFF, "federation")
    assert decision.federation_id == fed.regions["federation_a"].pk


def test_no_federation_for_the_object_refuses_the_step(fed):
    with pytest.raises(InvalidInput) as exc:
        submit(fed, "100.00", federation=None)
    assert exc.value.code == "no_approver_level"
    assert not ApprovalRequest.objects.filter(kind=KIND).exists()


def test_above_the_threshold_two_distinct_staff_and_the_submitter_never_counts(fed):
    request = submit(fed, "8000.00")
    (need,) = request.requirements.all()
    assert need.needed == 2
    with pytest.raises(NotPermitted) as exc:
        approve(fed, "submitter", request)  # staff of federation A, but its maker
    assert exc.value.code == "self_approval"
    assert approve(fed, "staff2", request).state == RequestState.PENDING  # one is not enough
    with pytest.raises(Conflict):
        approve(fed, "staff2", request)  # one person counts once
    assert not inbox_for(fed["staff2"]).exists()
    assert approve(fed, "staff3", request).state == RequestState.APPROVED
    assert steps.effects_for(request.pk) == ["approved"]


def test_above_the_top_threshold_a_township_officer_as_well(fed):
    request = submit(fed, "60000.00")
    levels = sorted(request.requirements.values_list("level", "needed"))
    assert levels == [("federation", 2), ("township", 1)]
    approve(fed, "town_a", request)
    approve(fed, "staff2", request)
    assert approve(fed, "staff3", request).state == RequestState.APPROVED


def test_a_township_officer_who_is_also_staff_counts_once(fed):
    both = fed["town_a"]
    from access.models import RoleAssignment
    from core.audited import set_reason

    assignment = RoleAssignment(
        user=both, role=Role.FEDERATION_STAFF, federation=fed.regions["federation_a"]
    )
    set_reason(assignment, "测试").save()
    both = type(both).objects.get(pk=both.pk)  # fresh: role assignments are cached
    request = submit(fed, "60000.00")
    done = services.request_approve(actor=both, request_id=request.pk, reason="同意")
    decision = done.decisions.get()
    assert decision.level == "federation"  # the most specific seat
    with pytest.raises(Conflict):
        services.request_approve(actor=both, request_id=request.pk, reason="同意")
    assert sorted(request.requirements.values_list("level", "given")) == [
        ("federation", 1), ("township", 0)]  # fmt: skip


def test_a_staff_delegation_leaves_the_same_persons_township_seat(fed):
    """A federation-staff delegation names the federation's township as its region: it
    takes the federation seat away, not the delegator's officer seat at that township
    (requirements_for_decision matches delegations by seat, not by region)."""
    both = fed["town_a"]
    assignment = RoleAssignment(
        user=both, role=Role.FEDERATION_STAFF, federation=fed.regions["federation_a"]
    )
    set_reason(assignment, "测试").save()
    both = type(both).objects.get(pk=both.pk)  # fresh: role assignments are cached
    today = datetime.date.today()
    delegation = services.delegation_grant(
        actor=both, to_user=fed["staff3"], federation=fed.regions["federation_a"],
        starts_on=today, ends_on=today, reason="休假",
    )  # fmt: skip
    assert delegation.region_id == fed.regions["town_a"].pk
    request = submit(fed, "60000.00")
    services.request_approve(actor=both, request_id=request.pk, reason="同意")
    mine = request.decisions.get(user=both)
    assert (mine.level, mine.delegation_id) == ("township", None)
    approve(fed, "staff3", request)
    assert request.decisions.get(user=fed["staff3"]).delegation_id == delegation.pk
    assert approve(fed, "staff2", request).state == RequestState.APPROVED


def test_another_federations_staff_neither_see_nor_decide(fed):
    request = submit(fed, "1000.00")
    assert not inbox_for(fed["staff_b"]).exists()
    assert not requests_visible_to(fed["staff_b"]).filter(pk=request.pk).exists()
    with pytest.raises(NotFound):
        approve(fed, "staff_b", request)
    mine = submit(fed, "1000.00", owner_id=2, federation="federation_b",
                  region=fed.regions["town_b"])  # fmt: skip
    assert [r.request_id for r in inbox_for(fed["staff_b"])] == [mine.pk]
    with pytest.raises(NotFound):
        approve(fed, "staff2", mine)


def test_staff_delegate_to_a_colleague_of_the_same_federation(fed):
    today = datetime.date.today()
    with pytest.raises(InvalidInput) as exc:
        services.delegation_grant(
            actor=fed["staff2"], to_user=fed["staff_b"], federation=fed.regions["federation_a"],
            starts_on=today, ends_on=today,
        )  # fmt: skip
    assert exc.value.code == "delegate_not_peer"
    with pytest.raises(InvalidInput):
        services.delegation_grant(
            actor=fed["staff2"], to_user=fed["staff3"], federation=fed.regions["federation_b"],
            starts_on=today, ends_on=today,
        )  # fmt: skip
    delegation = services.delegation_grant(
        actor=fed["staff2"], to_user=fed["staff3"], federation=fed.regions["federation_a"],
        starts_on=today, ends_on=today, reason="休假",
    )  # fmt: skip
    assert (delegation.level, delegation.region_id) == ("federation", fed.regions["town_a"].pk)
    request = submit(fed, "1000.00")
    assert not inbox_for(fed["staff2"]).exists()
    with pytest.raises(NotPermitted) as exc:
        approve(fed, "staff2", request)
    assert exc.value.code == "delegated"
    done = approve(fed, "staff3", request)
    assert done.decisions.get().delegation_id == delegation.pk


def test_overdue_reminders_reach_the_federations_staff(fed):
    request = submit(fed, "1000.00")
    later = request.due_at + datetime.timedelta(hours=1)
    result = services.remind_overdue(now=later)
    assert result["flagged"] >= 1
    reminded = set(
        Notification.objects.filter(kind="approval_overdue").values_list(
            "user__username", flat=True
        )
    )
    assert {"ap_staff2", "ap_staff3"} <= reminded
    assert "ap_staff" not in reminded and "ap_staff_b" not in reminded  # maker; other federation


def test_the_policy_accepts_the_federation_level(fed):
    with pytest.raises(InvalidInput):
        services.clean_tiers([{"above_amount": "0", "level": "union", "count": 1}])
    assert services.clean_tiers([{"above_amount": "0", "level": "federation", "count": 3}])
