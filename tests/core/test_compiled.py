"""Statements built once (core/compiled.py): the same rows, instances, history rows and
refusals as the ORM's, with the SQL built once and prepared by the server."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from core.audited import set_reason
from core.compiled import Compiled, insert, prepared_cursor, save_fields, save_together
from core.context import acting_as
from core.models import Notification
from federations.models import Organization
from ledger.models import Account
from tests.factories import make_user
from tests.ledger.factories import account as open_account

pytestmark = pytest.mark.django_db


def _counting(build):
    calls = []

    def counted(*args):
        calls.append(args)
        return build(*args)

    return Compiled(counted), calls


def test_a_compiled_read_gives_the_orms_instances_with_their_relations(regions):
    read, calls = _counting(
        lambda pk: Organization.objects.select_related("community").filter(pk=pk)
    )
    for name in ("org_a", "org_b"):
        expected = Organization.objects.select_related("community").get(pk=regions[name].pk)
        (found,) = read.all(regions[name].pk)
        assert [getattr(found, f.attname) for f in Organization._meta.concrete_fields] == [
            getattr(expected, f.attname) for f in Organization._meta.concrete_fields
        ]
        with CaptureQueriesContext(connection) as ctx:
            assert found.community.name == expected.community.name  # loaded with it
        assert len(ctx) == 0 and not found._state.adding and found._state.db == "default"
    assert len(calls) == 1  # built once, run with each value
    assert read.first(10**9) is None


def test_values_come_back_converted_as_the_orm_converts_them(regions):
    account = open_account("commitment", region=regions["town_a"])
    read = Compiled(lambda pk: Account.objects.filter(pk=pk))
    found = read.first(account.pk)
    assert found.created_at == account.created_at and found.created_at.tzinfo is not None
    assert type(found.kind) is type(account.kind)


def test_other_arguments_take_part_in_the_key(regions):
    for kind in ("commitment", "external", "commitment"):
        open_account(kind, region=regions["town_a"])
    read, calls = _counting(
        lambda kind, pk: Account.objects.filter(kind=kind, pk__gte=pk).order_by("pk")
    )
    kinds = sorted(set(Account.objects.values_list("kind", flat=True)))
    for kind in kinds:
        assert [a.pk for a in read.all(kind, 0)] == list(
            Account.objects.filter(kind=kind).order_by("pk").values_list("pk", flat=True)
        )
        read.all(kind, 1)
    assert len(calls) == len(kinds)


def test_a_filter_nothing_can_match_answers_nothing_without_a_statement(db):
    read = Compiled(lambda pk: Organization.objects.none().filter(pk=pk))
    with CaptureQueriesContext(connection) as ctx:
        assert read.all(1) == []
    assert len(ctx) == 0


def test_an_argument_the_filter_does_not_use_as_a_value_is_refused(db):
    from django.core.exceptions import ImproperlyConfigured

    for build in (
        lambda pk: Organization.objects.filter(name=str(pk)),  # not a value of its own
        lambda pk: Organization.objects.filter(pk__in=[pk, pk + 1]),  # pk + 1 would stick
    ):
        with pytest.raises(ImproperlyConfigured):
            Compiled(build).all(1)


@pytest.mark.django_db(transaction=True)
def test_a_locking_read_outside_a_transaction_is_refused(regions):
    read = Compiled(lambda pk: Organization.objects.select_for_update().filter(pk=pk))
    with pytest.raises(transaction.TransactionManagementError):
        read.all(regions["org_a"].pk)
    with transaction.atomic():
        assert read.first(regions["org_a"].pk).pk == regions["org_a"].pk


def test_save_fields_writes_those_fields_and_the_history_row_with_who_and_why(regions):
    user = make_user("cp_officer")
    org = Organization.objects.get(pk=regions["org_a"].pk)
    org.name = "改名后的组织"
    with acting_as(user=user), CaptureQueriesContext(connection) as ctx:
        save_fields(set_reason(org, "更名"), ["name"])
    (update,) = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    assert update.split(" SET ")[1].split(" WHERE ")[0] == '"name" = $1'
    stored = Organization.objects.get(pk=org.pk)
    assert stored.name == "改名后的组织"
    last = stored.history.order_by("-history_id").first()
    assert (last.name, last.history_type, last.history_change_reason, last.history_user_id) == (
        "改名后的组织",
        "~",
        "更名",
        user.pk,
    )


def test_a_field_changed_but_not_saved_makes_the_history_row_refused(regions):
    """The history row is the whole instance; the guard refuses it when the live row says
    otherwise (as for save(update_fields=...)): nothing is written."""
    org = Organization.objects.get(pk=regions["org_a"].pk)
    org.name, org.representative_name = "改名", "not saved"
    with pytest.raises(DatabaseError, match="differs from the row"), transaction.atomic():
        save_fields(set_reason(org, "更名"), ["name"])
    assert Organization.objects.get(pk=org.pk).name == regions["org_a"].name


def test_save_fields_of_a_row_that_is_not_there_is_refused(regions):
    org = Organization.objects.get(pk=regions["org_a"].pk)
    org.pk = 10**9
    with pytest.raises(DatabaseError, match="did not affect any rows"), transaction.atomic():
        save_fields(org, ["name"])


def test_insert_with_ignore_conflicts_inserts_once(db):
    user = make_user("cp_note")
    first = Notification(user=user, key="k", kind="x", message="m")
    assert insert(set_reason(first, "sent")) and first.pk
    again = Notification(user=user, key="k", kind="x", message="other")
    assert insert(again, ignore_conflicts=True) is False and again.pk is None
    assert Notification.objects.filter(user=user).count() == 1
    assert Notification.history.filter(user_id=user.pk).count() == 1


def test_save_together_is_one_statement_with_every_history_row(regions):
    user = make_user("cp_together")
    org = Organization.objects.get(pk=regions["org_a"].pk)
    org.name = "一并写入"
    notes = [Notification(user=user, key=f"t{i}", kind="x", message="m") for i in range(2)]
    with acting_as(user=user), CaptureQueriesContext(connection) as ctx:
        with transaction.atomic():
            save_together(inserts=[notes], updates=[(set_reason(org, "一并"), ["name"])])
    assert sum(q["sql"].startswith("WITH") for q in ctx.captured_queries) == 1
    assert all(n.pk for n in notes) and notes[0].pk != notes[1].pk
    assert sorted(Notification.objects.filter(user=user).values_list("key", flat=True)) == [
        "t0",
        "t1",
    ]
    assert Organization.objects.get(pk=org.pk).name == "一并写入"
    assert org.history.order_by("-history_id").first().history_change_reason == "一并"
    assert Notification.history.filter(user_id=user.pk, history_type="+").count() == 2


def test_save_together_refuses_a_missing_row_and_keeps_nothing(regions):
    user = make_user("cp_missing")
    org = Organization.objects.get(pk=regions["org_a"].pk)
    org.pk = 10**9
    note = Notification(user=user, key="gone", kind="x", message="m")
    with pytest.raises(DatabaseError, match="did not affect any rows"), transaction.atomic():
        save_together(inserts=[[note]], updates=[(org, ["name"])])
    assert not Notification.objects.filter(user=user).exists()


def test_the_statements_are_prepared_by_the_server(regions):
    read = Compiled(lambda pk: Organization.objects.filter(pk=pk, name__isnull=False))
    read.all(regions["org_a"].pk)
    with prepared_cursor(connection) as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%"federations_organization"."name" IS NOT NULL%'],
        )
        assert cursor.fetchone()[0] == 1


def test_decimal_values_come_back_exactly(regions):
    account = open_account("commitment", region=regions["town_a"])
    read = Compiled(lambda pk: Account.objects.select_related("balance").filter(pk=pk))
    found = read.first(account.pk)
    assert isinstance(found.balance.posted, Decimal)
    assert found.balance.posted == Account.objects.get(pk=account.pk).balance.posted
