"""The one SHA-256 hash chain over every chained table: history rows and ledger transfers.

What is chained. Every simple-history table is, found by itself (one `created` event per
row, over all its columns). Any other table is chained by its owning app from its
AppConfig.ready, naming the events a row goes through and the columns each covers:

    chain.register(Transfer,
        chain.Event("created", columns=IMMUTABLE, extra_columns=("state", "resolved_at"),
                    extra_when="NOT two_phase"),
        chain.Event("resolved", columns=RESOLUTION, due="two_phase AND state <> 'pending'",
                    recent="resolved_at"))

A link is due for (row, event) once the row satisfies `due` (every row, by default); an
event after the first waits for the row's first link.

Sealing. Links are appended in batches after commit (`seal()`: the `core.seal_chain` beat
task every few seconds, and a full pass before every verification and export), under one
advisory lock, never inside the writing transaction: one chain has one head, and extending
it inside every write would serialise all writes of the system on one lock. What is not
sealed yet is still behind the append-only triggers (core/triggers.py). A regular pass is
cheap: it looks only at keys above the highest sealed one (and `lookback` keys below it, or
for a `recent` event the last RECENT_WINDOW), so a row whose transaction committed late is
picked up; the full pass looks at every row.

Each link (core.ChainSeal, insert-only) stores the row's digest and the chain hash:
hash = sha256(previous hash | table | row key | event | row digest), in `seq` order. The
row digest is computed by PostgreSQL over the event's columns as JSON (null columns left
out); the column set hashed is recorded with the link (core.ChainColumnSet), so a column
added later does not change the digests of rows sealed before it existed.

Verification recomputes every digest and the chain, checks that no link is missing and that
an exported head is still in the chain, and names the first row that does not match. The
chain needs PostgreSQL: on any other database (the SQLite demo) nothing is sealed and
verification answers "not checked on this database".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, transaction
from django.utils import timezone

from .audited import historical_models
from .models import ChainColumnSet, ChainSeal

GENESIS = "0" * 64
BATCH = 5000
LOCK = "core.chain"  # pg_advisory_xact_lock(hashtext(LOCK)): one sealer at a time
RECENT_WINDOW = timedelta(hours=6)
MAX_PROBLEMS = 100
SEAL_TABLE = ChainSeal._meta.db_table


@dataclass(frozen=True)
class Event:
    """Something that happens to a row once, and the columns its link covers."""

    name: str = "created"
    columns: tuple[str, ...] | None = None  # None: every column the table has when sealed
    due: str = ""  # SQL over the row's columns: the event has happened ("" = every row)
    # Covered too, only for rows where `extra_when` (SQL) holds: a direct posting is born
    # posted, so its `created` link covers its state; a two-phase one's state has its own.
    extra_columns: tuple[str, ...] = ()
    extra_when: str = ""
    recent: str = ""  # a timestamp column: a regular pass looks at the last RECENT_WINDOW
    lookback: int = 10_000  # otherwise at keys this far below the highest sealed one


@dataclass(frozen=True)
class Chained:
    model: type
    events: tuple[Event, ...]

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def pk_column(self) -> str:
        return self.model._meta.pk.column

    @property
    def instance_type(self):
        """For a historical table, the model whose history it is."""
        return getattr(self.model, "instance_type", None)

    def object_column(self) -> str | None:
        instance = self.instance_type
        if instance is None:
            return None
        try:
            return self.model._meta.get_field(instance._meta.pk.name).column
        except FieldDoesNotExist:  # m2m history: no object key of its own
            return None

    def name_row(self, row_pk, object_id=None) -> str:
        instance = self.instance_type
        if instance is not None:
            return f"{instance._meta.label} history_id={row_pk} object_id={object_id}"
        return f"{self.model._meta.label} id={row_pk}"


HISTORY_EVENTS = (Event("created"),)
_registered: dict[str, Chained] = {}


def register(model, *events: Event) -> None:
    """Chain `model`'s rows (from its app's AppConfig.ready). Events in the order they happen."""
    _registered[model._meta.label] = Chained(model, tuple(events) or (Event("created"),))


def chained() -> list[Chained]:
    """Every chained table: every historical table, and the registered ones, by table name."""
    found = {c.table: c for c in _registered.values()}
    for model in historical_models():
        found.setdefault(model._meta.db_table, Chained(model, HISTORY_EVENTS))
    return sorted(found.values(), key=lambda c: c.table)


def available() -> bool:
    return connection.vendor == "postgresql"


# ---------------------------------------------------------------- head


@dataclass(frozen=True)
class Head:
    seq: int  # position of the last link; 0 for an empty chain
    hash: str
    table: str = ""
    row_pk: int | None = None
    event: str = ""

    def __str__(self):
        return f"{self.seq}:{self.hash}"

    def as_dict(self) -> dict:
        return {
            "seal_id": self.seq,
            "hash": self.hash,
            "table": self.table,
            "row_pk": self.row_pk,
            "event": self.event,
        }


def head() -> Head:
    """The chain's last link (what to keep outside the database)."""
    last = (
        ChainSeal.objects.order_by("-seq")
        .values_list("seq", "hash", "table_name", "row_pk", "event")
        .first()
    )
    if last is None:
        return Head(0, GENESIS)
    return Head(*last)


