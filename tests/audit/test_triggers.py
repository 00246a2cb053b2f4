"""Append-only storage: PostgreSQL refuses UPDATE, DELETE and TRUNCATE on every
historical table and insert-only table (core's one trigger family); every audited table
carries the backstop (audit's family, installed by core's installer)."""

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from audit import db as audit_db
from audit import registry
from core import triggers
from core.audited import set_reason


def _refused(sql: str, params=None) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except IntegrityError as exc:
        assert "append-only" in str(exc)
        return True
    return False


def test_walk_finds_tables_of_every_app():
    tables = {m._meta.db_table for m in registry.historical_models()}
    assert {"federations_historicalregion", "access_historicaluser"} <= tables
    audited = {m._meta.label for m in registry.audited_models()}
    assert {"federations.Region", "access.User", "core.Job"} <= audited


@pytest.mark.django_db
def test_every_historical_and_audited_table_has_its_triggers():
    installed = triggers.installed_triggers(connection)
    tables = set(connection.introspection.table_names())
    # A model whose migration is still being written has no table yet; every other counts.
    assert {"federations_historicalregion", "access_historicaluser"} <= tables
    for model in registry.historical_models():
        if model._meta.db_table not in tables:
            continue
        names = installed.get(model._meta.db_table, {})
        assert {triggers.APPEND_ONLY_ROW, triggers.APPEND_ONLY_TRUNCATE} <= set(names), model
    for model in registry.audited_models():
        if model._meta.db_table not in tables:
            continue
        assert audit_db.CAPTURE in installed.get(model._meta.db_table, {}), model
    for model in registry.append_only_models():
        if model._meta.db_table not in tables:
            continue
        assert triggers.APPEND_ONLY_ROW in installed.get(model._meta.db_table, {}), model
    assert triggers.missing(connection) == []
    assert triggers.problems(connection) == []


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
@pytest.mark.django_db
def test_installer_is_idempotent():
    assert triggers.install(connection) == {"created": [], "enabled": []}
    assert audit_db.install(connection) == {"created": [], "enabled": []}


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
@pytest.mark.django_db
def test_installer_repairs_a_dropped_or_disabled_trigger():
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("DROP TRIGGER core_append_only ON federations_historicalregion")
        cursor.execute("ALTER TABLE ledger_transfer DISABLE TRIGGER core_append_only")
    assert {"trigger": "federations_historicalregion.core_append_only", "kind": "missing"} in (
        triggers.problems(connection)
    )
    assert {"trigger": "ledger_transfer.core_append_only", "kind": "disabled"} in (
        triggers.problems(connection)
    )
    changed = triggers.install(connection)
    assert changed == {
        "created": ["federations_historicalregion.core_append_only"],
        "enabled": ["ledger_transfer.core_append_only"],
    }
    assert triggers.problems(connection) == []


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
@pytest.mark.django_db
def test_every_append_only_table_refuses_truncate():
    tables = set(connection.introspection.table_names())
    for model in registry.append_only_models():
        if model._meta.db_table not in tables:
            continue
        table = connection.ops.quote_name(model._meta.db_table)
        assert _refused(f"TRUNCATE {table} CASCADE"), model


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
def test_every_historical_row_refuses_update_and_delete(regions, users):
    region = regions["town_a"]
    region.name = "改名"
    set_reason(region, "for the test").save()
    checked = 0
    tables = set(connection.introspection.table_names())
    for model in registry.append_only_models():
        if model._meta.db_table not in tables:
            continue
        pk = model._default_manager.order_by().values_list("pk", flat=True).first()
        if pk is None:
            continue
        table = connection.ops.quote_name(model._meta.db_table)
        column = connection.ops.quote_name(model._meta.pk.column)
        assert _refused(f"UPDATE {table} SET {column} = {column} WHERE {column} = %s", [pk])
        assert _refused(f"DELETE FROM {table} WHERE {column} = %s", [pk])
        checked += 1
    assert checked >= 4  # regions, organizations, federations, users, role assignments
    assert region.history.count() == 2


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
def test_orm_delete_of_a_historical_row_is_refused(regions):
    record = regions["city"].history.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        record.delete()


@pytest.mark.owner_role  # tampers as the owner (docs/database-roles.md)
def test_bypass_needs_a_superuser(regions):
    """`audit.bypass` (for migrations and flush) lets only superusers through."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE ROLE audit_test_plain NOSUPERUSER")
        cursor.execute("GRANT ALL ON federations_historicalregion TO audit_test_plain")
        cursor.execute("SET LOCAL ROLE audit_test_plain")
        cursor.execute("SET LOCAL audit.bypass = 'on'")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute("DELETE FROM federations_historicalregion")
        cursor.execute("RESET ROLE")
        transaction.set_rollback(True)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL audit.bypass = 'on'")
        cursor.execute("DELETE FROM federations_historicalregion WHERE history_id < 0")


INSERT_ONLY = {
    "ledger_transfer": "id",
    "core_chainseal": "seq",
    "core_chaincolumnset": "id",
    "core_verificationrun": "id",
}


def test_ledger_and_chain_tables_refuse_changes(regions):
    """Transfers, chain links and verification runs: the same trigger family as history."""
    factories = pytest.importorskip("tests.ledger.factories")
    from ledger.verification import verify_ledger

    factories.funded_source("10.00", region=regions["town_a"])
    verify_ledger()
    for table, column in INSERT_ONLY.items():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT min({column}) FROM {table}")
            pk = cursor.fetchone()[0]
        assert pk is not None, table
        for sql in (
            f"UPDATE {table} SET {column} = {column} WHERE {column} = %s",
            f"DELETE FROM {table} WHERE {column} = %s",
        ):
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
                c.execute(sql, [pk])
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
            c.execute(f"TRUNCATE {table} CASCADE")
