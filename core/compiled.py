"""Statements built once: the hot paths' reads and writes without the ORM's per-call SQL.

The ORM builds a queryset's SQL anew on every call, about half a millisecond for a read
with joins and a third of one for a `save(update_fields=...)`. A path that runs the same
statements thousands of times (a payment's final approval) builds them once here:

- `Compiled(build)`: `build(*args)` returns a queryset filtered by its integer arguments
  (primary and foreign keys); the ORM compiles it once per connection with stand-in values,
  and each call runs that SQL with the real ones and makes the instances as the queryset
  would (select_related included, the same column converters). Other arguments (strings,
  a user's scope signature) take part in the cache key and are compiled in as they are: the
  key must name everything `build` reads that can change (approvals keys its scope-filtered
  read on `access.selectors.scope_signature`, so a changed role compiles anew);
- `save_fields(instance, fields)`: `instance.save(update_fields=fields)` with the UPDATE
  built once per model and fields: the same pre_save and post_save signals (the history row
  with who and why), the same refusal when no row was updated;
- `insert(instance)`: `instance.save()` of a new row, with the INSERT built once per model
  (`ignore_conflicts`: a row a unique key already holds is left alone);
- `save_together(inserts=..., updates=...)`: several of those in ONE statement on
  PostgreSQL (data-modifying CTEs): one round trip for a decision and what it changes.

On PostgreSQL these statements run on `prepared_cursor()`: prepared once per connection, so
the server parses and plans each of them once, not on every call (Django turns psycopg's
prepared statements off for its own, client-side bound, cursors; they stay off for those).
Behind a transaction-pooling PgBouncer older than 1.21 set `PREPARED_STATEMENTS = False`.
The cursor is Django's wrapper around psycopg's, so the statements are counted and logged
like the ORM's.

Nothing here decides anything: the statements are the ORM's or the plain column lists of
the model, so a reader finds each rule where it was before.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence

import psycopg
from django.conf import settings
from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.models.constants import OnConflict
from django.db.models.query import get_related_populators
from django.db.models.signals import post_save, pre_save

# Stand-ins for the integer arguments while the ORM compiles: in range of a 32-bit key (the
# ORM refuses a value its column cannot hold), and not a constant any query here filters on.
_STAND_IN = 2_147_000_000
_MAX_SHAPES = 1000  # compiled shapes kept per read and connection
_MAX_ARGS = 1000


class _Prepared(psycopg.Cursor):
    """psycopg's server-bound cursor, every statement prepared (once per connection)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)

    def _convert_query(self, query, params=None):
        converted = super()._convert_query(query, params)
        self._query = converted  # what Django's query log reads (psycopg sets it unprepared only)
        return converted


def prepared_cursor(db):
    """A cursor whose statements the server prepares once per connection (PostgreSQL, unless
    PREPARED_STATEMENTS is False); elsewhere Django's own. Use it as a context manager."""
    if db.vendor != "postgresql" or not getattr(settings, "PREPARED_STATEMENTS", True):
        return db.cursor()
    db.ensure_connection()
    raw = db.connection
    if raw.prepare_threshold is None:  # Django's None turns preparing off, prepare=True too
        raw.prepare_threshold = 5  # (its own cursors bind on the client: never prepared)
    return db._prepare_cursor(_Prepared(raw))


