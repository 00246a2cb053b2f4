"""The SHA-256 hash chain over the ledger, sealed in batches shortly after commit.

Why not inside each posting: a chain links every row to the one before it, so sealing
inline makes every posting wait for the previous one (one global lock), which would cap
concurrent postings at one at a time. Instead a sealer (Celery beat, every few seconds,
and `ledger_verify` before it verifies) appends `ChainSeal` links for committed transfers
that have none yet, under one advisory lock. The chain's order is the sealing order
(`seq`), not transfer ids: a transfer whose transaction commits late is simply sealed in
a later batch, so no committed row is ever skipped.

Each transfer gets a `created` link over its immutable fields; a two-phase transfer also
gets a `resolved` link over its one-time state change when it is posted or voided.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, timedelta

from django.db import connection, transaction
from django.utils import timezone

GENESIS = "0" * 64
SEAL_LOCK_KEY = 7_351_001  # pg_advisory_xact_lock key of the sealer
# An ordinary pass (every few seconds) looks this far below the last sealed id for
# transfers committed late (their transaction took its id before others that were
# already sealed); a rarer late one is sealed by the nightly full pass, which looks at
# everything. Kept small: the ordinary pass runs often and must stay cheap.
LOOKBACK_IDS = 2_000
LOOKBACK_RESOLVED = timedelta(hours=6)

TRANSFER_COLUMNS = (
    "id, from_account_id, to_account_id, source_account_id, amount, kind, memo, two_phase, "
    "reverses_id, idempotency_key, request_hash, created_by_id, created_at, state, "
    "resolved_at, resolved_by_id, resolution_key"
)


def _iso(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):  # SQLite without converters
        return value
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _amount(value) -> str:
    from decimal import Decimal

    return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"


def created_payload(row) -> str:
    """What a `created` link covers: every field a transfer is born with."""
    (tid, from_id, to_id, source_id, amount, kind, memo, two_phase, reverses_id, key, digest,
     created_by, created_at, state, resolved_at, _resolved_by, _resolution_key) = row  # fmt: skip
    parts = [
        "created", tid, from_id, to_id, source_id, _amount(amount), kind, memo,
        bool(two_phase), reverses_id, key, digest, created_by, _iso(created_at),
    ]  # fmt: skip
    if not two_phase:  # a direct posting is born posted
        parts += [state, _iso(resolved_at)]
    return json.dumps(parts, ensure_ascii=False, separators=(",", ":"))


def resolved_payload(row) -> str:
    """What a `resolved` link covers: the one-time pending → posted/voided change."""
    tid, state, resolved_at, resolved_by, resolution_key = (
        row[0], row[13], row[14], row[15], row[16],
    )  # fmt: skip
    parts = ["resolved", tid, state, _iso(resolved_at), resolved_by, resolution_key]
    return json.dumps(parts, ensure_ascii=False, separators=(",", ":"))


def link_hash(prev_hash: str, payload: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


@dataclass(frozen=True)
class ChainHead:
    id: int  # the link's position (ChainSeal.seq); 0 for an empty chain
    hash: str
    transfer_id: int | None = None
    event: str = ""

    def as_dict(self) -> dict:
        return {
            "head_id": self.id,
            "head_hash": self.hash,
            "transfer_id": self.transfer_id,
            "event": self.event,
        }


def chain_head() -> ChainHead:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT seq, hash, transfer_id, event FROM ledger_chainseal ORDER BY seq DESC LIMIT 1"
        )
        row = cursor.fetchone()
    if row is None:
        return ChainHead(0, GENESIS)
    return ChainHead(row[0], row[1], row[2], row[3])


def _seal_batch(*, full: bool, batch: int) -> int:
    pg = connection.vendor == "postgresql"
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        if pg:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SEAL_LOCK_KEY])
        cursor.execute("SELECT seq, hash FROM ledger_chainseal ORDER BY seq DESC LIMIT 1")
        head = cursor.fetchone() or (0, GENESIS)
        seq, prev = head
        lower = 0
        if not full:
            cursor.execute(
                "SELECT COALESCE(MAX(transfer_id), 0) FROM ledger_chainseal WHERE event = 'created'"
            )
            lower = max(cursor.fetchone()[0] - LOOKBACK_IDS, 0)
        cursor.execute(
            f"SELECT {TRANSFER_COLUMNS} FROM ledger_transfer t WHERE t.id > %s AND NOT EXISTS "
            "(SELECT 1 FROM ledger_chainseal s WHERE s.transfer_id = t.id AND s.event = 'created')"
            " ORDER BY t.id LIMIT %s",
            [lower, batch],
        )
        links = []
        for row in cursor.fetchall():
            seq += 1
            digest = link_hash(prev, created_payload(row))
            links.append((seq, row[0], "created", prev, digest, now))
            prev = digest
        _insert(cursor, links)
        room = batch - len(links)
        if room > 0:
            since_sql, params = "", []
            if not full:
                since_sql = " AND t.resolved_at >= %s"
                params.append(now - LOOKBACK_RESOLVED)
            cursor.execute(
                f"SELECT {TRANSFER_COLUMNS} FROM ledger_transfer t WHERE t.two_phase "
                f"AND t.state <> 'pending'{since_sql} AND NOT EXISTS (SELECT 1 FROM "
                "ledger_chainseal s WHERE s.transfer_id = t.id AND s.event = 'resolved') "
                "AND EXISTS (SELECT 1 FROM ledger_chainseal c WHERE c.transfer_id = t.id "
                "AND c.event = 'created') ORDER BY t.resolved_at, t.id LIMIT %s",
                [*params, room],
            )
            resolved = []
            for row in cursor.fetchall():
                seq += 1
                digest = link_hash(prev, resolved_payload(row))
                resolved.append((seq, row[0], "resolved", prev, digest, now))
                prev = digest
            _insert(cursor, resolved)
            links += resolved
    return len(links)


def _insert(cursor, links):
    if links and connection.vendor == "postgresql":
        # one statement for the whole batch
        seqs, transfers, events, prevs, hashes, times = map(list, zip(*links, strict=True))
        cursor.execute(
            "INSERT INTO ledger_chainseal (seq, transfer_id, event, prev_hash, hash, sealed_at) "
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], "
            "%s::text[], %s::timestamptz[])",
            [seqs, transfers, events, prevs, hashes, times],
        )
    elif links:
        cursor.executemany(
            "INSERT INTO ledger_chainseal (seq, transfer_id, event, prev_hash, hash, sealed_at) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            links,
        )


def seal(*, full: bool = False, batch: int = 5000) -> int:
    """Append links for committed, unsealed transfers; returns how many were added.

    An ordinary pass looks at recent transfers only (cheap, runs every few seconds); a
    `full` pass (the nightly verification) looks at all of them.
    """
    total = 0
    while True:
        added = _seal_batch(full=full, batch=batch)
        total += added
        if added < batch:
            return total
