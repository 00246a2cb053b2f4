"""The approvals API: the inbox (what I may decide now), the trail, the decisions, and
every refusal in the common error shape with nothing written."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals import services
from approvals.models import ApprovalPolicy, Delegation
from tests.approvals.conftest import written

pytestmark = pytest.mark.django_db
SHAPE = {"code", "detail", "fields"}


def ids(response):
    assert response.status_code == 200, response.content[:300]
    return [row["id"] for row in response.json()["results"]]


def test_inbox_lists_what_i_may_decide_now(aw, client_for):
    small = aw.submit("1000.00", owner_id=1)
    big = aw.submit("600000.00", owner_id=2)
    in_b = aw.submit("10.00", owner_id=3, federation=aw.regions["federation_b"])
    mine = aw.submit("20.00", owner_id=4, by="town_a2", region=aw.regions["town_a"])
    assert set(ids(client_for(aw["town_a"]).get("/api/v1/approvals/"))) == {
        small.pk,
        big.pk,
        mine.pk,
    }
    # Its own submission is not in the submitter's inbox.
    assert set(ids(client_for(aw["town_a2"]).get("/api/v1/approvals/"))) == {small.pk, big.pk}
    assert ids(client_for(aw["county"]).get("/api/v1/approvals/")) == [big.pk]
    assert ids(client_for(aw["town_b"]).get("/api/v1/approvals/")) == [in_b.pk]
    for who in ("city", "auditor", "admin", "submitter", "nobody"):
        assert ids(client_for(aw[who]).get("/api/v1/approvals/")) == []
    # Once decided by me, it leaves my inbox (and stays in the others' while it waits).
    services.request_approve(actor=aw["county"], request_id=big.pk)
    assert ids(client_for(aw["county"]).get("/api/v1/approvals/")) == []
    assert big.pk in ids(client_for(aw["county2"]).get("/api/v1/approvals/"))


def test_inbox_rows_carry_summary_amount_submitter_age_and_still_needed(aw, client_for):
    big = aw.submit("600000.00", owner_id=aw["town_a"].pk)
    services.request_approve(actor=aw["county"], request_id=big.pk)
    row = client_for(aw["county2"]).get("/api/v1/approvals/").json()["results"][0]
    assert row["summary"] == f"测试对象 {aw['town_a'].pk} ap_town_a"
    assert row["amount"] == "600000.00"
    assert row["submitter"] == {"id": aw["submitter"].pk, "name": "ap_staff"}
    assert row["still_needed"] == 2  # township 1, county 1 more
    assert row["age_seconds"] >= 0 and row["overdue"] is False
    assert row["kind_label"] == "测试步骤" and row["scope_region_name"] == "文汇街道"


def test_inbox_rows_are_what_the_serializer_gives(aw, client_for):
    from django.utils import timezone

    from approvals.api import ApprovalRequestSerializer
    from approvals.selectors import inbox_for, inbox_requests, summaries_for

    aw.submit("1234.50", owner_id=1, reason="甲")
    aw.submit("7.00", owner_id=2, organization=aw.regions["org_a"])
    rows = client_for(aw["town_a"]).get("/api/v1/approvals/").json()["results"]
    requests = inbox_requests(inbox_for(aw["town_a"]).order_by("submitted_at", "id"))
    context = {"summaries": summaries_for(requests), "now": timezone.now()}
    expected = ApprovalRequestSerializer(requests, many=True, context=context).data
    for row, want in zip(rows, expected, strict=True):
        assert abs(row.pop("age_seconds") - want.pop("age_seconds")) <= 2
        assert row == dict(want)


def test_inbox_filters_and_ordering(aw, client_for):
    a = aw.submit("300.00", owner_id=1)
    b = aw.submit("100.00", owner_id=2)
    c = aw.submit("200.00", owner_id=3, organization=aw.regions["org_a"])
    client = client_for(aw["town_a"])
    assert ids(client.get("/api/v1/approvals/")) == [a.pk, b.pk, c.pk]  # oldest first
    assert ids(client.get("/api/v1/approvals/?ordering=-submitted_at")) == [c.pk, b.pk, a.pk]
    assert ids(client.get("/api/v1/approvals/?ordering=amount")) == [b.pk, c.pk, a.pk]
    assert ids(client.get("/api/v1/approvals/?ordering=-amount")) == [a.pk, c.pk, b.pk]
    assert ids(client.get("/api/v1/approvals/?amount_min=150&amount_max=250")) == [c.pk]
    assert ids(client.get(f"/api/v1/approvals/?region={aw.regions['comm_a1'].pk}")) == [c.pk]
    assert ids(client.get("/api/v1/approvals/?kind=test_step")) == [a.pk, b.pk, c.pk]
    assert ids(client.get("/api/v1/approvals/?kind=other")) == []
    assert ids(client.get("/api/v1/approvals/?overdue=true")) == []
    assert ids(client.get("/api/v1/approvals/?overdue=false")) == [a.pk, b.pk, c.pk]
    for bad in ("overdue=maybe", "region=0.5", "amount_min=x"):
        response = client.get(f"/api/v1/approvals/?{bad}")
        assert response.status_code == 400 and set(response.json()) == SHAPE, bad


def test_inbox_runs_a_fixed_number_of_queries(aw, client_for):
    from access.models import User

    def count_queries():
        client = client_for(User.objects.get(pk=aw["town_a"].pk))  # nothing cached
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/approvals/")
        assert response.status_code == 200
        return len(ctx.captured_queries), response.json()["count"]

    aw.submit(owner_id=1)
    few = count_queries()
    for i in range(2, 40):
        aw.submit(f"{i}.00", owner_id=i, organization=aw.regions["org_a"])
    many = count_queries()
    assert few == (many[0], 1) and many[1] == 39
    # assignments, delegations, count, page, describe(): five.
    assert many[0] == 5


def test_detail_shows_requirements_and_trail(aw, client_for):
    req = aw.submit("600000.00")
    services.request_approve(actor=aw["county"], request_id=req.pk, reason="同意")
    body = client_for(aw["auditor"]).get(f"/api/v1/approvals/{req.pk}/").json()
    assert body["state"] == "pending" and body["rule"]["policy"] == aw.policy.pk
    assert [(r["level"], r["needed"], r["given"]) for r in body["requirements"]] == [
        ("township", 1, 0),
        ("county", 2, 1),
    ]
    [d] = body["decisions"]
    assert (d["user_name"], d["verdict"], d["reason"], d["level"]) == (
        "ap_county",
        "approve",
        "同意",
        "county",
    )
    assert d["acting_for"] is None
    # Out of scope: 404.
    assert client_for(aw["town_b"]).get(f"/api/v1/approvals/{req.pk}/").status_code == 404
    assert client_for(aw["other_county"]).get(f"/api/v1/approvals/{req.pk}/").status_code == 404


def test_approve_reject_return_through_the_api(aw, client_for):
    a, b, c = (aw.submit(owner_id=i) for i in (1, 2, 3))
    client = client_for(aw["town_a"])
    r = client.post(f"/api/v1/approvals/{a.pk}/approve/", {"reason": "同意"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "approved"
    r = client.post(f"/api/v1/approvals/{b.pk}/reject/", {"reason": "不符合"}, format="json")
    assert r.json()["state"] == "rejected" and r.json()["decisions"][0]["reason"] == "不符合"
    r = client.post(f"/api/v1/approvals/{c.pk}/return/", {"reason": "补材料"}, format="json")
    assert r.json()["state"] == "returned"


@pytest.mark.parametrize(
    "who, action, body, status, code",
    [
        ("submitter", "approve", {}, 403, "self_approval"),
        ("town_b", "approve", {}, 404, "not_found"),
        ("county", "approve", {}, 403, "wrong_level"),
        ("auditor", "approve", {}, 403, "auditor_read_only"),
        ("admin", "approve", {}, 403, "role_required"),
        ("town_a", "reject", {}, 400, "reason_required"),
        ("town_a", "reject", {"reason": "  "}, 400, "reason_required"),
        ("town_a", "return", {"reason": ""}, 400, "reason_required"),
        ("town_a", "approve", {"reason": "x", "extra": 1}, 400, "invalid"),
        ("town_a", "withdraw", {}, 403, "not_submitter"),
    ],
)
def test_refusals_name_the_rule_and_write_nothing(aw, client_for, who, action, body, status, code):
    req = aw.submit()
    before = written()
    response = client_for(aw[who]).post(
        f"/api/v1/approvals/{req.pk}/{action}/", body, format="json"
    )
    assert response.status_code == status, response.content[:300]
    data = response.json()
    assert set(data) == SHAPE and data["code"] == code
    if code == "reason_required":
        assert "reason" in data["fields"]
    assert written() == before


def test_decided_twice_is_409(aw, client_for):
    req = aw.submit("600000.00")
    client = client_for(aw["county"])
    assert client.post(f"/api/v1/approvals/{req.pk}/approve/").status_code == 200
    before = written()
    response = client.post(f"/api/v1/approvals/{req.pk}/approve/")
    assert response.status_code == 409 and response.json()["code"] == "already_decided"
    assert written() == before


def test_withdraw_by_the_submitter(aw, client_for):
    req = aw.submit()
    response = client_for(aw["submitter"]).post(f"/api/v1/approvals/{req.pk}/withdraw/")
    assert response.status_code == 200 and response.json()["state"] == "withdrawn"


def test_huge_or_odd_ids_are_404(aw, client_for):
    client = client_for(aw["town_a"])
    for pk in ("99999999999999999999", "0"):
        assert client.get(f"/api/v1/approvals/{pk}/").status_code == 404
        assert client.post(f"/api/v1/approvals/{pk}/approve/").status_code == 404


# --------------------------------------------------------------------------- policies


TIERS = [{"above_amount": "0.00", "level": "county", "count": 1}]


def test_policies_read_by_all_written_by_administrators(aw, client_for):
    listed = client_for(aw["submitter"]).get("/api/v1/approval-policies/").json()["results"]
    assert [p["id"] for p in listed] == [aw.policy.pk]
    assert [t["level"] for t in listed[0]["tiers"]] == ["township", "county", "county"]
    body = {
        "kind": "test_step",
        "region": aw.regions["county"].pk,
        "tiers": TIERS,
        "overdue_after_hours": 48,
        "reason": "区县规则",
    }
    assert (
        client_for(aw["county"]).post("/api/v1/approval-policies/", body, format="json").status_code
        == 403
    )
    response = client_for(aw["admin"]).post("/api/v1/approval-policies/", body, format="json")
    assert response.status_code == 201, response.content
    created = ApprovalPolicy.objects.get(pk=response.json()["id"])
    assert created.history.latest().history_change_reason == "区县规则"
    response = client_for(aw["admin"]).patch(
        f"/api/v1/approval-policies/{created.pk}/", {"is_active": False}, format="json"
    )
    assert response.status_code == 200 and response.json()["is_active"] is False


@pytest.mark.parametrize(
    "body, field",
    [
        ({"tiers": []}, "tiers"),
        ({"tiers": [{"above_amount": "0.001", "level": "county", "count": 1}]}, "tiers"),
        ({"tiers": [{"above_amount": "5", "level": "county", "count": 1}]}, "tiers"),
        ({"region": 10**9}, "region"),
        ({"kind": "nope"}, "kind"),
        ({"overdue_after_hours": 0}, "overdue_after_hours"),
    ],
)
def test_bad_policies_are_400_naming_the_field(aw, client_for, body, field):
    full = {"kind": "test_step", "region": aw.regions["county"].pk, "tiers": TIERS, **body}
    response = client_for(aw["admin"]).post("/api/v1/approval-policies/", full, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]
    assert ApprovalPolicy.objects.count() == 1


# --------------------------------------------------------------------------- delegations


def test_delegations_through_the_api(aw, client_for):
    today = timezone.localdate()
    body = {
        "to_user": aw["town_a2"].pk,
        "region": aw.regions["town_a"].pk,
        "starts_on": str(today),
        "ends_on": str(today + datetime.timedelta(days=3)),
        "reason": "出差",
    }
    response = client_for(aw["town_a"]).post("/api/v1/approval-delegations/", body, format="json")
    assert response.status_code == 201, response.content
    d = response.json()
    assert d["in_force"] and d["from_user"]["id"] == aw["town_a"].pk and d["level"] == "township"
    # Seen by both officers, by the county, not by township B.
    for who, seen in (("town_a", True), ("town_a2", True), ("county", True), ("town_b", False)):
        listed = ids(client_for(aw[who]).get("/api/v1/approval-delegations/"))
        assert (d["id"] in listed) is seen, who
    refused = client_for(aw["county"]).post(f"/api/v1/approval-delegations/{d['id']}/revoke/")
    assert refused.status_code == 403 and refused.json()["code"] == "not_delegator"
    response = client_for(aw["town_a"]).post(
        f"/api/v1/approval-delegations/{d['id']}/revoke/", {"reason": "回来了"}, format="json"
    )
    assert response.status_code == 200 and response.json()["in_force"] is False
    assert Delegation.objects.get(pk=d["id"]).revoked_by == aw["town_a"]


def test_a_delegate_decision_shows_whom_it_acts_for(aw, client_for):
    req = aw.submit()
    services.delegation_grant(
        actor=aw["town_a"],
        to_user=aw["town_a2"],
        region=aw.regions["town_a"],
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
    )
    body = client_for(aw["town_a2"]).post(f"/api/v1/approvals/{req.pk}/approve/").json()
    assert body["decisions"][0]["acting_for"] == {"id": aw["town_a"].pk, "name": "ap_town_a"}
