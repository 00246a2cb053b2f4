"""The one append-only trigger family, and the installer every trigger family uses.

A table is append-only when its model says so, or when it is a historical table:

    class Transfer(models.Model):
        audit_append_only = True                      # refuse UPDATE, DELETE, TRUNCATE
        audit_append_only_except = OneTimeChange(     # ...but for this one declared change
            column="state", source="pending", targets=("posted", "voided"),
            fills=("resolved_at", "resolved_by_id", "resolution_key"))

    class Balance(models.Model):
        audit_never_deleted = True                    # rows change, are never deleted

PostgreSQL refuses the rest (`core_append_only()`, raising restrict_violation with
"append-only" in the message). A one-time change lets a row change once: `column` from
`source` to one of `targets`, the `fills` columns from NULL to a value, nothing else.

`install()` creates or refreshes the functions and triggers of every family (this one, and
those other apps register: audit's completeness backstop) on every table that exists. It
runs after every `migrate` (core's post_migrate), so tables later migrations add are
covered. It is idempotent: functions are CREATE OR REPLACE; a trigger is dropped and created
again only when missing or different, and enabled again when someone disabled it. On any
database but PostgreSQL it does nothing (the SQLite demo). Every trigger is enabled ALWAYS, so a
session with `session_replication_role = replica` does not pass it by either. `problems()`
names every wanted trigger that is missing or not enabled so; verification reports them.

A superuser session that sets `audit.bypass = on` passes: schema migrations (which may
backfill a historical column) and the test suite's `flush`. A superuser could disable the
triggers anyway; verification then names the disabled trigger, and the hash chain the rows
such a session changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import connection as default_connection

from . import audited

BYPASS = "audit.bypass"

APPEND_ONLY_FUNCTION = r"""
CREATE OR REPLACE FUNCTION core_append_only() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    rule jsonb;
    old_row jsonb;
    new_row jsonb;
    fills text[];
BEGIN
    IF current_setting('audit.bypass', true) = 'on'
       AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        IF TG_LEVEL = 'ROW' THEN
            IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
            RETURN NEW;
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND TG_NARGS > 0 AND TG_ARGV[0] <> '' THEN
        -- the one change the table declares (core.triggers.OneTimeChange)
        rule := TG_ARGV[0]::jsonb;
        old_row := to_jsonb(OLD);
        new_row := to_jsonb(NEW);
        fills := ARRAY(SELECT jsonb_array_elements_text(rule -> 'fills'));
        IF old_row ->> (rule ->> 'column') = rule ->> 'source'
           AND (rule -> 'targets') ? (new_row ->> (rule ->> 'column'))
           AND NOT EXISTS (SELECT 1 FROM unnest(fills) f WHERE old_row ->> f IS NOT NULL)
           AND (old_row - fills - (rule ->> 'column')) = (new_row - fills - (rule ->> 'column'))
        THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION
            'append-only: UPDATE on "%" refused: a row changes once, its % from % to %, only',
            TG_TABLE_NAME, rule ->> 'column', rule ->> 'source', rule -> 'targets'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RAISE EXCEPTION 'append-only: % on "%" refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation',
              HINT = 'History, ledger and chain rows never change; record a new row instead.';
