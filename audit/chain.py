"""Tamper evidence: a SHA-256 hash chain over every historical row.

Rows are sealed in batches after they commit (the `audit.seal_history` beat task every
few minutes, and before every verification and export), not by a trigger inside each
writing transaction: a chain needs one head, and extending it inside every write would
serialise all writes of the system on one lock. Sealing after commit keeps writes
concurrent; what is not yet sealed is still protected by the append-only triggers, and
the window is the seal interval.

Each seal (audit_historyseal, itself append-only) stores the row's digest and the chain
hash: chain = sha256(previous chain | table | row key | row digest), in seal order. The
row digest is computed by PostgreSQL over the row's columns as JSON (null columns left
out, so a column added later does not change old rows' digests; the column set hashed
is recorded in audit_sealcolumnset). Verification recomputes every digest and the chain
and names the first row that does not match.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from . import registry
from .models import HistorySeal, SealColumnSet

GENESIS = "0" * 64
BATCH = 5000
# Rows committed late (a long transaction) below the highest sealed key are picked up
# when they are at most this many keys behind it.
LATE_WINDOW = 10000


def chain_hash(prev: str, table: str, row_pk: int, digest: str) -> str:
    return hashlib.sha256(f"{prev}|{table}|{row_pk}|{digest}".encode()).hexdigest()


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _columns(model) -> list[str]:
    return sorted(f.column for f in model._meta.concrete_fields)


def _digest_sql(model, sealed_columns: list[str]) -> str:
    """SQL for the row digest of alias h, over the columns sealed (others removed)."""
    extra = [c for c in _columns(model) if c not in set(sealed_columns)]
    remove = ""
    if extra:
        remove = " - ARRAY[" + ", ".join("'" + c.replace("'", "''") + "'" for c in extra) + "]"
    return (
        "encode(sha256(convert_to(jsonb_strip_nulls(to_jsonb(h)"
        + remove
        + ")::text, 'UTF8')), 'hex')"
    )


def _column_set(model) -> SealColumnSet:
    table = model._meta.db_table
    columns = _columns(model)
    digest = hashlib.sha256(f"{table}|{','.join(columns)}".encode()).hexdigest()
    found = SealColumnSet.objects.filter(digest=digest).first()
    if found is None:
        found = SealColumnSet.objects.create(table_name=table, columns=columns, digest=digest)
    return found


def _stable_session(cursor):
    # to_jsonb renders timestamps in the session's time zone: fix it.
    cursor.execute("SET LOCAL TIME ZONE 'UTC'")
    cursor.execute("SET LOCAL extra_float_digits = 1")


@dataclass
class Head:
    seal_id: int | None
    hash: str

    def __str__(self):
        return f"{self.seal_id or 0}:{self.hash}"

    def as_dict(self) -> dict:
        return {"seal_id": self.seal_id, "hash": self.hash}


def head() -> Head:
    last = HistorySeal.objects.order_by("-id").values_list("id", "chain_hash").first()
    if last is None:
        return Head(None, GENESIS)
    return Head(*last)


def seal_pending() -> int:
    """Seal every committed historical row not sealed yet. Returns how many were sealed."""
    if connection.vendor != "postgresql":
        return 0
    tables = set(connection.introspection.table_names())
    sealed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('audit.seal_history'))")
        _stable_session(cursor)
        current = head()
        prev = current.hash
        now = timezone.now()
        for model in registry.historical_models():
            table = model._meta.db_table
            if table not in tables:
                continue
            colset = _column_set(model)
            pk = _q(model._meta.pk.column)
            cursor.execute(
                "SELECT max(row_pk) FROM audit_historyseal WHERE table_name = %s", [table]
            )
            high = cursor.fetchone()[0]
            digest = _digest_sql(model, colset.columns)
            if high is None:
                where, params = "TRUE", []
            else:
                where = (
                    f"(h.{pk} > %s OR (h.{pk} > %s AND NOT EXISTS (SELECT 1 FROM "
                    f"audit_historyseal s WHERE s.table_name = %s AND s.row_pk = h.{pk})))"
                )
                params = [high, high - LATE_WINDOW, table]
            last_pk = None
            while True:
                page_where = where if last_pk is None else f"{where} AND h.{pk} > %s"
                page_params = params if last_pk is None else [*params, last_pk]
                cursor.execute(
                    f"SELECT h.{pk}, {digest} FROM {_q(table)} h WHERE {page_where} "
                    f"ORDER BY h.{pk} LIMIT {BATCH}",
                    page_params,
                )
                rows = cursor.fetchall()
                if not rows:
                    break
                seals = []
                for row_pk, row_digest in rows:
                    prev = chain_hash(prev, table, row_pk, row_digest)
                    seals.append((table, row_pk, colset.pk, row_digest, prev, now))
                _copy_seals(cursor, seals)
                sealed += len(seals)
                last_pk = rows[-1][0]
    return sealed


def _copy_seals(cursor, seals: list[tuple]) -> None:
    """Append seals with COPY (one round trip per batch, no per-row parameters)."""
    raw = getattr(cursor, "cursor", cursor)
    with raw.copy(
        "COPY audit_historyseal (table_name, row_pk, columns_id, row_digest, chain_hash, "
        "sealed_at) FROM STDIN"
    ) as copy:
        for seal in seals:
            copy.write_row(seal)


@dataclass
class ChainResult:
    ok: bool = True
    rows_checked: int = 0
    head: Head | None = None
    problems: list[dict] = field(default_factory=list)

    @property
    def first_bad(self) -> dict | None:
        return self.problems[0] if self.problems else None

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "rows_checked": self.rows_checked,
            "head": self.head.as_dict() if self.head else None,
            "first_bad": self.first_bad,
            "problems": self.problems,
        }


MAX_PROBLEMS = 100


def _describe(model, table: str, row_pk: int, obj_id=None) -> dict:
    instance_type = getattr(model, "instance_type", None)
    return {
        "model": (instance_type or model)._meta.label if model else None,
        "history_model": model._meta.label if model else None,
        "table": table,
        "history_id": row_pk,
        "object_id": obj_id,
    }


def verify_chain(*, expect: str | None = None) -> ChainResult:
    """Recompute every sealed row's digest and the chain; name what does not match.

    `expect` ("seal_id:hash", kept outside the database) must still be in the chain.
    """
    result = ChainResult(head=head())
    if connection.vendor != "postgresql":
        return result
    by_table = {m._meta.db_table: m for m in registry.historical_models()}
    tables = set(connection.introspection.table_names())
    colsets = {c.pk: c.columns for c in SealColumnSet.objects.all()}
    prev = GENESIS
    last_id = 0
    expected_id, expected_hash = _parse_head(expect)
    expect_seen = expected_id is None

    def problem(kind, **info):
        result.ok = False
        if len(result.problems) < MAX_PROBLEMS:
            result.problems.append({"kind": kind, **info})

    with transaction.atomic(), connection.cursor() as cursor:
        _stable_session(cursor)
        while True:
            cursor.execute(
                "SELECT id, table_name, row_pk, columns_id, row_digest, chain_hash "
                "FROM audit_historyseal WHERE id > %s ORDER BY id LIMIT %s",
                [last_id, BATCH],
            )
            seals = cursor.fetchall()
            if not seals:
                break
            recomputed = _recompute(cursor, seals, by_table, tables, colsets)
            for seal_id, table, row_pk, _colset_id, stored_digest, stored_chain in seals:
                model = by_table.get(table)
                actual = recomputed.get((table, row_pk))
                if actual is None:
                    problem("row_missing", seal_id=seal_id, **_describe(model, table, row_pk))
                elif actual[0] != stored_digest:
                    problem(
                        "row_altered",
                        seal_id=seal_id,
                        **_describe(model, table, row_pk, actual[1]),
                    )
                expected = chain_hash(prev, table, row_pk, stored_digest)
                if expected != stored_chain:
                    problem("seal_altered", seal_id=seal_id, **_describe(model, table, row_pk))
                if seal_id == expected_id:
                    expect_seen = True
                    if stored_chain != expected_hash or expected != stored_chain:
                        problem("head_mismatch", seal_id=seal_id, expected=expected_hash)
                prev = stored_chain
                result.rows_checked += 1
            last_id = seals[-1][0]
    if not expect_seen:
        problem("head_missing", seal_id=expected_id, expected=expected_hash)
    return result


def _parse_head(value: str | None) -> tuple[int | None, str | None]:
    if not value:
        return None, None
    seal_id, _sep, digest = value.partition(":")
    return int(seal_id), digest.strip().lower()


def _recompute(cursor, seals, by_table, tables, colsets) -> dict:
    """{(table, row_pk): (digest, object id)} recomputed from the historical tables."""
    groups: dict[tuple[str, int], list[int]] = {}
    for _id, table, row_pk, colset_id, _d, _c in seals:
        groups.setdefault((table, colset_id), []).append(row_pk)
    out = {}
    for (table, colset_id), pks in groups.items():
        model = by_table.get(table)
        if model is None or table not in tables:
            continue
        pk = _q(model._meta.pk.column)
        obj_col = "NULL"
        instance_type = getattr(model, "instance_type", None)
        if registry._has_field(model, "history_date") and instance_type is not None:
            obj_col = "h." + _q(model._meta.get_field(instance_type._meta.pk.name).column)
        cursor.execute(
            f"SELECT h.{pk}, {_digest_sql(model, colsets[colset_id])}, {obj_col} "
            f"FROM {_q(table)} h WHERE h.{pk} = ANY(%s)",
            [pks],
        )
        for row_pk, digest, obj_id in cursor.fetchall():
            out[(table, row_pk)] = (digest, None if obj_id is None else str(obj_id))
    return out