def parse_head(value: str) -> tuple[int, str]:
    """ "seq:hash" → (seq, hash); ValueError when it is not one."""
    seq, sep, digest = (value or "").strip().partition(":")
    digest = digest.strip().lower()
    if not sep or not seq.isdigit() or len(digest) != 64:
        raise ValueError("expected <id>:<64 hex digits>")
    int(digest, 16)
    return int(seq), digest


# ---------------------------------------------------------------- digests


def chain_hash(prev: str, table: str, row_pk: int, event: str, digest: str) -> str:
    return hashlib.sha256(f"{prev}|{table}|{row_pk}|{event}|{digest}".encode()).hexdigest()


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _literal_array(values) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def _table_columns(cursor, table: str) -> list[str]:
    """The table's columns; [] when it does not exist (its migration has not run yet)."""
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attname",
        [_q(table)],
    )
    return [row[0] for row in cursor.fetchall()]


def _json_digest(all_columns: list[str], covered) -> str:
    extra = [c for c in all_columns if c not in set(covered)]
    remove = f" - {_literal_array(extra)}" if extra else ""
    return (
        f"encode(sha256(convert_to(jsonb_strip_nulls(to_jsonb(r){remove})::text, 'UTF8')), 'hex')"
    )


def _digest_sql(all_columns: list[str], colset: ChainColumnSet) -> str:
    """SQL for the row digest of alias r over the column set's columns."""
    plain = _json_digest(all_columns, colset.columns)
    if not (colset.extra_columns and colset.extra_when):
        return plain
    wider = _json_digest(all_columns, [*colset.columns, *colset.extra_columns])
    return f"CASE WHEN ({colset.extra_when}) THEN {wider} ELSE {plain} END"


def _column_set(known: dict, table: str, event: Event, all_columns: list[str]) -> ChainColumnSet:
    """The recorded column set of this event as the table is now (created when new)."""
    columns = sorted(event.columns) if event.columns is not None else list(all_columns)
    extra = sorted(event.extra_columns)
    key = json.dumps([table, event.name, columns, extra, event.extra_when])
    digest = hashlib.sha256(key.encode()).hexdigest()
    if digest not in known:
        known[digest] = ChainColumnSet.objects.create(
            table_name=table,
            event=event.name,
            columns=columns,
            extra_columns=extra,
            extra_when=event.extra_when,
            digest=digest,
        )
    return known[digest]


def _stable_session(cursor):
    # to_jsonb renders timestamps in the session's time zone: fix it.
    cursor.execute("SET LOCAL TIME ZONE 'UTC'")
    cursor.execute("SET LOCAL extra_float_digits = 1")


# ---------------------------------------------------------------- sealing


def seal(*, full: bool = False, models=None, batch: int = BATCH) -> int:
    """Append links for every committed row and event not sealed yet; returns how many.

    A regular pass (every few seconds) looks at recent rows only; a `full` pass (before a
    verification) at every row. `models` limits the pass to some chained tables.
    """
    if not available():
        return 0
    targets = [c for c in chained() if models is None or c.model in models]
    if not targets:
        return 0
    sealed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [LOCK])
        _stable_session(cursor)
        cursor.execute(f"SELECT seq, hash FROM {SEAL_TABLE} ORDER BY seq DESC LIMIT 1")
        state = list(cursor.fetchone() or (0, GENESIS))
        now = timezone.now()
        tables = [target.table for target in targets]
        known = {c.digest: c for c in ChainColumnSet.objects.filter(table_name__in=tables)}
        for target in targets:
            all_columns = _table_columns(cursor, target.table)
            if not all_columns:
                continue  # its migration has not run yet
            for position, event in enumerate(target.events):
                first = target.events[0] if position else None
                sealed += _seal_event(
                    cursor, target, event, first, all_columns, full, batch, state, now, known
                )
    return sealed


