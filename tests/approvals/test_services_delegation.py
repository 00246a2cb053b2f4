"""Delegations: to a peer of the same level and region, for dates, revocable, audited."""

import datetime

import pytest
from django.utils import timezone

from approvals import services
from approvals.models import ApprovalDecision, Delegation
from approvals.selectors import inbox_for
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from tests.approvals.conftest import written

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def grant(aw, by="town_a", to="town_a2", region="town_a", start=0, end=7, **kw):
    return services.delegation_grant(
        actor=aw[by],
        to_user=aw[to],
        region=aw.regions[region],
        starts_on=TODAY() + datetime.timedelta(start),
        ends_on=TODAY() + datetime.timedelta(end),
        reason=kw.pop("reason", "休假"),
    )


def test_the_delegator_steps_aside_and_the_delegate_acts_for_them(aw):
    req = aw.submit()
    d = grant(aw)
    assert d.level == "township" and d.in_force(TODAY())
    assert list(inbox_for(aw["town_a"])) == []
    before = written()
    with pytest.raises(NotPermitted) as exc:
        services.request_approve(actor=aw["town_a"], request_id=req.pk)
    assert exc.value.code == "delegated" and written() == before
    assert [r.request_id for r in inbox_for(aw["town_a2"])] == [req.pk]
    services.request_approve(actor=aw["town_a2"], request_id=req.pk, reason="代为审批")
    decision = ApprovalDecision.objects.get(request=req)
    assert decision.delegation == d and decision.user == aw["town_a2"]


def test_revoked_or_future_delegations_change_nothing(aw):
    req = aw.submit()
    later = grant(aw, start=3, end=5)
    assert not later.in_force(TODAY())
    assert [r.request_id for r in inbox_for(aw["town_a"])] == [req.pk]
    services.delegation_revoke(actor=aw["town_a"], delegation_id=later.pk, reason="提前回来")
    now = grant(aw)
    services.delegation_revoke(actor=aw["admin"], delegation_id=now.pk)
    now.refresh_from_db()
    assert now.revoked_by == aw["admin"] and now.history.latest().history_type == "~"
    services.request_approve(actor=aw["town_a"], request_id=req.pk)


def test_only_to_a_peer_of_the_same_level_and_region(aw):
    before = Delegation.objects.count()
    with pytest.raises(InvalidInput) as exc:
        grant(aw, to="county")  # another level
    assert exc.value.code == "delegate_not_peer"
    with pytest.raises(InvalidInput) as exc:
        grant(aw, to="town_b")  # another township
    assert exc.value.code == "delegate_not_peer"
    with pytest.raises(InvalidInput) as exc:
        grant(aw, region="town_b", to="town_b")  # another township: out of scope
    assert exc.value.code == "invalid" and list(exc.value.fields) == ["region"]
    with pytest.raises(InvalidInput):
        grant(aw, to="town_a")  # to themselves
    with pytest.raises(InvalidInput):
        grant(aw, start=5, end=1)
    with pytest.raises(InvalidInput):
        grant(aw, start=-10, end=-1)
    with pytest.raises(InvalidInput):
        grant(aw, start=0, end=400)
    assert Delegation.objects.count() == before


def test_no_overlaps_and_no_chains(aw):
    grant(aw, start=0, end=5)
    with pytest.raises(Conflict) as exc:
        grant(aw, start=3, end=9)
    assert exc.value.code == "delegation_overlaps"
    with pytest.raises(Conflict) as exc:
        grant(aw, by="town_a2", to="town_a", start=1, end=2)
    assert exc.value.code == "delegate_away"


def test_revoking(aw):
    d = grant(aw)
    with pytest.raises(NotPermitted) as exc:
        services.delegation_revoke(actor=aw["town_a2"], delegation_id=d.pk)
    assert exc.value.code == "not_delegator"
    with pytest.raises(NotFound):
        services.delegation_revoke(actor=aw["town_b"], delegation_id=d.pk)
    services.delegation_revoke(actor=aw["town_a"], delegation_id=d.pk)
    with pytest.raises(Conflict) as exc:
        services.delegation_revoke(actor=aw["town_a"], delegation_id=d.pk)
    assert exc.value.code == "already_revoked"


def test_a_decision_reads_both_sides_of_its_delegations_in_one_statement(aw):
    """The hot path of every decision (bench/projects.py): the delegations given and received
    read with the requirements in one statement, the submitter with the locked request, the
    decision without a savepoint; the delegate still decides under the delegation and the
    delegator is still refused."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    req = aw.submit()
    d = grant(aw)
    with CaptureQueriesContext(connection) as refused, pytest.raises(NotPermitted):
        services.request_approve(actor=aw["town_a"], request_id=req.pk)
    with CaptureQueriesContext(connection) as decided:
        services.request_approve(actor=aw["town_a2"], request_id=req.pk, reason="代为审批")
    for captured in (refused, decided):
        sqls = [q["sql"] for q in captured.captured_queries]
        assert sum("approvals_delegation" in s for s in sqls) == 1
        assert (
            sum("approvals_approvalrequirement" in s for s in sqls if s.startswith("SELECT")) == 1
        )
        assert not any(s.startswith('SELECT "access_user"') for s in sqls)
    sqls = [q["sql"] for q in decided.captured_queries]
    # the decision and the requirement it counts toward: one statement, no savepoint
    insert = next(i for i, s in enumerate(sqls) if 'INSERT INTO "approvals_approvaldecision"' in s)
    assert 'UPDATE "approvals_approvalrequirement"' in sqls[insert]
    assert not sqls[insert - 1].startswith("SAVEPOINT")
    assert ApprovalDecision.objects.get(request=req).delegation == d
