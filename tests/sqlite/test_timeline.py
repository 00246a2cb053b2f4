"""The auditors' timeline on SQLite: pages, the next page, and the since/until filters."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from audit import history
from ledger.models import Transfer

pytestmark = pytest.mark.sqlite


def _all(client, url):
    rows, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        rows += response.json()["results"]
        url = response.json()["next"]
        pages += 1
    return rows, pages


def test_history_pages_walk_the_whole_timeline(as_user):
    client = as_user("admin")  # sees every row
    total = sum(h.objects.count() for h in history.registry.timeline_models())
    rows, pages = _all(client, "/api/v1/audit/history/?page_size=500")
    transfers = [r for r in rows if r["kind"] == "transfer"]
    assert len([r for r in rows if r["kind"] == "history"]) == total > 2000
    assert len(transfers) == Transfer.objects.count() > 0
    assert pages == len(rows) // 500 + 1
    keys = [(r["model"], r["history_id"]) for r in rows]
    assert len(set(keys)) == len(keys)  # no row twice, none lost across pages
    times = [r["at"] for r in rows]
    assert times == sorted(times, reverse=True)


def test_second_page_continues_the_first(as_user):
    client = as_user("auditor")
    first = client.get("/api/v1/audit/history/?page_size=100").json()
    assert len(first["results"]) == 100 and first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 100
    assert second["results"][0]["at"] <= first["results"][-1]["at"]


def test_since_and_until(as_user):
    client = as_user("auditor")
    future = client.get("/api/v1/audit/history/", {"since": "2030-01-01T00:00:00Z"}).json()
    assert future["results"] == []
    now = (timezone.now() + dt.timedelta(seconds=1)).isoformat()
    until_now = client.get("/api/v1/audit/history/", {"until": now, "page_size": 10}).json()
    assert len(until_now["results"]) == 10
    past = client.get("/api/v1/audit/history/", {"until": "2000-01-01T00:00:00Z"}).json()
    assert past["results"] == []
    since_past = client.get("/api/v1/audit/history/", {"since": "2000-01-01T00:00:00Z"}).json()
    assert since_past["results"]


def test_one_objects_versions_and_a_user_filter(as_user):
    from federations.models import Organization

    client = as_user("auditor")
    org = Organization.objects.order_by("pk").first()
    body = client.get(
        "/api/v1/audit/history/",
        {"model": "federations.organization", "object_id": org.pk},
    ).json()
    assert body["results"] and {r["object_id"] for r in body["results"]} == {str(org.pk)}
    created = client.get("/api/v1/audit/history/", {"action": "create", "page_size": 5}).json()
    assert {r["action"] for r in created["results"]} == {"create"}


def test_admin_timeline_second_page(demo, client, django_user_model):
    client.force_login(django_user_model.objects.get(username="auditor"))
    first = client.get(reverse("admin:audit_timeline"))
    assert first.status_code == 200
    assert first.context["next_query"]
    second = client.get(reverse("admin:audit_timeline") + "?" + first.context["next_query"])
    assert second.status_code == 200
    assert len(second.context["entries"]) == 50
    assert second.context["entries"][0]["at"] <= first.context["entries"][-1]["at"]
