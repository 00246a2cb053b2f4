"""Only the history mechanism writes history, and history tells the truth about the row.

Two pieces, both derived from the registered historical models (every simple-history model,
whichever app declares it, present or future), installed by core's trigger installer after
every `migrate` (core/triggers.py) and checked by every verification like the other
trigger families:

- the guard trigger `core_history_guard` (BEFORE INSERT on every historical table, each
  calling its table's own function `core_history_guard_<tag>`, static SQL): a history row
  is refused unless it matches the live row it describes: for a creation or a
  change (`+`, `~`) the live row exists and every column both tables share (but those the
  model declares as changing without history, `audit_backstop_ignored_fields`) is equal; for
  a deletion (`-`) the live row is gone. A raw UPDATE followed by a forged history row that
  says something else is refused, whoever inserts it;
- the writer `core_history_write(table, pk column, row)`: a SECURITY DEFINER function owned
  by the owner (migration) role, the one way the application's limited role can add a
  history row (core/roles.py grants it SELECT only on history tables). It writes only into
  tables that carry an enabled guard trigger, so it cannot be used to write anywhere else.
  Every historical model's save goes through it on PostgreSQL (`HistoricalActorFields`,
  core/audited.py). Its sibling `core_history_write_many(tables, pk columns, rows)` writes
  several rows (of several tables) in one call, each through the same guard and its table's
  own insert function (`core_history_insert_<tag>`): the rows of a
  `batched()` block (a whole approval decision's history in one round trip), a bulk insert of
  history rows (simple-history's bulk_history_create) and `core.audited.
  bulk_create_with_history`, so the limited role can do those too.

What this does not prove: who acted and why. The history row's user and reason come from
the application, so a session holding the application's role can still record a true change
in any user's name; docs/database-roles.md says what each role can and cannot forge.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import uuid
from contextlib import contextmanager

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connection, connections
from psycopg import pq
from simple_history.models import HistoricalChanges

from . import triggers

GUARD = "core_history_guard"
WRITER = "core_history_write"

# SECURITY DEFINER: runs as its owner (the role that ran `migrate`). It writes only into a
# table whose guard trigger is there and enabled, named through the catalogue (no search
# path lookup), so it is no way around the guard and no way into any other table.
WRITER_FUNCTION = r"""
CREATE OR REPLACE FUNCTION core_history_write(target regclass, pk_column text, row_data jsonb)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    qualified text;
    cols text;
    new_pk text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t
                   WHERE t.tgrelid = target AND t.tgname = 'core_history_guard'
                     AND t.tgenabled = 'A' AND NOT t.tgisinternal) THEN
        RAISE EXCEPTION 'history: % is not a guarded history table', target
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT format('%I.%I', n.nspname, c.relname) INTO qualified
      FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = target;
    SELECT string_agg(format('%I', k), ', ') INTO cols FROM jsonb_object_keys(row_data) k;
    EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM jsonb_populate_record(NULL::%s, $1) '
                   'RETURNING (%I)::text', qualified, cols, cols, qualified, pk_column)
        INTO new_pk USING row_data;
    RETURN new_pk;
END
$fn$;
"""

# Several history rows in one call (one round trip): `targets[i]` gets the rows of
# `groups[i]` (a JSON array of rows with the same columns), in order, each through the same
# guard as core_history_write. Returns the new rows' primary keys in order.
WRITER_MANY_FUNCTION = r"""
CREATE OR REPLACE FUNCTION core_history_write_many(targets regclass[], pk_columns text[],
                                                   groups jsonb)
RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    n integer := coalesce(array_length(targets, 1), 0);
    inserter regprocedure;
    ids text[];
    result text[] := '{}';
