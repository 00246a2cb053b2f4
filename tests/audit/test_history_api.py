"""History API: versions of one object, one user's changes, a region and time range,
filters, diffs, cursor pagination, scope and the access log."""

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AccessLog
from tests.audit.factories import change

URL = "/api/v1/audit/history/"


@pytest.fixture
def changed(regions, users):
    """Town a's community renamed twice by the county finance officer, town b's once."""
    fin = users["finance_county"]
    comm = regions["comm_a1"]
    change(comm, by=fin, reason="first rename", name="府前社区一")
    change(comm, by=fin, reason="second rename", name="府前社区二")
    change(regions["comm_b1"], by=users["admin"], reason="b rename", name="王家村一")
    return comm


def test_versions_of_one_object_with_who_when_why_and_diff(client_for, users, changed):
    response = client_for(users["auditor"]).get(
        URL, {"model": "federations.region", "object_id": changed.pk}
    )
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["action"] for r in results] == ["change", "change", "create"]
    newest = results[0]
    assert newest["user"]["username"] == "fin_county"
    assert newest["reason"] == "second rename"
    assert newest["changes"] == [
        {
            "field": "name",
            "label": "名称",
            "old": "府前社区一",
            "new": "府前社区二",
            "old_display": "府前社区一",
            "new_display": "府前社区二",
        }
    ]
    assert newest["previous_history_id"] == results[1]["history_id"]
    created = results[-1]
    assert {c["field"] for c in created["changes"]} >= {"name", "code", "level", "path"}
    assert all(c["old"] is None for c in created["changes"])


def test_one_users_changes_across_models(client_for, users, changed, regions):
    org = regions["org_a"]
    change(org, by=users["finance_county"], reason="org rename", name="志愿服务队（新）")
    response = client_for(users["auditor"]).get(URL, {"user": users["finance_county"].pk})
    results = response.json()["results"]
    assert {(r["model"], r["reason"]) for r in results} == {
        ("federations.region", "first rename"),
        ("federations.region", "second rename"),
        ("federations.organization", "org rename"),
    }
    times = [r["at"] for r in results]
    assert times == sorted(times, reverse=True)


def test_region_and_time_range_and_action_filters(client_for, users, changed, regions):
    client = client_for(users["auditor"])
    now = timezone.now()
    response = client.get(
        URL,
        {
            "region": regions["town_b"].pk,
            "since": (now - dt.timedelta(hours=1)).isoformat(),
            "until": (now + dt.timedelta(hours=1)).isoformat(),
            "action": "change",
        },
    )
    results = response.json()["results"]
    assert [(r["object_id"], r["reason"]) for r in results] == [
        (str(regions["comm_b1"].pk), "b rename")
    ]
    response = client.get(URL, {"since": (now + dt.timedelta(hours=1)).isoformat()})
    assert response.json()["results"] == []
    creates = client.get(URL, {"action": "create", "model": "federations.region"}).json()
    assert creates["results"] and {r["action"] for r in creates["results"]} == {"create"}


def test_cursor_pagination_walks_everything_once(client_for, users, changed):
    client = client_for(users["admin"])
    everything = client.get(URL, {"page_size": 500}).json()["results"]
    seen, url, params = [], URL, {"page_size": 3}
    while url:
        page = client.get(url, params).json()
        seen += [(r["model"], r["history_id"]) for r in page["results"]]
        url, params = page["next"], None
    assert seen == [(r["model"], r["history_id"]) for r in everything]
    assert len(seen) == len(set(seen)) > 10


def test_auditor_sees_only_its_region(client_for, users, changed, regions):
    client = client_for(users["auditor_town_b"])
    results = client.get(URL, {"page_size": 500}).json()["results"]
    assert results
    town_b_ids = {str(regions[k].pk) for k in ("town_b", "comm_b1")}
    for r in results:
        if r["model"] == "federations.region":
            assert r["object_id"] in town_b_ids
    assert "access.user" not in {r["model"] for r in results}  # no region: city auditors only
    # An object outside the auditor's region: 404.
    response = client.get(URL, {"model": "federations.region", "object_id": changed.pk})
    assert response.status_code == 404
    city = client_for(users["auditor"]).get(URL, {"model": "access.user", "page_size": 500})
    assert city.status_code == 200 and city.json()["results"]


