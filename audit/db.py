"""PostgreSQL triggers and indexes for the audit trail, installed generically.

`install()` walks the apps registry at run time and, for every table that exists:

- append-only (`audit_append_only`, `audit_append_only_truncate`): every historical table
  and every insert-only table refuses UPDATE, DELETE and TRUNCATE;
- completeness backstop (`audit_capture`): every audited table records each INSERT,
  UPDATE and DELETE into audit_changecapture, whoever makes it (Django or raw SQL);
- indexes on every historical table for the history API's filters (object versions,
  one user's changes by time).

It runs from an audit migration and after every `migrate` (post_migrate), so tables
that later migrations add are covered. It is idempotent: functions are CREATE OR
REPLACE, a trigger is dropped and created again only when missing or different. On any
database but PostgreSQL it does nothing (the SQLite demo).

A superuser session that sets `audit.bypass = on` may change historical rows: schema
migrations (which may backfill a column) and the test suite's `flush` do. A superuser
could disable the triggers anyway; the hash chain catches what such a session changes.
"""

from __future__ import annotations

import hashlib

from django.db import connection as default_connection

from . import registry

REFUSE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF current_setting('audit.bypass', true) = 'on'
       AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        IF TG_LEVEL = 'ROW' THEN
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit: % on "%" refused: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation',
              HINT = 'History and ledger rows are never changed; record a new row instead.';
END
$fn$;
"""

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

APPEND_ONLY_ROW = "audit_append_only"
APPEND_ONLY_TRUNCATE = "audit_append_only_truncate"
CAPTURE = "audit_capture"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _index_name(table: str, suffix: str) -> str:
    return f"audit_{hashlib.md5(table.encode()).hexdigest()[:12]}_{suffix}"


def wanted_triggers() -> dict[str, dict[str, str]]:
    """{table: {trigger name: CREATE TRIGGER statement}} for every covered table."""
    wanted: dict[str, dict[str, str]] = {}
    for model in registry.append_only_models():
        table = model._meta.db_table
        wanted.setdefault(table, {})
        wanted[table][APPEND_ONLY_ROW] = (
            f"CREATE TRIGGER {APPEND_ONLY_ROW} BEFORE UPDATE OR DELETE ON {_q(table)} "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
        )
        wanted[table][APPEND_ONLY_TRUNCATE] = (
            f"CREATE TRIGGER {APPEND_ONLY_TRUNCATE} BEFORE TRUNCATE ON {_q(table)} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
        )
    for model in registry.audited_models():
        table = model._meta.db_table
        ignored = "{" + ",".join(registry.backstop_ignored_columns(model)) + "}"
        wanted.setdefault(table, {})[CAPTURE] = (
            f"CREATE TRIGGER {CAPTURE} AFTER INSERT OR UPDATE OR DELETE ON {_q(table)} "
            f"FOR EACH ROW EXECUTE FUNCTION audit_capture_change("
            f"{_lit(model._meta.pk.column)}, {_lit(ignored)})"
        )
    return wanted


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


def installed_triggers(connection) -> dict[str, dict[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, t.tgname,
                   encode(t.tgargs, 'escape') || '/' || t.tgtype::text || '/' || p.proname
            FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT t.tgisinternal AND t.tgname LIKE 'audit\\_%%'
              AND n.nspname = current_schema()
            """
        )
        found: dict[str, dict[str, str]] = {}
        for table, name, definition in cursor.fetchall():
            found.setdefault(table, {})[name] = definition
    return found


def _fingerprint(statement: str) -> str:
    """What identifies an installed trigger: its arguments (the capture trigger's pk column
    and ignored columns). Timing and events are fixed per trigger name."""
    args = statement.rsplit("(", 1)[1].rstrip(")")
    parts = [a.strip().strip("'").replace("''", "'") for a in args.split(", ") if a.strip()]
    return "".join(p + "\\000" for p in parts)


def install(connection=None, *, verbosity: int = 0) -> dict:
    """Create or refresh every audit trigger and index. Returns what it changed."""
    connection = connection or default_connection
    if connection.vendor != "postgresql":
        return {"skipped": connection.vendor}
    existing = set(connection.introspection.table_names())
    if "audit_changecapture" not in existing:
        return {"skipped": "audit tables not migrated yet"}
    installed = installed_triggers(connection)
    created = []
    with connection.cursor() as cursor:
        cursor.execute(REFUSE_FUNCTION)
        cursor.execute(CAPTURE_FUNCTION)
        for table, triggers in sorted(wanted_triggers().items()):
            if table not in existing:
                continue
            have = installed.get(table, {})
            for name, statement in triggers.items():
                if name in have and have[name].split("/", 1)[0] == _fingerprint(statement):
                    continue
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {_q(table)}")
                cursor.execute(statement)
                created.append(f"{table}.{name}")
        for table, statement in wanted_indexes().values():
            if table in existing:
                cursor.execute(statement)
    if verbosity and created:
        print(f"audit: installed {len(created)} triggers")
    return {"created": created}


def missing(connection=None) -> list[str]:
    """table.trigger for every wanted trigger that is absent (tables that exist only)."""
    connection = connection or default_connection
    existing = set(connection.introspection.table_names())
    installed = installed_triggers(connection)
    gaps = []
    for table, triggers in sorted(wanted_triggers().items()):
        if table not in existing:
            continue  # its migration has not run yet; post_migrate will cover it
        for name in triggers:
            if name not in installed.get(table, {}):
                gaps.append(f"{table}.{name}")
    return gaps


def set_bypass(connection, on: bool) -> None:
    """Session switch for superuser maintenance (migrations, test flush)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if on:
            cursor.execute("SET audit.bypass = 'on'")
        else:
            cursor.execute("RESET audit.bypass")