BEGIN
    IF n <> coalesce(array_length(pk_columns, 1), 0) OR jsonb_typeof(groups) <> 'array'
       OR n <> jsonb_array_length(groups) THEN
        RAISE EXCEPTION 'history: one primary key column and one group of rows per table'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR i IN 1 .. n LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t
                       WHERE t.tgrelid = targets[i] AND t.tgname = 'core_history_guard'
                         AND t.tgenabled = 'A' AND NOT t.tgisinternal) THEN
            RAISE EXCEPTION 'history: % is not a guarded history table', targets[i]
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF jsonb_typeof(groups -> (i - 1)) <> 'array'
           OR jsonb_array_length(groups -> (i - 1)) = 0 THEN
            RAISE EXCEPTION 'history: no rows for %', targets[i]
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT to_regprocedure(format('%I.core_history_insert_%s(jsonb)', ns.nspname,
                                      substr(md5(c.relname), 1, 12)))
          INTO inserter
          FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace ns ON ns.oid = c.relnamespace
         WHERE c.oid = targets[i];
        IF inserter IS NULL THEN
            RAISE EXCEPTION 'history: % has no insert function of its own', targets[i]
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- the table's own insert (static SQL, planned once per session), every column
        EXECUTE format('SELECT %s($1)', inserter::regproc) INTO ids USING groups -> (i - 1);
        result := result || ids;
    END LOOP;
    RETURN result;
END
$fn$;
"""

# The writers the application's limited role may execute (core/roles.py grants them).
WRITER_SIGNATURES = (
    "core_history_write(regclass, text, jsonb)",
    "core_history_write_many(regclass[], text[], jsonb)",
)

# The writers run as their owner, so the guard they fire sees the owner as current_user: were
# the owner a superuser, a caller's `audit.bypass = on` (the superuser path of the guard and
# of core_append_only) would let a forged row through. Both hold it off for their whole call
# (as ledger_write does); run after every (re)install, which resets a function's settings.
HARDEN = (
    "DO $do$ BEGIN\n"
    + "".join(f"    ALTER FUNCTION {s} SET audit.bypass = 'off';\n" for s in WRITER_SIGNATURES)
    + "END $do$;"
)


def historical_models() -> list:
    """Every simple-history historical model (core/audited.py has the same walk)."""
    found = [m for m in apps.get_models() if issubclass(m, HistoricalChanges)]
    return sorted(found, key=lambda m: m._meta.db_table)


def _ignored_columns(model) -> set[str]:
    names = getattr(model, "audit_backstop_ignored_fields", None) or []
    return {model._meta.get_field(name).column for name in names}


def _tag(table: str) -> str:
    """The suffix of a history table's own functions (the writer finds them by it)."""
    return hashlib.md5(table.encode()).hexdigest()[:12]


def _shape(hist):
    """(live model, live pk column, history's object column, compared columns) or None."""
    model = getattr(hist, "instance_type", None)
    if model is None:  # pragma: no cover - simple-history's m2m tables (none here yet)
        return None
    live_columns = {f.column for f in model._meta.concrete_fields}
    hist_columns = {f.column for f in hist._meta.concrete_fields}
    compared = sorted((live_columns & hist_columns) - _ignored_columns(model))
    pk = model._meta.pk
    return model, pk.column, hist._meta.get_field(pk.name).column, compared