END
$fn$;
"""

APPEND_ONLY_ROW = "core_append_only"
APPEND_ONLY_TRUNCATE = "core_append_only_truncate"
NEVER_DELETED_ROW = "core_never_deleted"


@dataclass(frozen=True)
class OneTimeChange:
    """The one change an append-only table allows: `column` from `source` to a target."""

    column: str
    source: str
    targets: tuple[str, ...]
    fills: tuple[str, ...] = ()  # columns that go from NULL to a value with it

    def as_argument(self) -> str:
        return json.dumps(
            {
                "column": self.column,
                "source": self.source,
                "targets": list(self.targets),
                "fills": list(self.fills),
            },
            sort_keys=True,
            separators=(",", ":"),
        )


# tgtype bits (PostgreSQL's pg_trigger.h)
_ROW, _BEFORE = 1, 2
_EVENT_BITS = {"INSERT": 4, "DELETE": 8, "UPDATE": 16, "TRUNCATE": 32}


@dataclass(frozen=True)
class Trigger:
    table: str
    name: str
    timing: str  # BEFORE or AFTER
    events: tuple[str, ...]  # INSERT, UPDATE, DELETE, TRUNCATE
    level: str  # ROW or STATEMENT
    function: str
    args: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.table}.{self.name}"

    def statement(self) -> str:
        args = ", ".join(_lit(a) for a in self.args)
        return (
            f"CREATE TRIGGER {_q(self.name)} {self.timing} {' OR '.join(self.events)} "
            f"ON {_q(self.table)} FOR EACH {self.level} EXECUTE FUNCTION {self.function}({args})"
        )

    def always(self) -> str:
        """Fire in every session, `session_replication_role = replica` included."""
        return f"ALTER TABLE {_q(self.table)} ENABLE ALWAYS TRIGGER {_q(self.name)}"

    def fingerprint(self) -> tuple:
        tgtype = (_ROW if self.level == "ROW" else 0) | (_BEFORE if self.timing == "BEFORE" else 0)
        for event in self.events:
            tgtype |= _EVENT_BITS[event]
        return (self.function, tgtype, self.args)


@dataclass(frozen=True)
class Family:
    """A kind of trigger some app wants on some tables (registered from AppConfig.ready)."""

    name: str
    functions: tuple[str, ...]  # CREATE OR REPLACE FUNCTION statements
    wanted: Callable[[set[str]], list[Trigger]]  # (tables that exist) -> triggers
    # (tables that exist, schema) -> per-table CREATE OR REPLACE FUNCTION statements, run
    # after `functions` and before the triggers
    table_functions: Callable[[set[str], str], list[str]] = lambda existing, schema: []


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# ---------------------------------------------------------------- the append-only family


def append_only_models() -> list:
    """Every historical model and every model that declares itself insert-only."""
    found = list(audited.historical_models())
    for model in apps.get_models():
        if model not in found and getattr(model, "audit_append_only", False):
            found.append(model)
    return sorted(found, key=lambda m: m._meta.db_table)


def never_deleted_models() -> list:
    return sorted(
        (m for m in apps.get_models() if getattr(m, "audit_never_deleted", False)),
        key=lambda m: m._meta.db_table,
    )


def _append_only_triggers(existing: set[str]) -> list[Trigger]:
    wanted = []
    for model in append_only_models():
        table = model._meta.db_table
        rule = getattr(model, "audit_append_only_except", None)
        args = (rule.as_argument(),) if rule else ()
        wanted += [
            Trigger(
                table, APPEND_ONLY_ROW, "BEFORE", ("UPDATE", "DELETE"), "ROW",
                "core_append_only", args,
            ),
            Trigger(
                table, APPEND_ONLY_TRUNCATE, "BEFORE", ("TRUNCATE",), "STATEMENT",
                "core_append_only",
            ),
        ]  # fmt: skip
    for model in never_deleted_models():
        table = model._meta.db_table
        wanted += [
            Trigger(table, NEVER_DELETED_ROW, "BEFORE", ("DELETE",), "ROW", "core_append_only"),
            Trigger(
                table, APPEND_ONLY_TRUNCATE, "BEFORE", ("TRUNCATE",), "STATEMENT",
                "core_append_only",
            ),
        ]  # fmt: skip
    return wanted


APPEND_ONLY = Family("append_only", (APPEND_ONLY_FUNCTION,), _append_only_triggers)
_families: dict[str, Family] = {APPEND_ONLY.name: APPEND_ONLY}


def register_family(family: Family) -> None:
    _families[family.name] = family


def families() -> list[Family]:
    return list(_families.values())


# ---------------------------------------------------------------- installer


def wanted_triggers(connection=None) -> list[Trigger]:
    """Every trigger of every family, on the tables that exist."""
    connection = connection or default_connection
    existing = set(connection.introspection.table_names())
    wanted = []
    for family in families():
        wanted += [t for t in family.wanted(existing) if t.table in existing]
    return wanted


def installed_triggers(connection=None) -> dict[str, dict[str, tuple[tuple, bool]]]:
    """{table: {trigger: (fingerprint, enabled always)}} for the user triggers of this schema."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, t.tgname, p.proname, t.tgtype, t.tgnargs, t.tgargs,
                   t.tgenabled = 'A'
            FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT t.tgisinternal AND n.nspname = current_schema()
            """
        )
        found: dict[str, dict[str, tuple[tuple, bool]]] = {}
        for table, name, function, tgtype, nargs, raw, enabled in cursor.fetchall():
            args = tuple(a.decode() for a in bytes(raw).split(b"\x00")[:nargs])
            found.setdefault(table, {})[name] = ((function, tgtype, args), enabled)
    return found


def install(connection=None, *, verbosity: int = 0) -> dict:
    """Create or refresh every family's functions and triggers. Returns what it changed."""
    connection = connection or default_connection
    if connection.vendor != "postgresql":
        return {"skipped": connection.vendor}
    wanted = wanted_triggers(connection)
    installed = installed_triggers(connection)
    existing = set(connection.introspection.table_names())
    created, enabled = [], []
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        for family in families():
            for function in family.functions:
                cursor.execute(function)
        for family in families():
            for function in family.table_functions(existing, schema):
                cursor.execute(function)
        for trigger in wanted:
            have = installed.get(trigger.table, {}).get(trigger.name)
            if have and have[0] == trigger.fingerprint():
                if not have[1]:
                    cursor.execute(trigger.always())
                    enabled.append(trigger.key)
                continue
            cursor.execute(f"DROP TRIGGER IF EXISTS {_q(trigger.name)} ON {_q(trigger.table)}")
            cursor.execute(trigger.statement())
            cursor.execute(trigger.always())
            created.append(trigger.key)
    if verbosity and (created or enabled):
        print(f"triggers: {len(created)} installed, {len(enabled)} enabled again")
    return {"created": created, "enabled": enabled}


def problems(connection=None) -> list[dict]:
    """Every wanted trigger that is missing, different or disabled (tables that exist)."""
    connection = connection or default_connection
    if connection.vendor != "postgresql":
        return []
    installed = installed_triggers(connection)
    found = []
    for trigger in wanted_triggers(connection):
        have = installed.get(trigger.table, {}).get(trigger.name)
        if have is None:
            found.append({"trigger": trigger.key, "kind": "missing"})
        elif have[0] != trigger.fingerprint():
            found.append({"trigger": trigger.key, "kind": "different"})
        elif not have[1]:
            found.append({"trigger": trigger.key, "kind": "disabled"})
    return found


def missing(connection=None) -> list[str]:
    """table.trigger for every wanted trigger that is absent."""
    return [p["trigger"] for p in problems(connection) if p["kind"] == "missing"]


def set_bypass(connection, on: bool) -> None:
    """Session switch for superuser maintenance (migrations, test flush)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if on:
            cursor.execute(f"SET {BYPASS} = 'on'")
        else:
            cursor.execute(f"RESET {BYPASS}")
