"""Database roles: the owner migrates, the application runs as a limited role.

The owner role (`DATABASE_OWNER_URL`, the one `manage.py migrate` uses) owns every table,
function and trigger. The application (`DATABASE_URL`) connects as a role that owns nothing
and may only:

- SELECT, INSERT, UPDATE and DELETE the rows of ordinary tables; on a table a model declares
  insert-only or never-deleted, no more than its triggers let through (no UPDATE or DELETE
  of an insert-only table but for its one declared change, no DELETE of a never-deleted one);
- SELECT history tables: a history row goes in only through core_history_write, a SECURITY
  DEFINER function owned by the owner that writes only what matches the live row
  (core/history_guard.py);
- SELECT the tables a model declares written through a function (`audit_written_through =
  "ledger_write(jsonb)"`: the ledger's transfers and balance caches, ledger/writer.py), and
  EXECUTE that function (revoked from PUBLIC): rows go in only through it;
- use the sequences.

It gets no TRUNCATE, no TRIGGER, no REFERENCES, no CREATE in the schema and is never a
superuser, so it cannot run DDL, disable or drop a trigger (only a table's owner can),
set `session_replication_role` or `audit.bypass`'s superuser path. The grants are derived
from the tables that exist and the registered historical models, and applied again after
every `migrate` (core's post_migrate), so tables and history models added later, by any app,
get them without a line of their own. docs/database-roles.md is the operator's guide.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db import transaction
from psycopg import sql as psycopg_sql

from . import history_guard, triggers

READ_ONLY_TABLES = ("django_migrations",)
TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def app_role() -> str:
    """The application's limited role, or "" when the deployment has none (the demo)."""
    return getattr(settings, "DATABASE_APP_ROLE", "") or ""


def history_tables() -> set[str]:
    return {m._meta.db_table for m in history_guard.historical_models()}


def written_through() -> dict[str, str]:
    """{table: function} for every model that declares `audit_written_through`: its rows are
    written only by that SECURITY DEFINER function (the ledger's, ledger/writer.py), so the
    application's role gets SELECT on the table and EXECUTE on the function."""
    return {
        m._meta.db_table: m.audit_written_through
        for m in apps.get_models()
        if getattr(m, "audit_written_through", None)
    }


def writer_functions() -> list[str]:
    """The functions (signatures) the application's role may execute: the history writer and
    every function a model declares it is written through."""
    return sorted({*history_guard.WRITER_SIGNATURES, *written_through().values()})


def table_privileges() -> dict[str, str]:
    """{table: privileges} for every table a model declares guarded: no more than its triggers
    let through (an insert-only table gets no UPDATE or DELETE, a one-time change an UPDATE, a
    never-deleted table no DELETE); history tables SELECT only. Others: TABLE_PRIVILEGES."""
    wanted = {table: "SELECT" for table in READ_ONLY_TABLES}
    for model in triggers.never_deleted_models():
        wanted[model._meta.db_table] = "SELECT, INSERT, UPDATE"
    for model in triggers.append_only_models():
        one_time = getattr(model, "audit_append_only_except", None)
        wanted[model._meta.db_table] = "SELECT, INSERT" + (", UPDATE" if one_time else "")
    for table in history_tables():
        wanted[table] = "SELECT"
    for table in written_through():
        wanted[table] = "SELECT"
    return wanted


@dataclass
class Applied:
    role: str
    created: bool = False
    tables: int = 0
    history_tables: list[str] = field(default_factory=list)


