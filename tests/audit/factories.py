"""Builders for the audit tests: changes with reasons, as a given user."""

from core.audited import set_reason
from core.context import acting_as


def change(obj, *, by, reason="test change", **values):
    for name, value in values.items():
        setattr(obj, name, value)
    with acting_as(user=by):
        set_reason(obj, reason).save()
    return obj
