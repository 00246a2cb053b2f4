"""The double-entry ledger: the contract the domain apps (funds, projects, escrow) use.

The ledger records money; it does not decide who may move it. It imports no domain app and
references no domain table: an account's owner is named by type and id, and its scope is
data the domain gives it. Who may move which money is the domain's rule: every domain
service that calls the writes below has already checked the actor's role and scope (and
locked its own rows); `ledger.services` is never called from an API view or an admin
(an import-linter contract holds this), and it imports nothing of `access`.

Writes (`ledger.services`; keyword-only; each is one database transaction, a savepoint
inside the caller's; each raises a `core.errors.DomainError` subclass and writes nothing
when it refuses):

- `open_account(*, actor, kind, name, code="", owner_type="", owner_id=None,
  scope=AccountScope(region_path=..., federation_id=..., organization_id=...), reason="")`
  → Account. Idempotent per (owner_type, owner_id, kind), or per code. `kind`:
  funding_source | commitment | custodial | external (only external may go negative).
  `scope` decides who may read the account and its transfers and where the auditors'
  workbench places it: the region's materialized path ("/370500/370502/"), the federation
  and organization ids. `rescope_account(*, actor, account, scope, reason)` changes it;
  `rename_account(*, actor, account, name, reason)`; `close_account(*, actor, account,
  reason)`: only an empty account with nothing reserved or receivable; closed accounts are
  kept, never deleted.
- `post_transfer(*, actor, from_account, to_account, amount, source_account, kind="transfer",
  memo="", idempotency_key)` → Transfer: moves `amount` now.
- `reserve(...)` (same arguments) → a pending Transfer: the amount stops being available
  in `from_account` and is receivable (not spendable) in `to_account`.
- `post_transfers(*, actor, postings=[Posting(from_account, to_account, amount, source_account,
  idempotency_key, kind="transfer", memo="", reserve=False), ...])` → [Transfer, ...]: several
  transfers (posted, or pending where `reserve`), in order, all or none, in one round trip on
  PostgreSQL; a key used before answers its first result, as a single call would.
- `commit_pending(*, actor, transfer, idempotency_key)`: a pending transfer is posted;
  `void_pending(*, actor, transfer, idempotency_key)`: its reservation is released. A pending
  transfer resolves once.
- `reverse_transfer(*, actor, transfer, idempotency_key, memo="")`: posts the opposite of a
  posted transfer, naming it; each transfer is reversed once, a reversal never.

  Accounts are Account instances or ids; `amount` a positive number of yuan with at most two
  decimals (Decimal or str); `source_account` the ledger account of the funding source the
  money belongs to (kind funding_source): every leg keeps it, so no source is spent as
  another's. `actor` is recorded on the transfer (`created_by`, `resolved_by`).
  Refusals: `InvalidTransfer` / `InvalidInput` (400, naming the field), `UnknownAccount`
  (404), `AccountInactive` (409: a closed from, to or source account, named; a void is
  always allowed), `Overdraft` (409: a guarded account, or its share of the source, would go
  below zero; names the account, the source and the shortfall), `IdempotencyConflict` (409:
  the key was used for a different request; the same request answers the first result, with
  `replayed = True`, and moves nothing), `AlreadyResolved`, `AlreadyReversed` (409).

Reads (`ledger.selectors`):

- `balance(account)` → BalanceView(posted, pending, receivable, available): one primary-key
  read of the cached balance, whatever the ledger's length.
- `balance_by_source(account)` → [SourceShare ...] (the same per funding source);
  `source_share(account, source_account)`.
- `trace(transfer)` → Trace: the funding source (and its owner) and the transfers that
  brought the money to each account on the way, nearest first.
- `account_for_owner(owner_type, owner_id, kind)`; `accounts_visible_to(user)`,
  `transfers_visible_to(user)`: scoped querysets for lists.

Checks: `ledger.verification.verify_ledger()` recomputes every balance from the transfers,
checks every transfer's proof that this service wrote it (ledger/proof.py) and walks the hash
chain over them.
"""
