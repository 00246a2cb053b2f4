"""Approvals admin: policies (administrators, through the services, audited), the inbox page
deciding through the same services, the trail on a request's page."""

import pytest
from django.test import Client

from approvals.admin import approval_trail
from approvals.models import ApprovalPolicy, ApprovalTier, RequestState
from tests.approvals import steps
from tests.approvals.conftest import written

pytestmark = pytest.mark.django_db


def login(user):
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


def policy_form(aw, tiers, **extra):
    data = {
        "kind": steps.KIND,
        "region": aw.regions["county"].pk,
        "overdue_after_hours": "48",
        "is_active": "on",
        "change_reason": "区县规则",
        "tiers-TOTAL_FORMS": str(len(tiers)),
        "tiers-INITIAL_FORMS": "0",
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "1000",
        **extra,
    }
    for i, (above, level, count) in enumerate(tiers):
        data |= {
            f"tiers-{i}-above_amount": above,
            f"tiers-{i}-level": level,
            f"tiers-{i}-count": str(count),
        }
    return data


def test_administrators_add_policies_through_the_services(aw):
    client = login(aw["admin"])
    page = client.get("/admin/approvals/approvalpolicy/add/")
    assert page.status_code == 200 and "审批规则" in page.content.decode()
    response = client.post(
        "/admin/approvals/approvalpolicy/add/",
        policy_form(aw, [("0", "township", 1), ("100000", "county", 1)]),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = ApprovalPolicy.objects.get(region=aw.regions["county"])
    assert sorted(policy.tiers.values_list("level", flat=True)) == ["county", "township"]
    assert policy.history.latest().history_change_reason == "区县规则"
    assert policy.history.latest().history_user == aw["admin"]


def test_a_policy_without_a_base_tier_is_refused_in_the_form(aw):
    client = login(aw["admin"])
    before = ApprovalTier.objects.count()
    response = client.post(
        "/admin/approvals/approvalpolicy/add/", policy_form(aw, [("100", "county", 1)])
    )
    assert response.status_code == 200  # the form again, with the error
    assert ApprovalPolicy.objects.count() == 1 and ApprovalTier.objects.count() == before


def test_officers_read_policies_but_do_not_change_them(aw):
    client = login(aw["county"])
    assert client.get("/admin/approvals/approvalpolicy/").status_code == 200
    assert client.get("/admin/approvals/approvalpolicy/add/").status_code == 403
    page = client.get(f"/admin/approvals/approvalpolicy/{aw.policy.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    response = client.post(
        f"/admin/approvals/approvalpolicy/{aw.policy.pk}/change/", policy_form(aw, [])
    )
    assert response.status_code == 403


def test_inbox_page_lists_and_decides(aw):
    req = aw.submit("1000.00")
    other = aw.submit("23456.78", owner_id=2)
    client = login(aw["town_a"])
    page = client.get("/admin/approvals/approvalrequest/inbox/").content.decode()
    assert f'id="request-{req.pk}"' in page and f'id="request-{other.pk}"' in page
    assert "¥1,000.00" in page and "¥23,456.78" in page  # thousands separated
    assert "同意" in page and "驳回" in page and "退回修改" in page
    assert "测试对象 1" in page
    # Reject without a reason: refused, nothing written, the message says why.
    before = written()
    response = client.post(
        f"/admin/approvals/approvalrequest/inbox/{req.pk}/decide/",
        {"verdict": "reject", "reason": ""},
        follow=True,
    )
    assert "理由" in response.content.decode()
    assert written() == before
    client.post(
        f"/admin/approvals/approvalrequest/inbox/{req.pk}/decide/",
        {"verdict": "approve", "reason": "同意"},
    )
    req.refresh_from_db()
    assert req.state == RequestState.APPROVED and steps.effects_for(req.pk) == ["approved"]
    page = client.get("/admin/approvals/approvalrequest/inbox/").content.decode()
    assert f'id="request-{req.pk}"' not in page


def test_inbox_page_refusals_are_messages(aw):
    req = aw.submit()
    client = login(aw["county"])
    response = client.post(
        f"/admin/approvals/approvalrequest/inbox/{req.pk}/decide/",
        {"verdict": "approve"},
        follow=True,
    )
    assert response.status_code == 200
    req.refresh_from_db()
    assert req.state == RequestState.PENDING
    assert client.get(f"/admin/approvals/approvalrequest/inbox/{req.pk}/decide/").status_code == 403


def test_request_page_shows_the_trail_and_is_read_only(aw):
    req = aw.submit("600000.00")
    from approvals import services

    services.request_approve(actor=aw["county"], request_id=req.pk, reason="区里同意")
    client = login(aw["auditor"])
    page = client.get(f"/admin/approvals/approvalrequest/{req.pk}/change/").content.decode()
    assert "区里同意" in page and "ap_county" in page
    assert 'name="_save"' not in page
    # The object by its kind's name when the owner names an installed model, else as stored.
    assert f"{steps.OWNER_TYPE} #{req.owner_id}" in page
    # Out of scope: not found.
    client = login(aw["other_county"])
    response = client.get(f"/admin/approvals/approvalrequest/{req.pk}/change/")
    assert response.status_code == 302  # admin redirects a missing object to the index


def test_trail_fragment_for_other_apps(aw):
    req = aw.submit(owner_id=7)
    html = approval_trail(steps.OWNER_TYPE, 7)
    assert f"#{req.pk}" in html
    assert "从未提交审批" in approval_trail(steps.OWNER_TYPE, 8)
