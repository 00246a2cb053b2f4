"""Proof that a transfer was written by the ledger service, not by plain SQL.

Each transfer carries `proof`: an HMAC-SHA256, keyed with LEDGER_PROOF_KEY (or a key
derived from SECRET_KEY when that is unset), over every column it is born with (and, for a
direct posting, its state and time); a two-phase transfer's resolution carries
`resolution_proof` over its one change. `ledger.services` computes both in Python as it
writes; the key is in the application's settings, never in the database. Verification
(the ledger check, ledger/verification.py) recomputes them and names every transfer whose
proof is missing or wrong.

So a session holding only database credentials, the application's limited role or even the
owner's, can insert a transfer with plain SQL and adjust the balance caches to match, but
cannot give it a proof: verification names it. Whoever also holds the key (the
application's host) can; then what was sealed before an exported chain head still stands
(docs/database-roles.md).
"""

from __future__ import annotations

import datetime
import hmac
from decimal import Decimal
from hashlib import sha256

from django.conf import settings
from django.utils.crypto import salted_hmac

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
CREATED_COLUMNS = (
    "from_account_id", "to_account_id", "amount", "source_account_id", "kind", "memo",
    "two_phase", "reverses_id", "idempotency_key", "request_hash", "created_by_id",
    "created_at",
)  # fmt: skip
DIRECT_COLUMNS = ("state", "resolved_at")  # a direct posting is born posted
RESOLUTION_COLUMNS = ("id", "state", "resolved_at", "resolved_by_id", "resolution_key")


def _key() -> bytes:
    configured = getattr(settings, "LEDGER_PROOF_KEY", "")
    if configured:
        return configured.encode()
    return salted_hmac("ledger.proof.key", "ledger", algorithm="sha256").digest()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime.datetime):  # microseconds since the epoch, any time zone
        return str((value - EPOCH) // datetime.timedelta(microseconds=1))
    return str(value)


def _sign(kind: str, values) -> str:
    message = "\x1f".join([kind, *(_text(v) for v in values)])
    return hmac.new(_key(), message.encode(), sha256).hexdigest()


def created(row: dict) -> str:
    """The proof of a new transfer, from its column values (a dict by column name)."""
    columns = CREATED_COLUMNS if row["two_phase"] else CREATED_COLUMNS + DIRECT_COLUMNS
    return _sign("created", [row[c] for c in columns])


def resolved(row: dict) -> str:
    """The proof of a two-phase transfer's resolution (posted or voided)."""
    return _sign("resolved", [row[c] for c in RESOLUTION_COLUMNS])


def problems(rows) -> list[str]:
    """Every transfer of `rows` (dicts by column name) whose proof is missing or wrong."""
    found = []
    for row in rows:
        if not hmac.compare_digest(row["proof"] or "", created(row)):
            found.append(
                f"ledger.Transfer id={row['id']}: not written by the ledger service "
                "(its proof is missing or wrong)"
            )
        if row["two_phase"] and row["state"] != "pending":
            if not hmac.compare_digest(row["resolution_proof"] or "", resolved(row)):
                found.append(
                    f"ledger.Transfer id={row['id']}: resolved outside the ledger service "
                    "(its resolution proof is missing or wrong)"
                )
    return found


SELECT_COLUMNS = tuple(
    dict.fromkeys(("id", *CREATED_COLUMNS, *DIRECT_COLUMNS, *RESOLUTION_COLUMNS, "proof",
                   "resolution_proof"))
)  # fmt: skip


def unproven(limit: int | None = None) -> tuple[int, list[str]]:
    """(how many transfers were checked, the problems found), over every transfer."""
    from .models import Transfer

    checked, found = 0, []
    rows = Transfer.objects.order_by("id").values(*SELECT_COLUMNS).iterator(chunk_size=5000)
    for row in rows:
        checked += 1
        if limit is None or len(found) < limit:
            found += problems([row])
    return checked, found
