"""Several history rows per call (core_history_write_many): `history_guard.batched()` and
`core.audited.bulk_create_with_history`, as the application's limited role (a `db` test runs
as `fundmgr_app`: tests/conftest.py), with rows identical to the ones written one by one."""

import json

import pytest
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core import history_guard
from core.audited import bulk_create_with_history, set_reason
from core.context import acting_as
from core.models import Notification
from core.notifications import notify
from federations.models import Organization
from tests.factories import make_user

pytestmark = pytest.mark.django_db

CONTENT = ("history_type", "history_change_reason", "history_user_id", "history_actor")


def _role() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        return cursor.fetchone()[0]


def _writer_calls(ctx) -> tuple[int, int]:
    sql = [q["sql"] for q in ctx.captured_queries]
    many = sum("core_history_write_many(" in s for s in sql)
    return many, sum("core_history_write(" in s for s in sql)


def _rows(obj) -> list[dict]:
    """The object's history rows without their own id and time, oldest first."""
    rows = []
    for h in obj.history.order_by("history_id"):
        row = {f.attname: getattr(h, f.attname) for f in h._meta.concrete_fields}
        rows.append({k: v for k, v in row.items() if k not in ("history_id", "history_date")})
    return rows


def test_rows_of_a_block_go_in_with_one_call_as_the_limited_role(regions):
    assert _role() == "fundmgr_app"
    user = make_user("hb_officer")
    org = Organization.objects.get(pk=regions["org_a"].pk)
    with acting_as(user=user), CaptureQueriesContext(connection) as ctx:
        with transaction.atomic(), history_guard.batched():
            org.name = "一次写入"
            set_reason(org, "renamed").save()
            note = Notification(user=user, key="hb", kind="x", message="m")
            set_reason(note, "sent").save()
            assert org.history.count() == 1  # still queued: only the creation's row
    assert _writer_calls(ctx) == (1, 0)
    last = org.history.order_by("-history_id").first()
    assert (last.name, last.history_type, last.history_change_reason) == (
        "一次写入",
        "~",
        "renamed",
    )
    assert (last.history_user_id, last.history_actor) == (user.pk, "hb_officer")
    (created,) = note.history.all()
    assert (created.history_type, created.key, created.history_change_reason) == ("+", "hb", "sent")


def test_the_same_rows_as_one_by_one(regions):
    user = make_user("hb_same")
    one = Organization.objects.get(pk=regions["org_a"].pk)
    two = Organization.objects.get(pk=regions["org_b"].pk)
    with acting_as(user=user):
        with transaction.atomic():
            one.name = "同名"
            set_reason(one, "why").save()
        with transaction.atomic(), history_guard.batched():
            two.name = "同名"
            set_reason(two, "why").save()
    a, b = _rows(one)[-1], _rows(two)[-1]
    assert (a["id"], b["id"]) == (one.pk, two.pk)
    assert {k: a[k] for k in (*CONTENT, "name")} == {k: b[k] for k in (*CONTENT, "name")}
    assert a["history_type"] == "~" and a["history_actor"] == "hb_same"


def test_a_row_changed_twice_in_a_block_gets_both_history_rows(regions):
    org = Organization.objects.get(pk=regions["org_a"].pk)
    with CaptureQueriesContext(connection) as ctx:
        with transaction.atomic(), history_guard.batched():
            org.name = "第一次"
            set_reason(org, "first").save()
            org.name = "第二次"  # the queued row is written before this change
            set_reason(org, "second").save()
    assert _writer_calls(ctx) == (2, 0)
    names = [(h.name, h.history_change_reason) for h in org.history.order_by("history_id")][-2:]
    assert names == [("第一次", "first"), ("第二次", "second")]


def test_rows_of_a_savepoint_rolled_back_are_dropped_with_it(regions):
    user = make_user("hb_sp")
    org = Organization.objects.get(pk=regions["org_a"].pk)
    before = org.history.count()
    with transaction.atomic(), history_guard.batched():
        Notification(user=user, key="kept", kind="x", message="m").save()
        with pytest.raises(IntegrityError), transaction.atomic():
            org.name = "回滚"
            org.save()
            Notification(user=user, key="kept", kind="x", message="again").save()
    org.refresh_from_db()
    assert org.name != "回滚" and org.history.count() == before
    assert Notification.history.filter(key="kept").count() == 1