def _seal_event(cursor, target, event, first, all_columns, full, batch, state, now, known):
    table, pk = target.table, "r." + _q(target.pk_column)
    colset = _column_set(known, table, event, all_columns)
    digest = _digest_sql(all_columns, colset)
    unsealed = (
        f"NOT EXISTS (SELECT 1 FROM {SEAL_TABLE} s WHERE s.table_name = %s "
        f"AND s.event = %s AND s.row_pk = {pk}{{bound}})"
    )
    where, params = [], []
    if event.due:
        where.append(f"({event.due})")
    if first is not None:
        where.append(
            f"EXISTS (SELECT 1 FROM {SEAL_TABLE} c WHERE c.table_name = %s "
            f"AND c.event = %s AND c.row_pk = {pk})"
        )
        params += [table, first.name]
    if event.recent:
        recent = "r." + _q(event.recent)
        order = [recent, pk]
        where.append(unsealed.format(bound=""))
        params += [table, event.name]
        if not full:
            where.append(f"{recent} >= %s")
            params.append(now - RECENT_WINDOW)
    else:
        order = [pk]
        cursor.execute(
            f"SELECT max(row_pk) FROM {SEAL_TABLE} WHERE table_name = %s AND event = %s",
            [table, event.name],
        )
        high = cursor.fetchone()[0]
        if high is not None:  # (none sealed yet: every row is due, no lookup needed)
            # A regular pass looks `lookback` keys below the highest sealed one for late
            # commits; one plain range and an anti-join (an OR here would make PostgreSQL
            # hash every link of the table on each pass).
            if full:
                where.append(unsealed.format(bound=""))
                params += [table, event.name]
            else:
                low = high - event.lookback
                # bounded on both sides: either join plan stays in the window
                where.append(f"{pk} > %s AND " + unsealed.format(bound=" AND s.row_pk > %s"))
                params += [low, table, event.name, low]
    sealed = 0
    last = None
    while True:
        page_where, page_params = list(where), list(params)
        if last is not None:
            keys = ", ".join(order)
            page_where.append(f"({keys}) > ({', '.join(['%s'] * len(order))})")
            page_params += list(last)
        cursor.execute(
            f"SELECT {', '.join(order)}, {digest} FROM {_q(table)} r "
            f"WHERE {' AND '.join(page_where) or 'TRUE'} "
            f"ORDER BY {', '.join(order)} LIMIT {int(batch)}",
            page_params,
        )
        rows = cursor.fetchall()
        if not rows:
            break
        links = []
        seq, prev = state
        for *keys, row_digest in rows:
            row_pk = keys[-1]
            seq += 1
            prev = chain_hash(prev, table, row_pk, event.name, row_digest)
            links.append((seq, table, row_pk, event.name, colset.pk, row_digest, prev, now))
        state[:] = [seq, prev]
        _copy(cursor, links)
        sealed += len(links)
        last = rows[-1][: len(order)]
        if len(rows) < batch:
            break
    return sealed


def _copy(cursor, links: list[tuple]) -> None:
    """Append links with COPY (one round trip per batch, no per-row parameters)."""
    raw = getattr(cursor, "cursor", cursor)
    with raw.copy(
        f"COPY {SEAL_TABLE} (seq, table_name, row_pk, event, columns_id, row_digest, hash, "
        "sealed_at) FROM STDIN"
    ) as copy:
        for link in links:
            copy.write_row(link)


# ---------------------------------------------------------------- verification

MESSAGES = {
    "row_altered": "contents do not match the hash chain",
    "row_missing": "row missing",
    "link_altered": "link does not match the chain",
    "link_missing": "link missing",
    "head_mismatch": "differs from the exported head",
    "head_missing": "exported head is missing",
}


@dataclass
class ChainResult:
    available: bool = True
    ok: bool = True
    rows_checked: int = 0
    head: Head | None = None
    counts: dict = field(default_factory=dict)
    problems: list[dict] = field(default_factory=list)

    @property
    def first_bad(self) -> dict | None:
        return self.problems[0] if self.problems else None

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "rows_checked": self.rows_checked,
            "head": self.head.as_dict() if self.head else None,
            "counts": self.counts,
            "first_bad": self.first_bad,
            "problems": self.problems,
        }


