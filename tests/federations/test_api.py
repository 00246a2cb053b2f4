"""API: organizations/, federations/, federation-staff/, members/ — scoped, private data
guarded, writes through the services, bad input a 4xx."""

import datetime

import pytest

from federations.models import Membership, Organization
from tests.federations.factories import credit_code, make_membership, make_org, make_staff


@pytest.fixture
def world(regions):
    """org_a (fed A member) and org_b (fed B member) get private data; org_gone left fed A."""
    for key in ("org_a", "org_b"):
        org = regions[key]
        org.representative_name = "负责人"
        org.founded_on = datetime.date(2019, 9, 1)
        org.representative_phone = "13800000000"
        org.representative_id_number = "11010519491231002X"
        org.save()
    gone = make_org(regions["comm_a2"], "已退出组织", representative_phone="13911111111")
    make_membership(
        regions["federation_a"],
        gone,
        datetime.date(2023, 1, 1),
        left_on=datetime.date(2024, 1, 1),
    )
    return {**regions, "gone": gone}


def results(response):
    assert response.status_code == 200, response.content
    return {r["name"]: r for r in response.json()["results"]}


def test_federation_staff_see_their_members_with_private_data(world, client_for, users):
    client = client_for(users["federation_staff"])
    orgs = results(client.get("/api/v1/organizations/"))
    assert set(orgs) == {"府前社区志愿服务队", "已退出组织"}
    assert orgs["府前社区志愿服务队"]["representative_phone"] == "13800000000"
    assert orgs["府前社区志愿服务队"]["private_data_visible"] is True
    # A former member: public data only.
    assert orgs["已退出组织"]["representative_phone"] is None
    assert orgs["已退出组织"]["representative_id_number"] is None


def test_federation_staff_cannot_see_another_federations_members(world, client_for, users):
    client = client_for(users["federation_staff"])
    org_b = world["org_b"]
    assert client.get(f"/api/v1/organizations/{org_b.pk}/").status_code == 404
    assert (
        client.get(f"/api/v1/organizations/?credit_code=&community={org_b.community_id}").json()[
            "results"
        ]
        == []
    )
    members = client.get("/api/v1/members/").json()["results"]
    assert {m["federation"] for m in members} == {world["federation_a"].pk}
    other = Membership.objects.get(organization=org_b)
    assert client.get(f"/api/v1/members/{other.pk}/").status_code == 404
    assert client.get(f"/api/v1/members/?organization={org_b.pk}").json()["results"] == []
    body = str(client.get("/api/v1/members/").content)
    assert "11010519491231002X" not in body


def test_members_show_private_data_only_for_current_members(world, client_for, users):
    client = client_for(users["federation_staff"])
    members = {
        m["organization_detail"]["name"]: m
        for m in client.get("/api/v1/members/").json()["results"]
    }
    assert members["府前社区志愿服务队"]["organization_detail"]["representative_phone"] == (
        "13800000000"
    )
    assert members["府前社区志愿服务队"]["is_active"] is True
    assert members["已退出组织"]["organization_detail"]["representative_phone"] is None
    active = client.get("/api/v1/members/?active=true").json()["results"]
    assert [m["organization_detail"]["name"] for m in active] == ["府前社区志愿服务队"]


def test_representative_sees_only_its_organization(world, client_for, users):
    client = client_for(users["org_rep"])
    orgs = results(client.get("/api/v1/organizations/"))
    assert list(orgs) == ["府前社区志愿服务队"]
    assert orgs["府前社区志愿服务队"]["representative_id_number"] == "11010519491231002X"
    assert client.get(f"/api/v1/organizations/{world['org_b'].pk}/").status_code == 404
    # Only the federation its organization belongs to.
    feds = client.get("/api/v1/federations/").json()["results"]
    assert [f["id"] for f in feds] == [world["federation_a"].pk]


