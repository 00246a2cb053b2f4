"""core.notifications: per user, read/unread, idempotent by (user, key)."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.errors import InvalidInput, NotFound
from core.models import Notification
from core.notifications import mark_read, notify
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_notify_once_per_user_and_key(regions):
    alice, bob = make_user("n_alice"), make_user("n_bob")
    note, new = notify(
        user=alice, key="k:1:2026-01-01", kind="reminder", message="你好", obj=regions["city"]
    )
    assert new and note.obj_type == "federations.region" and note.obj_id == regions["city"].pk
    again, new = notify(user=alice, key="k:1:2026-01-01", kind="reminder", message="再来")
    assert not new and again.pk == note.pk and again.message == "你好"
    _, new = notify(user=bob, key="k:1:2026-01-01", kind="reminder", message="你好")
    assert new
    assert Notification.objects.count() == 2


def test_the_database_holds_one_per_user_and_key(db):
    alice = make_user("n_alice")
    notify(user=alice, key="k", kind="x", message="m")
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification(user=alice, key="k", kind="x", message="m").save()


@pytest.mark.parametrize("key, message", [("", "m"), ("k" * 201, "m"), ("k", ""), ("k", "  ")])
def test_bad_input(db, key, message):
    with pytest.raises(InvalidInput):
        notify(user=make_user("n_x"), key=key, kind="x", message=message)
    assert Notification.objects.count() == 0


def test_mark_read_only_ones_own(db):
    alice, bob = make_user("n_alice"), make_user("n_bob")
    note, _ = notify(user=alice, key="k", kind="x", message="m")
    with pytest.raises(NotFound):
        mark_read(user=bob, notification_id=note.pk)
    read = mark_read(user=alice, notification_id=note.pk)
    assert read.is_read
    at = read.read_at
    assert mark_read(user=alice, notification_id=note.pk).read_at == at  # again: unchanged
    assert note.history.count() == 2  # created, read


def test_api_lists_own_filters_unread_and_marks_read(db, client_for):
    alice, bob = make_user("n_alice"), make_user("n_bob")
    first, _ = notify(user=alice, key="a", kind="x", message="一")
    second, _ = notify(user=alice, key="b", kind="x", message="二")
    notify(user=bob, key="a", kind="x", message="别人的")
    client = client_for(alice)
    body = client.get("/api/v1/notifications/").json()
    assert [n["id"] for n in body["results"]] == [second.pk, first.pk]
    r = client.post(f"/api/v1/notifications/{first.pk}/read/")
    assert r.status_code == 200 and r.json()["is_read"] is True
    unread = client.get("/api/v1/notifications/?unread=true").json()["results"]
    assert [n["id"] for n in unread] == [second.pk]
    read = client.get("/api/v1/notifications/?unread=false").json()["results"]
    assert [n["id"] for n in read] == [first.pk]
    other = Notification.objects.get(user=bob)
    assert client.post(f"/api/v1/notifications/{other.pk}/read/").status_code == 404
    assert client.get("/api/v1/notifications/?unread=maybe").status_code == 400
    assert client.post("/api/v1/notifications/99999999999999999999/read/").status_code == 404


def test_api_list_runs_a_fixed_number_of_queries(db, client_for):
    alice = make_user("n_alice")

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client_for(alice).get("/api/v1/notifications/").status_code == 200
        return len(ctx.captured_queries)

    notify(user=alice, key="0", kind="x", message="m")
    few = queries()
    for i in range(1, 30):
        notify(user=alice, key=str(i), kind="x", message="m")
    assert queries() == few == 2  # count, page


@pytest.mark.django_db(transaction=True)
def test_concurrent_notify_with_the_same_key_makes_one():
    alice = make_user("n_alice")
    barrier = threading.Barrier(4)
    results = []

    def send():
        try:
            barrier.wait()
            results.append(notify(user=alice, key="same", kind="x", message="m")[1])
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [False, False, False, True]
    assert Notification.objects.filter(user=alice).count() == 1
