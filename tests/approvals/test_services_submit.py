"""request_submit: the most specific policy, its rule frozen, no policy → refused."""

from decimal import Decimal

import pytest

from approvals import services
from approvals.models import ApprovalRequest, RequestState
from core.errors import Conflict, InvalidInput, NotPermitted
from tests.approvals import steps
from tests.approvals.conftest import written

pytestmark = pytest.mark.django_db


def levels(request):
    return {(r.level, r.region_id, r.needed) for r in request.requirements.all()}


def test_small_amount_needs_the_township_alone(aw):
    req = aw.submit("50000.00")
    r = aw.regions
    assert req.state == RequestState.PENDING
    assert req.scope_region == r["town_a"]
    assert levels(req) == {("township", r["town_a"].pk, 1)}
    assert req.rule["required"] == [
        {"level": "township", "count": 1, "region": {"id": r["town_a"].pk, "name": "文汇街道"}}
    ]
    assert req.rule["policy"] == aw.policy.pk


def test_tiers_add_up_by_amount(aw):
    r = aw.regions
    assert levels(aw.submit("50000.01", owner_id=2)) == {
        ("township", r["town_a"].pk, 1),
        ("county", r["county"].pk, 1),
    }
    assert levels(aw.submit("600000.00", owner_id=3)) == {
        ("township", r["town_a"].pk, 1),
        ("county", r["county"].pk, 2),
    }


def test_the_most_specific_policy_wins(aw):
    r = aw.regions
    county_policy = services.policy_create(
        actor=aw["admin"],
        kind=steps.KIND,
        region=r["county"],
        tiers=[{"above_amount": "0", "level": "county", "count": 1}],
    )
    town_policy = services.policy_create(
        actor=aw["admin"],
        kind=steps.KIND,
        region=r["town_a"],
        tiers=[{"above_amount": "0", "level": "township", "count": 2}],
    )
    in_a = aw.submit("10.00", owner_id=1)
    in_b = aw.submit("10.00", owner_id=2, federation=r["federation_b"])
    assert in_a.policy == town_policy and levels(in_a) == {("township", r["town_a"].pk, 2)}
    assert in_b.policy == county_policy and levels(in_b) == {("county", r["county"].pk, 1)}


def test_scope_by_region_or_organization(aw):
    r = aw.regions
    by_region = aw.submit(owner_id=5, region=r["town_b"])
    assert by_region.scope_region == r["town_b"] and by_region.region == r["town_b"]
    by_org = aw.submit(owner_id=6, organization=r["org_a"])
    assert by_org.scope_region == r["comm_a1"]
    assert levels(by_org) == {("township", r["town_a"].pk, 1)}


def test_no_policy_is_refused_and_nothing_written(aw):
    services.policy_update(actor=aw["admin"], policy_id=aw.policy.pk, is_active=False)
    before = written()
    with pytest.raises(InvalidInput) as exc:
        aw.submit()
    assert exc.value.code == "no_policy" and "kind" in exc.value.fields
    assert written() == before


def test_a_level_the_scope_lacks_is_refused(aw):
    # A county-scoped request cannot have a township officer approve it.
    before = written()
    with pytest.raises(InvalidInput) as exc:
        aw.submit(region=aw.regions["county"])
    assert exc.value.code == "no_approver_level"
    assert written() == before


@pytest.mark.parametrize(
    "amount", ["0", "-1", "0.001", "abc", "NaN", "Infinity", None, True, "1e30"]
)
def test_bad_amounts_are_refused(aw, amount):
    before = written()
    with pytest.raises(InvalidInput) as exc:
        aw.submit(amount)
    assert "amount" in exc.value.fields
    assert written() == before


def test_unknown_kind_and_bad_owner_and_scope(aw):
    with pytest.raises(InvalidInput) as exc:
        services.request_submit(
            actor=aw["submitter"],
            kind="nope",
            owner_type="x.y",
            owner_id=1,
            amount="1",
            federation=aw.regions["federation_a"],
        )
    assert exc.value.code == "unknown_kind"
    for owner_id in (0, -3, "7", True):
        with pytest.raises(InvalidInput) as exc:
            aw.submit(owner_id=owner_id)
        assert "owner_id" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        aw.submit(region=aw.regions["town_a"], federation=aw.regions["federation_a"])
    assert exc.value.code == "scope_required"
    assert ApprovalRequest.objects.count() == 0


def test_one_pending_request_per_object_and_step(aw):
    aw.submit(owner_id=9)
    before = written()
    with pytest.raises(Conflict) as exc:
        aw.submit(owner_id=9)
    assert exc.value.code == "already_pending"
    assert written() == before


def test_anonymous_or_inactive_cannot_submit(aw):
    aw["submitter"].is_active = False
    with pytest.raises(NotPermitted):
        aw.submit()


def test_policy_edits_never_change_submitted_requests(aw):
    req = aw.submit("60000.00")
    rule = dict(req.rule)
    services.policy_update(
        actor=aw["admin"],
        policy_id=aw.policy.pk,
        tiers=[{"above_amount": "0", "level": "city", "count": 3}],
        overdue_after_hours=1,
        reason="收紧",
    )
    req.refresh_from_db()
    assert req.rule == rule
    assert {r.level for r in req.requirements.all()} == {"township", "county"}
    assert req.amount == Decimal("60000.00")
    # The next request is under the new rule.
    assert {r.level for r in aw.submit("60000.00", owner_id=2).requirements.all()} == {"city"}
