"""Policies are data: administrators write them, every change is in the history."""

import pytest

from approvals import services
from approvals.models import ApprovalPolicy, ApprovalTier
from core.errors import Conflict, InvalidInput, NotFound, NotPermitted
from tests.approvals import steps

pytestmark = pytest.mark.django_db

BASE = [{"above_amount": "0", "level": "township", "count": 1}]


def test_only_administrators_write_policies(aw):
    for who in ("town_a", "county", "auditor", "submitter"):
        with pytest.raises(NotPermitted):
            services.policy_create(
                actor=aw[who], kind=steps.KIND, region=aw.regions["county"], tiers=BASE
            )
        with pytest.raises(NotPermitted):
            services.policy_update(actor=aw[who], policy_id=aw.policy.pk, is_active=False)
    assert ApprovalPolicy.objects.count() == 1


@pytest.mark.parametrize(
    "tiers, code",
    [
        ([], "invalid"),
        ([{"above_amount": "100", "level": "county", "count": 1}], "no_base_tier"),
        ([{"above_amount": "0", "level": "province", "count": 1}], "invalid"),
        ([{"above_amount": "0", "level": "county", "count": 0}], "invalid"),
        ([{"above_amount": "0", "level": "county", "count": 10}], "invalid"),
        ([{"above_amount": "-1", "level": "county", "count": 1}], "invalid"),
        ([{"above_amount": "0.001", "level": "county", "count": 1}], "invalid"),
        ([{"above_amount": "0", "level": "county", "count": 1}] * 2, "invalid"),
        (["x"], "invalid"),
    ],
)
def test_bad_tiers_are_refused(aw, tiers, code):
    with pytest.raises(InvalidInput) as exc:
        services.policy_create(
            actor=aw["admin"], kind=steps.KIND, region=aw.regions["county"], tiers=tiers
        )
    assert exc.value.code == code and "tiers" in exc.value.fields
    assert ApprovalPolicy.objects.count() == 1


def test_region_kind_and_hours_are_checked(aw):
    r = aw.regions
    with pytest.raises(InvalidInput) as exc:
        services.policy_create(actor=aw["admin"], kind=steps.KIND, region=r["comm_a1"], tiers=BASE)
    assert "region" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        services.policy_create(actor=aw["admin"], kind="nope", region=r["county"], tiers=BASE)
    assert exc.value.code == "unknown_kind"
    for hours in (0, 24 * 365 + 1, "12", True):
        with pytest.raises(InvalidInput) as exc:
            services.policy_create(
                actor=aw["admin"],
                kind=steps.KIND,
                region=r["county"],
                tiers=BASE,
                overdue_after_hours=hours,
            )
        assert "overdue_after_hours" in exc.value.fields


def test_one_active_policy_per_kind_and_region(aw):
    with pytest.raises(Conflict) as exc:
        services.policy_create(
            actor=aw["admin"], kind=steps.KIND, region=aw.regions["city"], tiers=BASE
        )
    assert exc.value.code == "policy_exists"
    services.policy_update(actor=aw["admin"], policy_id=aw.policy.pk, is_active=False)
    services.policy_create(
        actor=aw["admin"], kind=steps.KIND, region=aw.regions["city"], tiers=BASE
    )
    with pytest.raises(Conflict):
        services.policy_update(actor=aw["admin"], policy_id=aw.policy.pk, is_active=True)


def test_changes_are_audited_with_their_reason(aw):
    services.policy_update(
        actor=aw["admin"],
        policy_id=aw.policy.pk,
        tiers=[{"above_amount": "0", "level": "county", "count": 2}],
        overdue_after_hours=24,
        reason="市局文件调整",
    )
    latest = aw.policy.history.latest()
    assert latest.history_change_reason == "市局文件调整"
    assert latest.history_user == aw["admin"] and latest.overdue_after_hours == 24
    # Old tiers' deletion and the new tier are in the history too.
    assert ApprovalTier.history.filter(history_type="-", policy_id=aw.policy.pk).count() == 3
    assert ApprovalTier.history.filter(history_type="+", level="county", count=2).exists()


def test_update_of_a_missing_policy_is_404(aw):
    with pytest.raises(NotFound):
        services.policy_update(actor=aw["admin"], policy_id=10**9, is_active=False)