def guard_trigger(hist, db) -> triggers.Trigger | None:
    shape = _shape(hist)
    if shape is None:
        return None
    model, pk_column, object_column, compared = shape
    return triggers.Trigger(
        hist._meta.db_table, GUARD, "BEFORE", ("INSERT",), "ROW",
        f"core_history_guard_{_tag(hist._meta.db_table)}",
        (model._meta.db_table, pk_column, object_column, model._meta.pk.db_type(db),
         "{" + ",".join(compared) + "}"),
    )  # fmt: skip


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table_functions(hist, schema: str) -> list[str]:
    """A history table's own guard and insert, in static SQL: PL/pgSQL plans them once per
    session (a generic function would plan a dynamic lookup on every row). The insert is what
    core_history_write_many runs for this table's rows (every column but the row's own key)."""
    model, pk_column, object_column, compared = _shape(hist)
    table, live, tag = hist._meta.db_table, model._meta.db_table, _tag(hist._meta.db_table)
    qualified, live_qualified = f"{_q(schema)}.{_q(table)}", f"{_q(schema)}.{_q(live)}"
    new_row = ", ".join(f"NEW.{_q(c)}" for c in compared)
    live_row = ", ".join(f"live.{_q(c)}" for c in compared)
    names = "ARRAY[" + ", ".join("'" + c + "'" for c in compared) + "]::text[]"
    columns = ", ".join(_q(f.column) for f in hist._meta.concrete_fields if not f.primary_key)
    pk = _q(hist._meta.pk.column)
    guard = f"""
CREATE OR REPLACE FUNCTION {_q(schema)}.core_history_guard_{tag}() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    live {live_qualified}%ROWTYPE;
BEGIN
    IF current_setting('audit.bypass', true) = 'on'
       AND (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        RETURN NEW;
    END IF;
    SELECT * INTO live FROM {live_qualified} l WHERE l.{_q(pk_column)} = NEW.{_q(object_column)};
    IF NEW.history_type = '-' THEN
        IF FOUND THEN
            RAISE EXCEPTION 'history: a deletion of "%" id=% that still exists refused',
                '{live}', NEW.{_q(object_column)} USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'history: a row for "%" id=%, which does not exist, refused',
            '{live}', NEW.{_q(object_column)} USING ERRCODE = 'restrict_violation';
    END IF;
    IF ROW({new_row}) IS DISTINCT FROM ROW({live_row}) THEN
        RAISE EXCEPTION 'history: a row for "%" id=% that differs from the row refused (%)',
            '{live}', NEW.{_q(object_column)},
            (SELECT string_agg(k, ', ') FROM unnest({names}) k
              WHERE to_jsonb(NEW) -> k IS DISTINCT FROM to_jsonb(live) -> k)
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$fn$;
"""
    insert = f"""
CREATE OR REPLACE FUNCTION {_q(schema)}.core_history_insert_{tag}(rows jsonb) RETURNS text[]
LANGUAGE plpgsql AS $fn$
DECLARE
    ids text[];
BEGIN
    WITH added AS (
        INSERT INTO {qualified} ({columns})
        SELECT {columns} FROM jsonb_populate_recordset(NULL::{qualified}, rows)
        RETURNING ({pk})::text AS pk
    ) SELECT array_agg(pk) INTO ids FROM added;
    RETURN ids;
END
$fn$;
REVOKE ALL ON FUNCTION {_q(schema)}.core_history_insert_{tag}(jsonb) FROM PUBLIC;
"""
    return [guard, insert]


def _functions(existing: set[str], schema: str) -> list[str]:
    return [
        statement
        for hist in historical_models()
        if _shape(hist) and {hist._meta.db_table, hist.instance_type._meta.db_table} <= existing
        for statement in _table_functions(hist, schema)
    ]


def _guard_triggers(existing: set[str]) -> list[triggers.Trigger]:
    wanted = []
    for hist in historical_models():
        trigger = guard_trigger(hist, connection)
        if trigger and hist.instance_type._meta.db_table in existing:
            wanted.append(trigger)
    return wanted


FAMILY = triggers.Family(
    "history_guard",
    (WRITER_FUNCTION, WRITER_MANY_FUNCTION, HARDEN),
    _guard_triggers,
    _functions,
)


def register() -> None:
    triggers.register_family(FAMILY)


# ---------------------------------------------------------------- the writer, from Django


def _plain(value):
    """A database-ready value as JSON that jsonb_populate_record reads back exactly."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()  # full precision (DjangoJSONEncoder drops microseconds)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.timedelta):
        return f"{value.total_seconds()} seconds"
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    obj = getattr(value, "obj", None)  # psycopg's Json/Jsonb adapters (JSONField)
    if obj is not None or type(value).__name__ in ("Json", "Jsonb"):
        dumps = getattr(value, "dumps", None) or json.dumps
        return json.loads(dumps(obj))
    return str(value)


def row_of(instance, db, fields) -> dict:
    """The historical row as the writer takes it: {column: JSON value}."""
    row = {}
    for field in fields:
        value = field.get_db_prep_save(field.pre_save(instance, True), db)
        row[field.column] = _plain(value)
    return row


def write(instance, db, fields, returning_fields) -> list[tuple]:
    """Insert one historical row through core_history_write (PostgreSQL), on connection `db`;
    inside `batched()` it is queued and goes in with the others in one call."""
    row = row_of(instance, db, fields)
    batch = getattr(db, "_history_batch", None)
    if batch is not None and db.in_atomic_block:
        batch.add(db, instance, row)
        return []  # the historical row's own id is not needed by anyone before commit
    meta = instance._meta
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT {WRITER}(%s::regclass, %s, %s::jsonb)",
            [db.ops.quote_name(meta.db_table), meta.pk.column, json.dumps(row)],
        )
        new_pk = cursor.fetchone()[0]
    if not returning_fields:
        return []
    return [tuple(f.to_python(new_pk) if f is meta.pk else None for f in returning_fields)]


def write_many(db, rows: list[tuple]) -> list[str]:
    """Insert several historical rows [(historical model, row)] in one call to
    core_history_write_many; the new rows' primary keys (text), in the order given."""
    groups: dict[tuple, list[int]] = {}
    for i, (model, row) in enumerate(rows):
        groups.setdefault((model._meta.db_table, model._meta.pk.column, tuple(row)), []).append(i)
    targets = [db.ops.quote_name(t) for t, _p, _c in groups]
    pk_columns = [p for _t, p, _c in groups]
    payload = [[rows[i][1] for i in indexes] for indexes in groups.values()]
    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT {WRITER}_many(%s::text[]::regclass[], %s::text[], %s::jsonb)",
            [targets, pk_columns, json.dumps(payload)],
        )
        new_pks = cursor.fetchone()[0]
    ordered: list[str] = [""] * len(rows)
    for i, pk in zip((i for ix in groups.values() for i in ix), new_pks, strict=True):
        ordered[i] = pk
    return ordered