def test_an_error_the_caller_catches_still_leaves_the_rows_written(regions):
    org = Organization.objects.get(pk=regions["org_a"].pk)
    with transaction.atomic():
        with pytest.raises(LookupError), history_guard.batched():
            org.name = "之后出错"
            set_reason(org, "then an error").save()
            raise LookupError
    assert org.history.order_by("-history_id").first().name == "之后出错"


def test_the_guard_still_refuses_a_row_that_differs_from_the_live_one(regions):
    org = Organization.objects.get(pk=regions["org_a"].pk)
    hist = type(org.history.first())
    fields = [f for f in hist._meta.concrete_fields if not f.primary_key]
    true = history_guard.row_of(org.history.first(), connection, fields)
    forged = dict(true, name="伪造", history_type="~")
    with pytest.raises(IntegrityError, match="differs from the row"), transaction.atomic():
        history_guard.write_many(connection, [(hist, dict(true, history_type="~")), (hist, forged)])
    with pytest.raises(ProgrammingError, match="not a guarded history"), transaction.atomic():
        with connection.cursor() as cursor:  # no way into a table that is not guarded history
            cursor.execute(
                "SELECT core_history_write_many(ARRAY['federations_organization']::regclass[], "
                "ARRAY['id'], %s::jsonb)",
                [json.dumps([[{"id": org.pk, "name": "x"}]])],
            )
    assert org.history.filter(name="伪造").count() == 0


def test_bulk_create_with_history_as_the_limited_role(db):
    assert _role() == "fundmgr_app"
    user = make_user("hb_bulk")
    notes = [
        set_reason(Notification(user=user, key=f"b{i}", kind="x", message=f"m{i}"), f"bulk {i}")
        for i in range(5)
    ]
    with acting_as(user=user), CaptureQueriesContext(connection) as ctx:
        created = bulk_create_with_history(notes)
    assert _writer_calls(ctx) == (1, 0)
    assert all(n.pk for n in created)
    rows = Notification.history.filter(id__in=[n.pk for n in created]).order_by("id")
    assert [(h.key, h.history_type, h.history_change_reason) for h in rows] == [
        (f"b{i}", "+", f"bulk {i}") for i in range(5)
    ]
    assert {(h.history_user_id, h.history_actor) for h in rows} == {(user.pk, "hb_bulk")}


def test_bulk_create_with_history_is_all_or_nothing(db):
    user = make_user("hb_all")
    notes = [Notification(user=user, key="same", kind="x", message="m") for _ in range(2)]
    with pytest.raises(IntegrityError):
        bulk_create_with_history(notes)
    assert not Notification.objects.filter(user=user).exists()
    assert not Notification.history.filter(user_id=user.pk).exists()


def test_simple_historys_bulk_history_create_goes_through_the_writer(db):
    assert _role() == "fundmgr_app"
    user = make_user("hb_sh")
    note = Notification(user=user, key="sh", kind="x", message="m")
    note.save()
    with acting_as(user=user):
        (row,) = Notification.history.bulk_history_create([note], default_change_reason="again")
    assert row.pk and row.history_type == "+" and row.history_change_reason == "again"
    assert Notification.history.filter(id=note.pk).count() == 2


def test_notify_writes_one_statement_and_one_history_row(db):
    user = make_user("hb_notify")
    with CaptureQueriesContext(connection) as ctx:
        with transaction.atomic(), history_guard.batched():
            note, new = notify(user=user, key="k", kind="x", message="m")
            again, new_again = notify(user=user, key="k", kind="x", message="other")
    assert new and not new_again and again.pk == note.pk and again.message == "m"
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sum("SAVEPOINT" in s for s in sql) == 2  # the test's own block (in the test's)
    assert sum("ON CONFLICT DO NOTHING" in s for s in sql) == 2
    assert _writer_calls(ctx) == (1, 0)
    assert note.history.count() == 1