def verify(*, expect: str | None = None, models=None) -> ChainResult:
    """Walk every link: the chain, no link missing, `expect` ("seq:hash" kept outside the
    database) still in it, and every digest recomputed (of `models`' rows, or all)."""
    result = ChainResult(head=head())
    if not available():
        result.available = False
        return result
    by_table = {c.table: c for c in chained()}
    checked_tables = (
        None if models is None else {c.table for c in by_table.values() if c.model in models}
    )
    existing = set(connection.introspection.table_names())
    colsets = {c.pk: c for c in ChainColumnSet.objects.all()}
    expected_seq, expected_hash = parse_head(expect) if expect else (None, None)
    expect_seen = expected_seq is None or expected_seq == 0 and expected_hash == GENESIS

    def problem(kind, seq, table="", row_pk=None, event="", object_id=None, **info):
        result.ok = False
        if len(result.problems) >= MAX_PROBLEMS:
            return
        target = by_table.get(table)
        if table and target is not None:
            name = target.name_row(row_pk, object_id)
        elif table:
            name = f"{table} id={row_pk}"
        else:
            name = "chain"
        where = f" (chain link {seq}, {event})" if event else f" (chain link {seq})"
        result.problems.append(
            {
                "kind": kind,
                "seal_id": seq,
                "table": table,
                "row_pk": row_pk,
                "event": event,
                "model": (target.instance_type or target.model)._meta.label if target else None,
                "history_id": row_pk if target is not None and target.instance_type else None,
                "object_id": object_id,
                **info,
                "text": f"{name}{where}: {MESSAGES[kind]}",
            }
        )

    prev, next_seq = GENESIS, 1
    with transaction.atomic(), connection.cursor() as cursor:
        _stable_session(cursor)
        columns_cache: dict[str, list[str]] = {}
        while True:
            cursor.execute(
                f"SELECT seq, table_name, row_pk, event, columns_id, row_digest, hash "
                f"FROM {SEAL_TABLE} WHERE seq >= %s ORDER BY seq LIMIT %s",
                [next_seq, BATCH],
            )
            links = cursor.fetchall()
            if not links:
                break
            wanted = [link for link in links if checked_tables is None or link[1] in checked_tables]
            actual = _recompute(cursor, wanted, by_table, existing, colsets, columns_cache)
            for seq, table, row_pk, event, _colset, stored_digest, stored_hash in links:
                if seq != next_seq:
                    problem("link_missing", next_seq)
                if checked_tables is None or table in checked_tables:
                    found = actual.get((table, row_pk, event))
                    if found is None:
                        problem("row_missing", seq, table, row_pk, event)
                    elif found[0] != stored_digest:
                        problem("row_altered", seq, table, row_pk, event, found[1])
                    key = f"{table}.{event}"
                    result.counts[key] = result.counts.get(key, 0) + 1
                recomputed = chain_hash(prev, table, row_pk, event, stored_digest)
                if recomputed != stored_hash:
                    problem("link_altered", seq, table, row_pk, event)
                if seq == expected_seq:
                    expect_seen = True
                    if stored_hash != expected_hash:
                        problem("head_mismatch", seq, table, row_pk, event, expected=expected_hash)
                prev = stored_hash
                next_seq = seq + 1
                result.rows_checked += 1
            if len(links) < BATCH:
                break
    if not expect_seen:
        problem("head_missing", expected_seq, expected=expected_hash)
    return result


def _recompute(cursor, links, by_table, existing, colsets, columns_cache) -> dict:
    """{(table, row_pk, event): (digest, object id)} recomputed from the chained tables."""
    groups: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for _seq, table, row_pk, event, colset_id, _d, _h in links:
        groups.setdefault((table, colset_id), []).append((row_pk, event))
    out = {}
    for (table, colset_id), keys in groups.items():
        target = by_table.get(table)
        colset = colsets.get(colset_id)
        if target is None or colset is None or table not in existing:
            continue
        if table not in columns_cache:
            columns_cache[table] = _table_columns(cursor, table)
        pk = "r." + _q(target.pk_column)
        object_column = target.object_column()
        obj = f"r.{_q(object_column)}" if object_column else "NULL"
        cursor.execute(
            f"SELECT {pk}, {_digest_sql(columns_cache[table], colset)}, {obj} "
            f"FROM {_q(table)} r WHERE {pk} = ANY(%s)",
            [[row_pk for row_pk, _event in keys]],
        )
        found = {row[0]: row for row in cursor.fetchall()}
        for row_pk, event in keys:
            if row_pk in found:
                _pk, digest, obj_id = found[row_pk]
                out[(table, row_pk, event)] = (digest, None if obj_id is None else str(obj_id))
    return out
