"""Decisions: maker–checker, one person once, level and scope, decided once, reasons;
effects in the same transaction. Every refusal writes nothing."""

import pytest

from approvals import services
from approvals.models import ApprovalDecision, RequestState
from approvals.selectors import inbox_for
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from tests.approvals import steps
from tests.approvals.conftest import written
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def approve(aw, who, req, reason=""):
    return services.request_approve(actor=aw[who], request_id=req.pk, reason=reason)


def refused(exc_type, code, fn, *args, **kwargs):
    before = written()
    with pytest.raises(exc_type) as exc:
        fn(*args, **kwargs)
    assert exc.value.code == code, exc.value.code
    assert written() == before
    return exc.value


def test_one_township_approval_approves_and_runs_the_effect(aw):
    req = aw.submit("1000.00")
    done = approve(aw, "town_a", req, "同意")
    assert done.state == RequestState.APPROVED and done.decided_at
    assert steps.effects_for(req.pk) == ["approved"]
    d = ApprovalDecision.objects.get(request=req)
    assert (d.user, d.role, d.level, d.region, d.verdict, d.reason) == (
        aw["town_a"],
        "finance_officer",
        "township",
        aw.regions["town_a"],
        "approve",
        "同意",
    )
    assert req.history.latest().history_change_reason == "同意"


def test_n_of_m_distinct_people(aw):
    req = aw.submit("600000.00")
    approve(aw, "county", req)
    approve(aw, "town_a", req)
    req.refresh_from_db()
    assert req.state == RequestState.PENDING and steps.effects_for(req.pk) == []
    # The same county officer again: decided twice.
    refused(Conflict, "already_decided", approve, aw, "county", req)
    approve(aw, "county2", req)
    req.refresh_from_db()
    assert req.state == RequestState.APPROVED
    assert steps.effects_for(req.pk) == ["approved"]
    # Finished: a fourth officer is refused.
    refused(Conflict, "already_decided", approve, aw, "county3", req)


def test_one_person_counts_once_whatever_roles_they_hold(aw):
    from access.models import RoleAssignment

    RoleAssignment(user=aw["county"], role="finance_officer", region=aw.regions["town_a"]).save()
    req = aw.submit("60000.00")  # needs township 1 + county 1
    # In their inbox once, though it waits at both their regions.
    assert [r.request_id for r in inbox_for(aw["county"])] == [req.pk]
    approve(aw, "county", req)
    req.refresh_from_db()
    assert req.state == RequestState.PENDING
    assert req.requirements.filter(is_open=True).count() == 1
    refused(Conflict, "already_decided", approve, aw, "county", req)


def test_maker_checker(aw):
    # The submitter holds the officer role too: still never decides.
    from access.models import RoleAssignment

    RoleAssignment(user=aw["submitter"], role="finance_officer", region=aw.regions["town_a"]).save()
    req = aw.submit()
    refused(NotPermitted, "self_approval", approve, aw, "submitter", req)
    # Who created the object, likewise.
    other = aw.submit(owner_id=2, created_by=aw["town_a"])
    refused(NotPermitted, "self_approval", approve, aw, "town_a", other)
    refused(
        NotPermitted,
        "self_approval",
        services.request_reject,
        actor=aw["town_a"],
        request_id=other.pk,
        reason="不行",
    )


def test_out_of_scope_is_404(aw):
    req = aw.submit()
    refused(NotFound, "not_found", approve, aw, "town_b", req)
    refused(NotFound, "not_found", approve, aw, "other_county", req)
    refused(NotFound, "not_found", services.request_approve, actor=aw["town_b"], request_id=10**9)


def test_wrong_level_is_403(aw):
    req = aw.submit("1000.00")  # township only
    refused(NotPermitted, "wrong_level", approve, aw, "county", req)
    refused(NotPermitted, "wrong_level", approve, aw, "city", req)
    # Not an officer at all.
    refused(NotPermitted, "role_required", approve, aw, "auditor", req)
    refused(NotPermitted, "role_required", approve, aw, "admin", req)
    # A level whose share is complete: the second township officer is not needed.
    big = aw.submit("60000.00", owner_id=2)
    approve(aw, "town_a", big)
    refused(NotPermitted, "wrong_level", approve, aw, "town_a2", big)


@pytest.mark.parametrize("reason", ["", "   ", None])
@pytest.mark.parametrize("service", [services.request_reject, services.request_return])
def test_reject_or_return_needs_a_reason(aw, service, reason):
    req = aw.submit()
    e = refused(
        InvalidInput,
        "reason_required",
        service,
        actor=aw["town_a"],
        request_id=req.pk,
        reason=reason,
    )
    assert "reason" in e.fields


