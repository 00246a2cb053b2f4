"""The ledger's transfers in the one hash chain (core/chain.py), registered from
LedgerConfig.ready.

A transfer goes through two events. `created` covers every field it is born with; a direct
posting is born posted, so its link covers its state and resolution time too. A two-phase
transfer gets a `resolved` link when it is posted or voided, over that one-time change
(the only change the database lets a transfer make: core/triggers.py, declared on the
model). Sealing runs in batches after commit, never inside a posting: the chain has one
head, and extending it inside each posting would make every posting wait for the one
before it. A regular pass looks at the last LOOKBACK_IDS transfers (and resolutions of the
last hours), so one committed late is sealed by the next pass; the nightly verification's
full pass looks at everything.
"""

from core import chain

from .models import Transfer

LOOKBACK_IDS = 2_000

IMMUTABLE = (
    "id", "from_account_id", "to_account_id", "source_account_id", "amount", "kind", "memo",
    "two_phase", "reverses_id", "idempotency_key", "request_hash", "created_by_id", "created_at",
)  # fmt: skip
RESOLUTION = ("id", "state", "resolved_at", "resolved_by_id", "resolution_key")

EVENTS = (
    chain.Event(
        "created",
        columns=IMMUTABLE,
        extra_columns=("state", "resolved_at"),
        extra_when="NOT two_phase",  # a direct posting is born posted
        lookback=LOOKBACK_IDS,
    ),
    chain.Event(
        "resolved",
        columns=RESOLUTION,
        due="two_phase AND state <> 'pending'",
        recent="resolved_at",  # the partial index ledger_transfer_resolved serves it
    ),
)


def register() -> None:
    chain.register(Transfer, *EVENTS)
