"""The workbench's PostgreSQL objects: the completeness backstop and the history indexes.

- completeness backstop (`audit_capture`): every audited table records each INSERT,
  UPDATE and DELETE into audit_changecapture, whoever makes it (Django or raw SQL). It is
  a trigger family of core's installer (core/triggers.py: the same idempotent install
  after every `migrate`, the same check that it exists and is enabled), registered from
  AuditConfig.ready;
- indexes on every historical table for the history API's filters (object versions, one
  user's changes by time), created after every `migrate`.

The append-only triggers on history and insert-only tables are core's (core/triggers.py).
On any database but PostgreSQL nothing is installed (the SQLite demo).
"""

from __future__ import annotations

import hashlib

from django.db import connection as default_connection

from core import triggers

from . import registry

CAPTURE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION audit_capture_change() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    ignored text[] := COALESCE(NULLIF(TG_ARGV[1], ''), '{}')::text[];
    new_row jsonb;
    old_row jsonb;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        new_row := to_jsonb(NEW);
        old_row := to_jsonb(OLD);
        IF (new_row - ignored) = (old_row - ignored) THEN
            RETURN NULL;
        END IF;
        INSERT INTO audit_changecapture
            (table_name, operation, row_pk, txid, captured_at, db_user, row_data)
        VALUES (TG_TABLE_NAME, 'U', new_row ->> TG_ARGV[0], txid_current(),
                clock_timestamp(), current_user, new_row);
    ELSIF TG_OP = 'INSERT' THEN
        new_row := to_jsonb(NEW);
        INSERT INTO audit_changecapture
            (table_name, operation, row_pk, txid, captured_at, db_user, row_data)
        VALUES (TG_TABLE_NAME, 'I', new_row ->> TG_ARGV[0], txid_current(),
                clock_timestamp(), current_user, new_row);
    ELSE
        old_row := to_jsonb(OLD);
        INSERT INTO audit_changecapture
            (table_name, operation, row_pk, txid, captured_at, db_user, row_data)
        VALUES (TG_TABLE_NAME, 'D', old_row ->> TG_ARGV[0], txid_current(),
                clock_timestamp(), current_user, old_row);
    END IF;
    RETURN NULL;
END
$fn$;
"""

CAPTURE = "audit_capture"
CAPTURE_TABLE = "audit_changecapture"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _index_name(table: str, suffix: str) -> str:
    return f"audit_{hashlib.md5(table.encode()).hexdigest()[:12]}_{suffix}"


def capture_triggers(existing: set[str]) -> list[triggers.Trigger]:
    """The backstop trigger on every audited table (once the capture table exists)."""
    if CAPTURE_TABLE not in existing:
        return []
    wanted = []
    for model in registry.audited_models():
        ignored = "{" + ",".join(registry.backstop_ignored_columns(model)) + "}"
        wanted.append(
            triggers.Trigger(
                model._meta.db_table, CAPTURE, "AFTER", ("INSERT", "UPDATE", "DELETE"), "ROW",
                "audit_capture_change", (model._meta.pk.column, ignored),
            )
        )  # fmt: skip
    return wanted


CAPTURE_FAMILY = triggers.Family("audit_capture", (CAPTURE_FUNCTION,), capture_triggers)


def register() -> None:
    triggers.register_family(CAPTURE_FAMILY)


def wanted_indexes() -> dict[str, tuple[str, str]]:
    """{index name: CREATE INDEX} on every historical table, for the history API."""
    wanted = {}
    for hist in registry.timeline_models():
        table = hist._meta.db_table
        obj_col = hist._meta.get_field(hist.instance_type._meta.pk.name).column
        pk_col = hist._meta.pk.column
        specs = {
            "obj": (obj_col, pk_col),
            "user": ("history_user_id", "history_date"),
            "date": ("history_date", pk_col),
        }
        for suffix, cols in specs.items():
            if suffix == "user" and not any(
                f.column == "history_user_id" for f in hist._meta.concrete_fields
            ):
                continue
            name = _index_name(table, suffix)
            wanted[name] = (
                table,
                f"CREATE INDEX IF NOT EXISTS {name} ON {_q(table)} "
                f"({', '.join(_q(c) for c in cols)})",
            )
    return wanted


def install(connection=None, *, verbosity: int = 0) -> dict:
    """Install every trigger family (core's installer, this one included) and the history
    indexes. Returns what it changed."""
    connection = connection or default_connection
    if connection.vendor != "postgresql":
        return {"skipped": connection.vendor}
    register()
    changed = triggers.install(connection, verbosity=verbosity)
    install_indexes(connection)
    return changed


def install_indexes(connection=None) -> None:
    connection = connection or default_connection
    if connection.vendor != "postgresql":
        return
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for table, statement in wanted_indexes().values():
            if table in existing:
                cursor.execute(statement)