def test_finance_officer_sees_the_region_without_private_data(world, client_for, users):
    orgs = results(client_for(users["finance_county"]).get("/api/v1/organizations/"))
    assert len(orgs) == 3
    assert all(o["representative_phone"] is None for o in orgs.values())


def test_auditor_sees_private_data_in_region(world, client_for, users):
    orgs = results(client_for(users["auditor"]).get("/api/v1/organizations/"))
    assert orgs["王家村舞蹈队"]["representative_phone"] == "13800000000"
    town_b = results(client_for(users["auditor_town_b"]).get("/api/v1/organizations/"))
    assert list(town_b) == ["王家村舞蹈队"]


def test_list_query_count_does_not_grow(world, client_for, users, django_assert_max_num_queries):
    for i in range(15):
        make_org(world["comm_a1"], f"批量{i}", categories=["dance", "fitness"])
    client = client_for(users["admin"])
    with django_assert_max_num_queries(6):
        body = client.get("/api/v1/organizations/?page_size=100").json()
    assert body["count"] == 18
    staff = client_for(users["federation_staff"])
    with django_assert_max_num_queries(7):
        staff.get("/api/v1/organizations/")
    with django_assert_max_num_queries(7):
        staff.get("/api/v1/members/")
    with django_assert_max_num_queries(7):
        client.get("/api/v1/federations/")
    for i in range(5):
        make_staff(world["federation_a"], f"社工{i}")
    with django_assert_max_num_queries(6):
        assert len(staff.get("/api/v1/federation-staff/").json()["results"]) == 5


def test_filters(world, client_for, users):
    make_org(world["comm_a1"], "舞蹈品牌", categories=["dance"], is_brand=True, brand_year=2024)
    client = client_for(users["admin"])
    assert list(results(client.get("/api/v1/organizations/?category=dance"))) == ["舞蹈品牌"]
    assert list(results(client.get("/api/v1/organizations/?is_brand=true"))) == ["舞蹈品牌"]
    within = results(client.get(f"/api/v1/organizations/?within={world['town_b'].pk}"))
    assert list(within) == ["王家村舞蹈队"]
    members = results(client.get(f"/api/v1/organizations/?federation={world['federation_a'].pk}"))
    assert list(members) == ["府前社区志愿服务队"]
    assert client.get("/api/v1/organizations/?category=astrology").status_code == 400
    assert client.get("/api/v1/organizations/?within=999999").status_code == 400


NEW_ORG = {
    "name": "金湖社区调解队",
    "legal_status": "filed",
    "categories": ["dispute_mediation", "volunteering"],
    "representative_name": "陈九",
    "representative_phone": "13700000000",
    "founded_on": "2024-02-01",
}