@pytest.mark.parametrize("role", ["finance_county", "federation_staff", "org_rep", "nobody"])
def test_other_roles_are_refused(client_for, users, role):
    response = client_for(users[role]).get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_anonymous_is_refused(api):
    assert api.get(URL).status_code == 401


@pytest.mark.parametrize(
    "params,field",
    [
        ({"model": "nope.nothing"}, "model"),
        ({"object_id": "1"}, "model"),
        ({"user": "x"}, "user"),
        ({"region": 999999}, "region"),
        ({"since": "yesterday"}, "since"),
        ({"action": "edit"}, "action"),
        ({"cursor": "!!!"}, "cursor"),
        ({"page_size": 0}, "page_size"),
        ({"model": "federations.region", "object_id": "abc"}, "object_id"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client_for, users, params, field):
    response = client_for(users["auditor"]).get(URL, params)
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]


def test_diff_between_any_two_versions(client_for, users, changed):
    client = client_for(users["auditor"])
    versions = client.get(URL, {"model": "federations.region", "object_id": changed.pk}).json()
    newest, oldest = versions["results"][0], versions["results"][-1]
    response = client.get(
        f"{URL}diff/",
        {
            "model": "federations.region",
            "object_id": changed.pk,
            "from_version": oldest["history_id"],
            "to_version": newest["history_id"],
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["changes"] == [
        {
            "field": "name",
            "label": "名称",
            "old": "府前社区",
            "new": "府前社区二",
            "old_display": "府前社区",
            "new_display": "府前社区二",
        }
    ]
    assert body["from_version"]["action"] == "create"
    assert body["to_version"]["reason"] == "second rename"
    # Out of scope or not this object's versions: 404.
    other = client_for(users["auditor_town_b"]).get(
        f"{URL}diff/",
        {
            "model": "federations.region",
            "object_id": changed.pk,
            "from_version": oldest["history_id"],
            "to_version": newest["history_id"],
        },
    )
    assert other.status_code == 404


def test_reading_the_trail_is_logged(client_for, users, changed):
    client = client_for(users["auditor"])
    client.get(URL, {"model": "federations.region", "object_id": changed.pk})
    log = AccessLog.objects.latest("id")
    assert log.user == users["auditor"] and log.action == "history"
    assert log.query["object_id"] == str(changed.pk) and log.rows == 3


def test_history_list_query_count(client_for, users, changed, django_assert_max_num_queries):
    client = client_for(users["auditor"])
    client.get(URL)  # warm caches (content types, sessions)
    # auth + assignments + one timeline query + two per model on the page + access log
    with django_assert_max_num_queries(14):
        response = client.get(URL, {"page_size": 100})
    assert response.status_code == 200


def test_same_query_shape_with_other_values(client_for, users, changed, regions):
    """Queries of one shape share their compiled SQL; their values must not mix."""
    client = client_for(users["auditor"])
    fin = client.get(URL, {"user": users["finance_county"].pk}).json()["results"]
    admin = client.get(URL, {"user": users["admin"].pk}).json()["results"]
    assert {r["user"]["username"] for r in fin} == {"fin_county"}
    assert {r["user"]["username"] for r in admin} == {"admin1"}
    a = client.get(URL, {"region": regions["town_a"].pk, "model": "federations.region"}).json()
    b = client.get(URL, {"region": regions["town_b"].pk, "model": "federations.region"}).json()
    ids_a = {r["object_id"] for r in a["results"]}
    ids_b = {r["object_id"] for r in b["results"]}
    assert str(regions["comm_a1"].pk) in ids_a and str(regions["comm_b1"].pk) in ids_b
    assert not ids_a & ids_b