def ensure_role(connection, role: str, password: str | None = None) -> bool:
    """Create the role when missing (LOGIN, nothing else); True when it was created. Safe
    when several processes run it at once."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        exists = cursor.fetchone() is not None
        if not exists:
            cursor.execute(
                f"DO $$ BEGIN CREATE ROLE {_q(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                "NOREPLICATION NOBYPASSRLS; "
                "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            )
        if password:
            literal = psycopg_sql.Literal(password).as_string(connection.connection)
            cursor.execute(f"ALTER ROLE {_q(role)} PASSWORD {literal}")
    return not exists


def grant(connection, role: str) -> Applied:
    """Give `role` exactly the application's privileges on every table of this schema."""
    applied = Applied(role)
    existing = sorted(connection.introspection.table_names())
    history = history_tables()
    privileges = table_privileges()
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_schema()")
        database, schema = cursor.fetchone()
        r = _q(role)
        cursor.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {_q(database)} TO {r}")
        cursor.execute(f"REVOKE CREATE ON SCHEMA {_q(schema)} FROM PUBLIC, {r}")
        cursor.execute(f"GRANT USAGE ON SCHEMA {_q(schema)} TO {r}")
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {_q(schema)} FROM {r}")
        for table in existing:
            granted = privileges.get(table, TABLE_PRIVILEGES)
            cursor.execute(f"GRANT {granted} ON TABLE {_q(table)} TO {r}")
            if table in history:
                applied.history_tables.append(table)
            applied.tables += 1
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {_q(schema)} TO {r}")
        for writer in writer_functions():
            cursor.execute("SELECT to_regprocedure(%s) IS NOT NULL", [writer])
            if cursor.fetchone()[0]:
                cursor.execute(f"REVOKE ALL ON FUNCTION {writer} FROM PUBLIC")
                cursor.execute(f"GRANT EXECUTE ON FUNCTION {writer} TO {r}")
    return applied


def apply(connection, role: str | None = None, *, password: str | None = None) -> Applied | None:
    """Create the application's role when missing and grant it its privileges (PostgreSQL;
    nothing when no role is configured)."""
    role = role or app_role()
    if connection.vendor != "postgresql" or not role:
        return None
    created = ensure_role(connection, role, password)
    applied = grant(connection, role)
    applied.created = created
    return applied


def problems(connection, role: str | None = None) -> list[str]:
    """What the application's role may do that it must not (empty when it is limited)."""
    role = role or app_role()
    if connection.vendor != "postgresql" or not role:
        return []
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication "
            "FROM pg_roles WHERE rolname = %s",
            [role],
        )
        row = cursor.fetchone()
        if row is None:
            return [f"role {role} does not exist"]
        if any(row):
            found.append(
                f"role {role} has superuser, createrole, createdb, bypassrls or replication"
            )
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
            "AND pg_has_role(%s, c.relowner, 'USAGE')",
            [role],
        )
        found += [f"{t}: owned by {role} (it could disable its triggers)" for (t,) in cursor]
        cursor.execute(
            "SELECT c.relname, has_table_privilege(%s, c.oid, 'INSERT'), "
            "has_table_privilege(%s, c.oid, 'UPDATE'), has_table_privilege(%s, c.oid, 'DELETE'), "
            "has_table_privilege(%s, c.oid, 'TRUNCATE'), has_table_privilege(%s, c.oid, 'TRIGGER') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')",
            [role] * 5,
        )
        history = history_tables()
        through = written_through()
        for table, insert, update, delete, truncate, trigger in cursor.fetchall():
            if insert and table in history:
                found.append(f"{table}: {role} may INSERT into a history table")
            if table in through:
                direct = [p for p, ok in (("INSERT", insert), ("UPDATE", update),
                                          ("DELETE", delete)) if ok]  # fmt: skip
                if direct:
                    found.append(
                        f"{table}: {role} may {', '.join(direct)} directly "
                        f"(written only through {through[table]})"
                    )
            if truncate:
                found.append(f"{table}: {role} may TRUNCATE")
            if trigger:
                found.append(f"{table}: {role} may create triggers")
        cursor.execute("SELECT has_schema_privilege(%s, current_schema(), 'CREATE')", [role])
        if cursor.fetchone()[0]:
            found.append(f"{role} may create objects in the schema")
    return found
