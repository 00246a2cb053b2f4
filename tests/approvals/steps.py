"""A step kind for the tests only: handlers that record their calls, a describe() with one
query. No domain objects: the engine is exercised end to end on an object id."""

from __future__ import annotations

import threading

from access.models import User
from approvals.registry import register_step

KIND = "test_step"
OWNER_TYPE = "tests.thing"
FAILING_OWNER_ID = 666  # its handlers raise: the decision must roll back with them

EFFECTS: list[tuple[str, int, str]] = []
_lock = threading.Lock()


class EffectFailed(Exception):
    pass


def _record(state, request, actor):
    if request.owner_id == FAILING_OWNER_ID:
        raise EffectFailed(state)
    with _lock:
        EFFECTS.append((state, request.pk, actor.username))


def on_approved(request, *, actor, reason):
    _record("approved", request, actor)


def on_rejected(request, *, actor, reason):
    _record("rejected", request, actor)


def on_returned(request, *, actor, reason):
    _record("returned", request, actor)


def describe(owner_ids):
    # One query for the whole page, as a real app's describe() would make.
    names = dict(User.objects.filter(pk__in=owner_ids).values_list("pk", "username"))
    return {i: f"测试对象 {i} {names.get(i, '')}".strip() for i in owner_ids}


def ensure_registered():
    register_step(
        KIND,
        label="测试步骤",
        on_approved=on_approved,
        on_rejected=on_rejected,
        on_returned=on_returned,
        describe=describe,
    )


def effects_for(request_id: int) -> list[str]:
    with _lock:
        return [state for state, rid, _ in EFFECTS if rid == request_id]
