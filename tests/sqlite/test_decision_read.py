"""Regression: the approval engine's one-statement read of a request's requirements gave
naive datetimes on SQLite (a raw row skips the ORM's converters), so the history row written
from it stored them eight hours off. It must read what the ORM reads."""

import pytest
from django.utils import timezone

from access.models import User
from approvals.models import ApprovalRequest, ApprovalRequirement
from approvals.selectors import requirements_for_decision


@pytest.mark.django_db
def test_requirements_read_in_one_statement_equal_the_orms(demo):
    request = ApprovalRequest.objects.filter(state="pending").order_by("id").first()
    assert request is not None
    user = User.objects.get(username="finance.county")
    read = requirements_for_decision(request.pk, user.pk)
    expected = list(ApprovalRequirement.objects.filter(request=request).order_by("id"))
    assert [r.pk for r in read] == [r.pk for r in expected]
    fields = [f.attname for f in ApprovalRequirement._meta.concrete_fields]
    for got, orm in zip(read, expected, strict=True):
        assert {f: getattr(got, f) for f in fields} == {f: getattr(orm, f) for f in fields}
        assert timezone.is_aware(got.submitted_at) and timezone.is_aware(got.due_at)