def test_federation_staff_register_an_organization_in_their_township(world, client_for, users):
    client = client_for(users["federation_staff"])
    response = client.post(
        "/api/v1/organizations/", {**NEW_ORG, "community": world["comm_a2"].pk, "reason": "登记"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert [c["value"] for c in body["categories"]] == ["dispute_mediation", "volunteering"]
    org = Organization.objects.get(pk=body["id"])
    assert org.history.get().history_change_reason == "登记"
    assert org.history.get().history_user == users["federation_staff"]
    elsewhere = client.post("/api/v1/organizations/", {**NEW_ORG, "community": world["comm_b1"].pk})
    assert elsewhere.status_code == 400 and list(elsewhere.json()["fields"]) == ["community"]
    # It joined the federation of the staff who registered it, today.
    assert org.memberships.get().federation == world["federation_a"]


def test_bad_input_is_a_4xx_naming_the_field(world, client_for, users):
    client = client_for(users["admin"])
    base = {**NEW_ORG, "community": world["comm_a2"].pk}
    wrong = credit_code("51")
    wrong = wrong[:17] + ("0" if wrong[17] != "0" else "1")
    cases = [
        ({**base, "legal_status": "social_group"}, "credit_code"),
        ({**base, "legal_status": "social_group", "credit_code": wrong}, "credit_code"),
        ({**base, "legal_status": "social_group", "credit_code": "123"}, "credit_code"),
        ({**base, "categories": []}, "categories"),
        ({**base, "categories": ["astrology"]}, "categories"),
        ({**base, "surprise": 1}, "surprise"),
        ({**base, "community": world["town_a"].pk}, "community"),
        ({**base, "founded_on": "yesterday"}, "founded_on"),
        ({**base, "party_form": "own_branch"}, "party_established_on"),
        ({**base, "is_brand": True}, "brand_year"),
        ({**base, "representative_id_number": "110105194912310021"}, "representative_id_number"),
    ]
    for payload, field in cases:
        response = client.post("/api/v1/organizations/", payload)
        assert response.status_code == 400, (field, response.content)
        assert field in response.json()["fields"], (field, response.json())


def test_other_roles_cannot_register(world, client_for, users):
    for who in ("org_rep", "auditor", "finance_county"):
        response = client_for(users[who]).post(
            "/api/v1/organizations/", {**NEW_ORG, "community": world["comm_a1"].pk}
        )
        assert response.status_code == 403, who


def test_update_and_state_change(world, client_for, users):
    client = client_for(users["federation_staff"])
    org = world["org_a"]
    response = client.patch(
        f"/api/v1/organizations/{org.pk}/",
        {
            "party_form": "joint_branch",
            "party_established_on": "2023-03-01",
            "reason": "建联合党支部",
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["party_form_display"] == "联合党支部"
    no_reason = client.post(f"/api/v1/organizations/{org.pk}/state/", {"state": "dissolved"})
    assert no_reason.status_code == 400
    response = client.post(
        f"/api/v1/organizations/{org.pk}/state/", {"state": "dissolved", "reason": "自行解散"}
    )
    assert response.status_code == 200
    assert Membership.objects.get(organization=org).left_on is not None
    again = client.post(
        f"/api/v1/organizations/{org.pk}/state/", {"state": "active", "reason": "恢复"}
    )
    assert again.status_code == 409


def test_eligibility_endpoint(world, client_for, users):
    client = client_for(users["federation_staff"])
    body = client.get(f"/api/v1/organizations/{world['org_a'].pk}/eligibility/?on=2025-01-01")
    data = body.json()
    assert data["custody"][0]["ok"] is True
    assert data["transferred_functions"]["ok"] is False
    assert data["transferred_functions"]["reasons"][0]["code"] == "no_party_organization"


def test_federations_list_and_admin_only_writes(world, client_for, users):
    make_staff(world["federation_a"], "社工")
    client = client_for(users["federation_staff"])
    feds = results(client.get("/api/v1/federations/"))
    assert list(feds) == ["文汇街道社区社会组织联合会"]
    assert feds["文汇街道社区社会组织联合会"]["social_workers"] == 1
    assert feds["文汇街道社区社会组织联合会"]["member_count"] == 1
    payload = {
        "name": "新联合会",
        "township": world["town_a"].pk,
        "credit_code": credit_code("51"),
        "head_name": "刘十",
    }
    assert client.post("/api/v1/federations/", payload).status_code == 403
    admin = client_for(users["admin"])
    duplicate = admin.post("/api/v1/federations/", payload)
    assert duplicate.status_code == 400  # the township has an active federation
    official = admin.patch(
        f"/api/v1/federations/{world['federation_a'].pk}/", {"head_is_township_official": True}
    )
    assert official.status_code == 400
    assert "head_approval_reference" in official.json()["fields"]
    ok = admin.patch(
        f"/api/v1/federations/{world['federation_a'].pk}/",
        {
            "head_is_township_official": True,
            "head_approval_reference": "东营区〔2024〕1号",
            "head_name": "刘十",
        },
    )
    assert ok.status_code == 200


def test_staff_endpoints(world, client_for, users):
    client = client_for(users["federation_staff"])
    payload = {"name": "社工甲", "is_social_worker": True, "started_on": "2025-01-01"}
    mine = client.post(
        "/api/v1/federation-staff/", {**payload, "federation": world["federation_a"].pk}
    )
    assert mine.status_code == 201
    other = client.post(
        "/api/v1/federation-staff/", {**payload, "federation": world["federation_b"].pk}
    )
    assert other.status_code == 400 and "federation" in other.json()["fields"]
    ended = client.post(
        f"/api/v1/federation-staff/{mine.json()['id']}/end/", {"on": "2024-01-01", "reason": "x"}
    )
    assert ended.status_code == 400  # before the start
    ended = client.post(
        f"/api/v1/federation-staff/{mine.json()['id']}/end/", {"on": "2026-01-01", "reason": "离职"}
    )
    assert ended.status_code == 200 and ended.json()["ended_on"] == "2026-01-01"


def test_membership_endpoints(world, client_for, users):
    client = client_for(users["federation_staff"])
    org = make_org(world["comm_a2"], "新会员")
    created = client.post(
        "/api/v1/members/",
        {"federation": world["federation_a"].pk, "organization": org.pk, "joined_on": "2025-03-01"},
    )
    assert created.status_code == 201, created.content
    again = client.post(
        "/api/v1/members/",
        {"federation": world["federation_a"].pk, "organization": org.pk, "joined_on": "2025-04-01"},
    )
    assert again.status_code == 400
    outside = client.post(
        "/api/v1/members/",
        {
            "federation": world["federation_a"].pk,
            "organization": world["org_b"].pk,
            "joined_on": "2025-03-01",
        },
    )
    assert outside.status_code == 400 and "organization" in outside.json()["fields"]
    not_mine = client.post(
        "/api/v1/members/",
        {
            "federation": world["federation_b"].pk,
            "organization": world["org_b"].pk,
            "joined_on": "2025-03-01",
        },
    )
    assert not_mine.status_code == 400 and "federation" in not_mine.json()["fields"]
    pk = created.json()["id"]
    early = client.post(f"/api/v1/members/{pk}/leave/", {"on": "2025-01-01", "reason": "退出"})
    assert early.status_code == 400 and "left_on" in early.json()["fields"]
    left = client.post(f"/api/v1/members/{pk}/leave/", {"on": "2025-06-01", "reason": "退出"})
    assert left.status_code == 200 and left.json()["left_on"] == "2025-06-01"
    twice = client.post(f"/api/v1/members/{pk}/leave/", {"on": "2025-07-01", "reason": "退出"})
    assert twice.status_code == 409


def test_messages_follow_accept_language(world, client_for, users):
    client = client_for(users["admin"])
    code = credit_code("51")
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    payload = {
        **NEW_ORG,
        "community": world["comm_a2"].pk,
        "legal_status": "social_group",
        "credit_code": wrong,
    }
    chinese = client.post("/api/v1/organizations/", payload).json()
    assert "校验码错误" in chinese["fields"]["credit_code"][0]
    english = client.post("/api/v1/organizations/", payload, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["fields"]["credit_code"][0].startswith("Wrong check character")


def test_an_id_out_of_scope_answers_as_one_that_does_not_exist(world, client_for, users):
    """Naming another township's object in a body reveals nothing: the same 400, naming the
    field, as an id that does not exist (issue 17, item 7)."""
    client = client_for(users["federation_staff"])
    loose_b = make_org(world["comm_b1"], "王家村新组织")
    missing = 999_999_999
    org_a = world["org_a"]
    cases = [
        (
            "post",
            "/api/v1/federation-staff/",
            lambda x: {"federation": x, "name": "甲", "started_on": "2025-01-01"},
            world["federation_b"].pk,
            "federation",
        ),
        (
            "post",
            "/api/v1/members/",
            lambda x: {
                "federation": x,
                "organization": loose_b.pk,
                "joined_on": "2025-01-01",
            },
            world["federation_b"].pk,
            "federation",
        ),
        (
            "post",
            "/api/v1/members/",
            lambda x: {
                "federation": world["federation_a"].pk,
                "organization": x,
                "joined_on": "2025-01-01",
            },
            loose_b.pk,
            "organization",
        ),
        (
            "post",
            "/api/v1/organizations/",
            lambda x: {**NEW_ORG, "community": x},
            world["comm_b1"].pk,
            "community",
        ),
        (
            "patch",
            f"/api/v1/organizations/{org_a.pk}/",
            lambda x: {"community": x},
            world["comm_b1"].pk,
            "community",
        ),
    ]
    for method, url, body, out_of_scope, field in cases:
        outside = getattr(client, method)(url, body(out_of_scope))
        nowhere = getattr(client, method)(url, body(missing))
        assert outside.status_code == 400, (url, field, outside.content)
        assert list(outside.json()["fields"]) == [field], (url, outside.json())
        assert outside.json() == nowhere.json(), (url, field)
    # An administrator sees everywhere: the organization exists, but not in that township.
    admin = client_for(users["admin"])
    response = admin.post(
        "/api/v1/members/",
        {
            "federation": world["federation_a"].pk,
            "organization": loose_b.pk,
            "joined_on": "2025-01-01",
        },
    )
    assert response.status_code == 400 and "organization" in response.json()["fields"]
    assert response.json() != nowhere.json()


def test_dates_are_checked_against_sensible_bounds(world, client_for, users):
    """A founding date is not in the future nor before 1949-10-01; staff and membership
    dates lie between 2000-01-01 and the end of next year (issue 17, item 8)."""
    today = datetime.date.today()
    ceiling = datetime.date(today.year + 1, 12, 31)
    client = client_for(users["federation_staff"])
    base = {**NEW_ORG, "community": world["comm_a2"].pk}
    for founded in ("9999-12-31", (today + datetime.timedelta(days=1)).isoformat(), "1900-01-01"):
        response = client.post("/api/v1/organizations/", {**base, "founded_on": founded})
        assert response.status_code == 400, (founded, response.content)
        assert "1949-10-01" in response.json()["fields"]["founded_on"][0]
    assert (
        client.post("/api/v1/organizations/", {**base, "founded_on": "1949-10-01"}).status_code
        == 201
    )

    staff = {"federation": world["federation_a"].pk, "name": "社工", "started_on": "1900-01-01"}
    response = client.post("/api/v1/federation-staff/", staff)
    assert response.status_code == 400 and "started_on" in response.json()["fields"]
    worker = client.post("/api/v1/federation-staff/", {**staff, "started_on": "2025-01-01"})
    assert worker.status_code == 201
    far = client.post(
        f"/api/v1/federation-staff/{worker.json()['id']}/end/", {"on": "7487-01-01", "reason": "x"}
    )
    assert far.status_code == 400 and ceiling.isoformat() in far.json()["fields"]["ended_on"][0]
    planned = client.post(
        f"/api/v1/federation-staff/{worker.json()['id']}/end/",
        {"on": ceiling.isoformat(), "reason": "合同到期"},
    )
    assert planned.status_code == 200

    membership = Membership.objects.get(organization=world["org_a"])
    leave = client.post(
        f"/api/v1/members/{membership.pk}/leave/", {"on": "7487-05-01", "reason": "x"}
    )
    assert leave.status_code == 400 and "left_on" in leave.json()["fields"]
    org = make_org(world["comm_a2"], "待入会")
    join = client.post(
        "/api/v1/members/",
        {"federation": world["federation_a"].pk, "organization": org.pk, "joined_on": "1999-12-31"},
    )
    assert join.status_code == 400 and "joined_on" in join.json()["fields"]
    admin = client_for(users["admin"])
    registered = admin.patch(
        f"/api/v1/federations/{world['federation_a'].pk}/", {"registered_on": "9999-12-31"}
    )
    assert registered.status_code == 400 and "registered_on" in registered.json()["fields"]
