"""Reads: tiers to levels, the policy that applies, visibility, an object's trail."""

from decimal import Decimal
from types import SimpleNamespace as T

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import services
from approvals.selectors import (
    approval_trail,
    decisions_visible_to,
    requests_visible_to,
    required_levels,
)
from tests.approvals import steps

pytestmark = pytest.mark.django_db

TIERS = [
    T(above_amount=Decimal("0"), level="township", count=1),
    T(above_amount=Decimal("50000"), level="county", count=1),
    T(above_amount=Decimal("500000"), level="county", count=2),
    T(above_amount=Decimal("1000000"), level="city", count=1),
]


@pytest.mark.parametrize(
    "amount, expected",
    [
        ("0.01", {"township": 1}),
        ("50000.00", {"township": 1}),
        ("50000.01", {"township": 1, "county": 1}),
        ("500000.01", {"township": 1, "county": 2}),
        ("2000000", {"township": 1, "county": 2, "city": 1}),
    ],
)
def test_required_levels(amount, expected):
    assert required_levels(TIERS, Decimal(amount)) == expected


def test_visibility_follows_scope_and_submitter(aw):
    req = aw.submit()
    for who, sees in [
        ("town_a", True),
        ("county", True),
        ("city", True),
        ("auditor", True),
        ("admin", True),
        ("submitter", True),
        ("town_b", False),
        ("other_county", False),
        ("nobody", False),
    ]:
        assert requests_visible_to(aw[who]).filter(pk=req.pk).exists() is sees, who
    services.request_approve(actor=aw["town_a"], request_id=req.pk)
    assert decisions_visible_to(aw["auditor"]).count() == 1
    assert decisions_visible_to(aw["town_b"]).count() == 0


def test_trail_is_three_queries_newest_first(aw):
    first = aw.submit(owner_id=5)
    services.request_return(actor=aw["town_a"], request_id=first.pk, reason="补充材料")
    second = aw.submit(owner_id=5)
    services.request_approve(actor=aw["town_a2"], request_id=second.pk)
    with CaptureQueriesContext(connection) as ctx:
        trail = approval_trail(steps.OWNER_TYPE, 5)
        decisions = [[d.reason for d in r.decisions.all()] for r in trail]
        regions = [[q.region.name for q in r.requirements.all()] for r in trail]
    assert [r.pk for r in trail] == [second.pk, first.pk]
    assert decisions == [[""], ["补充材料"]] and regions == [["文汇街道"], ["文汇街道"]]
    assert len(ctx.captured_queries) == 3