# ---------------------------------------------------------------- several rows per call


class _Queued:
    """A queued row's marker among the connection's on-commit callbacks: Django drops it when
    a savepoint around the write rolls back, and then the row is dropped too."""

    __slots__ = ("model", "row")

    def __init__(self, model, row):
        self.model, self.row = model, row

    def __call__(self):  # run at commit: the row went in before (flush)
        pass


class _Batch:
    __slots__ = ("queued", "objects")

    def __init__(self):
        self.queued: list[_Queued] = []
        self.objects: set[tuple[str, object]] = set()  # (live table, pk) with a queued row

    def add(self, db, instance, row) -> None:
        item = _Queued(type(instance), row)
        db.on_commit(item)
        self.queued.append(item)
        live = instance.instance_type._meta
        self.objects.add((live.db_table, getattr(instance, live.pk.attname)))


def _flush(db, batch: _Batch) -> None:
    if not batch.queued:
        return
    mine = {id(item) for item in batch.queued}
    kept = {id(func) for _sids, func, _robust in db.run_on_commit if id(func) in mine}
    rows = [(item.model, item.row) for item in batch.queued if id(item) in kept]
    db.run_on_commit = [entry for entry in db.run_on_commit if id(entry[1]) not in mine]
    batch.queued, batch.objects = [], set()
    if rows:
        write_many(db, rows)


def flush(using: str = DEFAULT_DB_ALIAS) -> None:
    """Write the rows queued so far (for a reader of history inside `batched()`)."""
    db = connections[using]
    batch = getattr(db, "_history_batch", None)
    if batch is not None:
        _flush(db, batch)


def before_change(instance, using) -> None:
    """A row about to change again (or be deleted) whose history row is still queued: write
    the queued rows first, while they still match the live rows (the guard compares)."""
    db = connections[using or DEFAULT_DB_ALIAS]
    batch = getattr(db, "_history_batch", None)
    if batch is None or not batch.objects:
        return
    if (instance._meta.db_table, instance.pk) in batch.objects:
        _flush(db, batch)


@contextmanager
def batched(using: str = DEFAULT_DB_ALIAS):
    """Inside a transaction: the history rows written in this block go in together, in one
    call to core_history_write_many when the block ends (one round trip instead of one per
    row), each still checked by the guard against its live row. The rows are the same as
    one by one; a row changed again inside the block has its queued rows written first, and
    rows of a savepoint that rolled back are dropped with it. Nested blocks join the
    outermost one. Elsewhere than on PostgreSQL, or outside a transaction, rows are written
    one by one as usual."""
    db = connections[using]
    if db.vendor != "postgresql" or getattr(db, "_history_batch", None) is not None:
        yield
        return
    batch = db._history_batch = _Batch()
    try:
        yield
    except BaseException:
        db._history_batch = None
        if batch.queued and not db.needs_rollback and _usable(db):
            _flush(db, batch)  # the caller may catch this and commit: the rows go in
        raise
    db._history_batch = None
    _flush(db, batch)


def _usable(db) -> bool:
    """The transaction is not aborted (an error inside it rolls everything back anyway)."""
    raw = db.connection
    if raw is None:
        return False
    return raw.info.transaction_status != pq.TransactionStatus.INERROR
