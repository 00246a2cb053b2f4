"""Real threads on PostgreSQL: concurrent final decisions run the effect exactly once."""

import threading

import pytest
from django.db import connection

from approvals import services
from approvals.models import ApprovalDecision, ApprovalRequest, RequestState
from core.errors import Conflict, NotPermitted
from tests.approvals import steps

pytestmark = pytest.mark.django_db(transaction=True)


def run_threads(n, target):
    barrier = threading.Barrier(n)
    outcomes = [None] * n

    def worker(i):
        try:
            barrier.wait()
            outcomes[i] = target(i)
        except Exception as exc:  # noqa: BLE001
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return outcomes


def test_two_final_approvals_at_once_run_the_effect_once(aw):
    """Two township officers approve a request that needs one: one wins, one gets 409."""
    req = aw.submit("1000.00")
    officers = [aw["town_a"], aw["town_a2"]]

    outcomes = run_threads(
        2, lambda i: services.request_approve(actor=officers[i], request_id=req.pk, reason="同意")
    )
    wins = [o for o in outcomes if isinstance(o, ApprovalRequest)]
    losses = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(wins) == 1 and len(losses) == 1, outcomes
    assert losses[0].code == "already_decided"
    assert steps.effects_for(req.pk) == ["approved"]
    assert ApprovalDecision.objects.filter(request=req).count() == 1
    req.refresh_from_db()
    assert req.state == RequestState.APPROVED


def test_many_deciders_racing_on_many_requests(aw):
    """Three county officers and both township officers decide six requests that each need
    one township and two county approvals, all at once: each request ends approved once."""
    reqs = [aw.submit("600000.00", owner_id=100 + i) for i in range(6)]
    people = [aw["town_a"], aw["town_a2"], aw["county"], aw["county2"], aw["county3"]]

    def decide_all(i):
        done = 0
        for req in reqs:
            try:
                services.request_approve(actor=people[i], request_id=req.pk)
                done += 1
            except (Conflict, NotPermitted) as exc:
                # Decided meanwhile, or the other township officer filled the township's share.
                assert exc.code in ("already_decided", "wrong_level"), exc.code
        return done

    outcomes = run_threads(len(people), decide_all)
    assert all(isinstance(o, int) for o in outcomes), outcomes
    for req in reqs:
        req.refresh_from_db()
        assert req.state == RequestState.APPROVED
        assert steps.effects_for(req.pk) == ["approved"]
        decisions = list(req.decisions.all())
        assert len(decisions) == 3  # one township, two county
        assert len({d.user_id for d in decisions}) == 3
    assert sum(outcomes) == 6 * 3


def test_approve_and_reject_at_once_decide_once(aw):
    req = aw.submit("1000.00")

    def act(i):
        if i == 0:
            return services.request_approve(actor=aw["town_a"], request_id=req.pk)
        return services.request_reject(actor=aw["town_a2"], request_id=req.pk, reason="不同意")

    outcomes = run_threads(2, act)
    assert sum(isinstance(o, ApprovalRequest) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, Conflict) for o in outcomes) == 1
    req.refresh_from_db()
    assert steps.effects_for(req.pk) == [req.state]