class _Entry:
    __slots__ = (
        "sql", "params", "slots", "compiler", "converters", "start", "end", "init", "related",
    )  # fmt: skip

    def __init__(self, query_set, db, stand_ins):
        compiler = query_set.query.get_compiler(using=db.alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # .none(), or a filter nothing can match: no statement
            self.sql = None
            return
        self.sql, self.params, self.compiler = sql, list(params), compiler
        self.slots = [(i, stand_ins.index(p)) for i, p in enumerate(params) if p in stand_ins]
        derived = any(
            isinstance(p, int) and _STAND_IN <= p < _STAND_IN + _MAX_ARGS and p not in stand_ins
            for p in params
        )  # a value worked out from an argument (pk + 1) would stay as it was compiled
        if derived or sorted({k for _i, k in self.slots}) != list(range(len(stand_ins))):
            raise ImproperlyConfigured(
                "Compiled: every integer argument must appear as a plain filter value."
            )
        fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
        self.converters = compiler.get_converters(fields)
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init = [f[0].target.attname for f in select[self.start : self.end]]
        self.related = get_related_populators(klass_info, select, db.alias)


class Compiled:
    """A read whose SQL the ORM builds once per connection (see the module's docstring)."""

    def __init__(self, build: Callable):
        self.build = build
        self._entries: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _entry(self, db, args) -> _Entry:
        ints = [isinstance(a, int) and not isinstance(a, bool) for a in args]
        key = tuple(None if is_int else a for a, is_int in zip(args, ints, strict=True))
        per_db = self._entries.setdefault(db, {})
        entry = per_db.get(key)
        if entry is None:
            if len(per_db) >= _MAX_SHAPES:  # keyed by a user's scope, say: bounded
                per_db.clear()
            stand_ins = [_STAND_IN + i for i in range(sum(ints))]
            counter = iter(stand_ins)
            built = self.build(
                *(next(counter) if i else a for a, i in zip(args, ints, strict=True))
            )
            entry = per_db[key] = _Entry(built, db, stand_ins)
        return entry

    def all(self, *args, using: str = DEFAULT_DB_ALIAS) -> list:
        db = connections[using]
        entry = self._entry(db, args)
        if entry.sql is None:
            return []
        if entry.compiler.query.select_for_update and not db.in_atomic_block:
            raise transaction.TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        ints = [a for a in args if isinstance(a, int) and not isinstance(a, bool)]
        params = list(entry.params)
        for i, k in entry.slots:
            params[i] = ints[k]
        with prepared_cursor(db) as cursor:
            cursor.execute(entry.sql, params)
            rows = cursor.fetchall()
        found = []
        model = entry.compiler.klass_info["model"]
        if entry.converters:  # as the ORM converts its rows (worked out once)
            rows = entry.compiler.apply_converters(rows, entry.converters)
        for row in rows:
            obj = model.from_db(using, entry.init, row[entry.start : entry.end])
            for populator in entry.related:
                populator.populate(row, obj)
            found.append(obj)
        return found

    def first(self, *args, using: str = DEFAULT_DB_ALIAS):
        found = self.all(*args, using=using)
        return found[0] if found else None


# ------------------------------------------------------------------------------- writes

_UPDATES: dict = {}
_INSERTS: dict = {}


def _check_plain(model) -> None:
    meta = model._meta
    if meta.parents or meta.proxy:
        raise ImproperlyConfigured(f"{meta.label}: only plain models (no parents, no proxy).")


def _update_statement(model, names: tuple[str, ...], db) -> tuple[str, list]:
    key = (model, names, db.vendor)
    found = _UPDATES.get(key)
    if found is None:
        _check_plain(model)
        meta, qn = model._meta, db.ops.quote_name
        fields = [meta.get_field(n) for n in names]
        if any(not f.concrete or f.primary_key for f in fields):
            raise ImproperlyConfigured(f"{meta.label}: update concrete, non-key fields only.")
        sets = ", ".join(f"{qn(f.column)} = %s" for f in fields)
        sql = f"UPDATE {qn(meta.db_table)} SET {sets} WHERE {qn(meta.pk.column)} = %s"
        found = _UPDATES[key] = (sql, fields)
    return found


def save_fields(instance, fields: Sequence[str], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """`instance.save(update_fields=fields)`, its UPDATE built once (module docstring)."""
    model, db = type(instance), connections[using]
    sql, concrete = _update_statement(model, tuple(fields), db)
    update_fields = frozenset(fields)
    with transaction.mark_for_rollback_on_error(using):
        pre_save.send(sender=model, instance=instance, raw=False, using=using,
                      update_fields=update_fields)  # fmt: skip
        values = [f.get_db_prep_save(f.pre_save(instance, False), connection=db) for f in concrete]
        with prepared_cursor(db) as cursor:
            cursor.execute(sql, [*values, instance.pk])
            if cursor.rowcount != 1:
                raise DatabaseError("Save with update_fields did not affect any rows.")
        instance._state.adding, instance._state.db = False, using
        post_save.send(sender=model, instance=instance, created=False,
                       update_fields=update_fields, raw=False, using=using)  # fmt: skip


def _insert_statement(model, db, ignore_conflicts: bool = False) -> tuple[str, list, object]:
    key = (model, db.vendor, ignore_conflicts)
    found = _INSERTS.get(key)
    if found is None:
        _check_plain(model)
        meta, qn, ops = model._meta, db.ops.quote_name, db.ops
        fields = [f for f in meta.concrete_fields if not f.primary_key or not f.db_returning]
        if not db.features.can_return_columns_from_insert or not meta.pk.db_returning:
            raise ImproperlyConfigured(f"{meta.label}: insert() needs INSERT ... RETURNING.")
        conflict = OnConflict.IGNORE if ignore_conflicts else None
        suffix = ops.on_conflict_suffix_sql(fields, conflict, None, None) if conflict else ""
        sql = (
            f"{ops.insert_statement(on_conflict=conflict)} {qn(meta.db_table)} "
            f"({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}){(' ' + suffix) if suffix else ''} "
            f"RETURNING {qn(meta.pk.column)}"
        )
        found = _INSERTS[key] = (sql, fields, meta.pk)
    return found


def insert(instance, *, ignore_conflicts: bool = False, using: str = DEFAULT_DB_ALIAS) -> bool:
    """`instance.save()` of a new row, its INSERT built once (module docstring). With
    `ignore_conflicts` a row a unique key already holds is not inserted (no error, no
    post_save): whether it was inserted."""
    model, db = type(instance), connections[using]
    sql, fields, pk = _insert_statement(model, db, ignore_conflicts)
    with transaction.mark_for_rollback_on_error(using):
        pre_save.send(sender=model, instance=instance, raw=False, using=using,
                      update_fields=None)  # fmt: skip
        values = [f.get_db_prep_save(f.pre_save(instance, True), connection=db) for f in fields]
        with prepared_cursor(db) as cursor:
            cursor.execute(sql, values)
            row = cursor.fetchone()
        if row is None:
            return False
        value = row[0]
        for converter in pk.get_db_converters(db):
            value = converter(value, pk, db)
        setattr(instance, pk.attname, value)
        instance._state.adding, instance._state.db = False, using
        post_save.send(sender=model, instance=instance, created=True, update_fields=None,
                       raw=False, using=using)  # fmt: skip
    return True


def save_together(
    *, inserts: Sequence[Sequence] = (), updates: Sequence[tuple] = (), using=DEFAULT_DB_ALIAS
) -> None:
    """New rows (`inserts`: lists of new instances, one model each) and changed ones
    (`updates`: (instance, fields) pairs) in ONE statement on PostgreSQL (data-modifying
    CTEs, one round trip), each with the signals save() would send: pre_save for every row
    in order, the statement, then post_save for every row (the history rows with who and
    why). The rows must be distinct: one statement sees one snapshot. Elsewhere (SQLite) the
    same writes one by one. Refuses like save_fields when an updated row is not there."""
    db = connections[using]
    groups = [list(objs) for objs in inserts if objs]
    if db.vendor != "postgresql":
        for objs in groups:
            for obj in objs:
                insert(obj, using=using)
        for instance, fields in updates:
            save_fields(instance, fields, using=using)
        return
    with transaction.mark_for_rollback_on_error(using):
        for objs in groups:
            for obj in objs:
                pre_save.send(sender=type(obj), instance=obj, raw=False, using=using,
                              update_fields=None)  # fmt: skip
        for instance, fields in updates:
            pre_save.send(sender=type(instance), instance=instance, raw=False, using=using,
                          update_fields=frozenset(fields))  # fmt: skip
        parts, params, keys = [], [], []
        for k, objs in enumerate(groups):
            sql, fields, pk = _insert_statement(type(objs[0]), db)
            head, values_part = sql.split(" VALUES ", 1)
            row_sql, returning = values_part.split(" RETURNING ", 1)
            parts.append(
                f"i{k} AS ({head} VALUES {', '.join([row_sql] * len(objs))} "
                f"RETURNING {returning} AS pk)"
            )
            for obj in objs:
                params += [f.get_db_prep_save(f.pre_save(obj, True), connection=db) for f in fields]
            keys.append(f"ARRAY(SELECT pk FROM i{k})")
        for j, (instance, fields) in enumerate(updates):
            sql, concrete = _update_statement(type(instance), tuple(fields), db)
            parts.append(f"u{j} AS ({sql} RETURNING 1)")
            params += [f.get_db_prep_save(f.pre_save(instance, False), connection=db)
                       for f in concrete]  # fmt: skip
            params.append(instance.pk)
            keys.append(f"(SELECT count(*) FROM u{j})")
        with prepared_cursor(db) as cursor:
            cursor.execute(f"WITH {', '.join(parts)} SELECT {', '.join(keys)}", params)
            answer = cursor.fetchone()
        for objs, found in zip(groups, answer, strict=False):
            pk = objs[0]._meta.pk
            for obj, value in zip(objs, found, strict=True):
                for converter in pk.get_db_converters(db):
                    value = converter(value, pk, db)
                setattr(obj, pk.attname, value)
                obj._state.adding, obj._state.db = False, using
        if any(count != 1 for count in answer[len(groups) :]):
            raise DatabaseError("Save with update_fields did not affect any rows.")
        for objs in groups:
            for obj in objs:
                post_save.send(sender=type(obj), instance=obj, created=True, update_fields=None,
                               raw=False, using=using)  # fmt: skip
        for instance, fields in updates:
            instance._state.adding, instance._state.db = False, using
            post_save.send(sender=type(instance), instance=instance, created=False,
                           update_fields=frozenset(fields), raw=False, using=using)  # fmt: skip