def test_reject_is_final_and_releases(aw):
    req = aw.submit("600000.00")
    approve(aw, "county", req)
    services.request_reject(actor=aw["town_a"], request_id=req.pk, reason="材料不全")
    req.refresh_from_db()
    assert req.state == RequestState.REJECTED
    assert steps.effects_for(req.pk) == ["rejected"]
    assert not req.requirements.filter(is_open=True).exists()
    refused(Conflict, "already_decided", approve, aw, "county2", req)
    assert req.history.latest().history_change_reason == "材料不全"


def test_return_runs_its_own_handler(aw):
    req = aw.submit()
    services.request_return(actor=aw["town_a"], request_id=req.pk, reason="请补充")
    req.refresh_from_db()
    assert req.state == RequestState.RETURNED and steps.effects_for(req.pk) == ["returned"]
    # Returned: the object may be submitted again.
    again = aw.submit()
    assert again.pk != req.pk


def test_withdraw_by_the_submitter_only(aw):
    req = aw.submit()
    refused(
        NotPermitted,
        "not_submitter",
        services.request_withdraw,
        actor=aw["town_a"],
        request_id=req.pk,
    )
    services.request_withdraw(actor=aw["submitter"], request_id=req.pk, reason="不需要了")
    req.refresh_from_db()
    assert req.state == RequestState.WITHDRAWN
    # No on_withdrawn registered: on_rejected releases what approval would have committed.
    assert steps.effects_for(req.pk) == ["rejected"]
    refused(
        Conflict,
        "already_decided",
        services.request_withdraw,
        actor=aw["submitter"],
        request_id=req.pk,
    )


def test_a_failing_effect_rolls_the_decision_back(aw):
    req = aw.submit(owner_id=steps.FAILING_OWNER_ID)
    before = written()
    with pytest.raises(steps.EffectFailed):
        approve(aw, "town_a", req)
    assert written() == before
    req.refresh_from_db()
    assert req.state == RequestState.PENDING


def test_a_deactivated_decider_keeps_the_decision(aw):
    req = aw.submit("60000.00")
    approve(aw, "county", req)
    user = aw["county"]
    user.is_active = False
    user.save()
    approve(aw, "town_a", req)
    req.refresh_from_db()
    assert req.state == RequestState.APPROVED
    assert req.decisions.filter(user=user).exists()
    # Inactive users decide nothing.
    other = aw.submit("60000.00", owner_id=2)
    refused(NotPermitted, "not_authenticated", approve, aw, "county", other)


def test_city_officer_decides_city_tiers(aw):
    from approvals.models import ApprovalPolicy

    services.policy_update(
        actor=aw["admin"],
        policy_id=aw.policy.pk,
        tiers=[{"above_amount": "0", "level": "city", "count": 1}],
    )
    assert ApprovalPolicy.objects.count() == 1
    req = aw.submit()
    refused(NotPermitted, "wrong_level", approve, aw, "county", req)
    approve(aw, "city", req)
    req.refresh_from_db()
    assert req.state == RequestState.APPROVED


def test_unregistered_kind_cannot_be_decided(aw, test_step):
    from approvals.registry import unregister_step

    req = aw.submit()
    unregister_step(steps.KIND)
    try:
        refused(Conflict, "unknown_kind", approve, aw, "town_a", req)
    finally:
        steps.ensure_registered()


def test_new_user_without_roles_gets_role_required(aw):
    u = make_user("ap_plain", None)
    req = aw.submit(region=aw.regions["town_a"])
    # Sees nothing of the request: 404 first.
    refused(NotFound, "not_found", services.request_approve, actor=u, request_id=req.pk)


def test_a_decision_follows_the_deciders_scope_as_it_is_now(aw):
    """The visible-and-locked read is compiled once per scope (core/compiled.py): the key is
    everything the scope filter reads from the user, so a changed role is never served the
    statement compiled for the old one."""
    from access import services as access_services
    from access.models import RoleAssignment, User
    from access.selectors import scope_signature

    first, second = aw.submit(owner_id=1), aw.submit(owner_id=2)
    approve(aw, "town_a", first)  # compiled for town_a's scope
    before = scope_signature(aw["town_a"])
    (held,) = RoleAssignment.objects.filter(user=aw["town_a"], is_active=True)
    access_services.role_assignment_revoke(actor=aw["admin"], assignment_id=held.pk, reason="调岗")
    fresh = User.objects.get(pk=aw["town_a"].pk)  # as the next request loads them
    assert scope_signature(fresh) != before
    refused(NotFound, "not_found", services.request_approve, actor=fresh, request_id=second.pk)
    # Moved to the other township: still not theirs.
    RoleAssignment(user=fresh, role="finance_officer", region=aw.regions["town_b"]).save()
    moved = User.objects.get(pk=fresh.pk)
    refused(NotFound, "not_found", services.request_approve, actor=moved, request_id=second.pk)
    # Back at town_a: theirs again.
    RoleAssignment(user=moved, role="finance_officer", region=aw.regions["town_a"]).save()
    back = User.objects.get(pk=fresh.pk)
    assert services.request_approve(actor=back, request_id=second.pk).state == "approved"
