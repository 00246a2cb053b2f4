"""Step kinds: registered once by the owning app; a misregistration fails at start-up."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from approvals.registry import get_step, register_step, steps, unregister_step
from tests.approvals import steps as test_steps


def noop(request, *, actor, reason):
    pass


def test_register_is_idempotent_and_refuses_a_different_second_registration():
    test_steps.ensure_registered()
    test_steps.ensure_registered()
    assert get_step(test_steps.KIND).label == "测试步骤"
    with pytest.raises(ImproperlyConfigured):
        register_step(test_steps.KIND, label="x", on_approved=noop, on_rejected=noop)


@pytest.mark.parametrize("kind", ["", "Budget", "has space", "x" * 65, None, "1abc"])
def test_bad_kind_names(kind):
    with pytest.raises(ImproperlyConfigured):
        register_step(kind, label="x", on_approved=noop, on_rejected=noop)


def test_handlers_must_be_callable():
    with pytest.raises(ImproperlyConfigured):
        register_step("tmp_kind", label="x", on_approved=None, on_rejected=noop)
    with pytest.raises(ImproperlyConfigured):
        register_step("tmp_kind", label="x", on_approved=noop, on_rejected=noop, describe=3)
    assert get_step("tmp_kind") is None


def test_fallback_handlers():
    step = register_step("tmp_kind", label="x", on_approved=noop, on_rejected=print)
    try:
        assert step.handler_for("returned") is print
        assert step.handler_for("withdrawn") is print
        assert step.handler_for("approved") is noop
        assert step.summaries([1]) == {}
        assert "tmp_kind" in [s.kind for s in steps()]
    finally:
        unregister_step("tmp_kind")
