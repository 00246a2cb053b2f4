"""Every write to the ledger: open and close accounts, post, reserve, commit, void, reverse.

The contract these functions keep with the domain apps is in the ledger package's
docstring (ledger/__init__.py). The ledger records who moved money (`actor`, kept on each
transfer) but does not decide who may: the domain service that calls it has checked the
actor's role and scope first. The ledger checks the money: accounts exist and are open,
amounts are positive cents, the source is a funding source, no guarded account or share
goes below zero, each key is used once.

How a posting stays correct and fast:

- One database transaction per call (inside a caller's transaction, a refusal leaves it
  usable: the writer answers it instead of raising).
- On PostgreSQL the application's role cannot write the transfer or balance tables at all:
  a posting is one call of `ledger_write(ops jsonb)`, a SECURITY DEFINER function owned by
  the owner (ledger/writer.py), prepared once per connection: one statement, one round trip,
  whatever the number of postings (`post_transfers`). This module checks the request,
  computes the proof (ledger/proof.py: the key never reaches the database) and passes the
  transfer; the function inserts it (a unique index on the idempotency key: a second request
  with the same key waits for the first, then gets no row and answers the first result),
  works the legs out from it and the accounts' kinds, and changes each account's cached
  balance and its share of the funding source by one guarded statement each (`... WHERE
  posted + Δ >= pending + Δ AND is_active`), the lower account id first (several postings:
  every balance row locked first, in account-id order), so two transfers never deadlock.
- Each leg's share also adds the posted amount to its flow column (models.SourceBalance:
  in/out by the other side's account kind, carried forward apart) and a commitment's share
  keeps its lowest feeding source or line (`fed_by`, set when the share is created): the same
  row and statement as the balance; ledger_verify recomputes them from the transfers.
- A guard that does not pass makes the function raise (SQLSTATE LG002, naming the posting,
  the account and the level), so nothing of the call is kept, and the service raises
  `Overdraft` (or `AccountInactive`) naming the account. CHECK constraints on the balance
  tables refuse the same thing again if anything bypasses this code.

On SQLite (the demo) the pieces run as separate statements in the same order.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import psycopg
from django.core.exceptions import ValidationError
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    connection,
    connections,
    transaction,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audited import set_reason
from core.compiled import prepared_cursor
from core.errors import InvalidInput, NotFound, NotPermitted
from core.money import MAX_AMOUNT, yuan

from . import proof
from .errors import (
    AccountInactive,
    AccountNotEmpty,
    AlreadyResolved,
    AlreadyReversed,
    IdempotencyConflict,
    InvalidTransfer,
    Overdraft,
    UnknownAccount,
    translate_db_error,
)
from .models import (
    FEEDING_KINDS,
    Account,
    AccountBalance,
    AccountKind,
    SourceBalance,
    Transfer,
    TransferKind,
    TransferState,
    flow_fields,
)

CENT = Decimal("0.01")
ZERO = Decimal(0)
_TRANSFER_KINDS = frozenset(TransferKind.values)


# --------------------------------------------------------------------------- checks


def _recorded_actor(actor):
    """The user the transfer records as its mover: any saved user (the domain checked who)."""
    if getattr(actor, "pk", None) is None:
        raise NotPermitted(
            _("Money is moved by a known user or service identity."), code="actor_required"
        )
    return actor


def _amount_error(message: str) -> InvalidTransfer:
    return InvalidTransfer(
        message, fields={"amount": [_("A positive amount in yuan with at most two decimals.")]}
    )


def _money(amount) -> Decimal:
    if isinstance(amount, bool):
        raise _amount_error(_("The amount is not a number."))
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise _amount_error(_("The amount is not a number.")) from None
    if not value.is_finite():
        raise _amount_error(_("The amount is not a number."))
    if value <= 0:
        raise _amount_error(_("The amount must be greater than zero."))
    if value > MAX_AMOUNT:
        raise InvalidTransfer(
            _("The amount is too large: at most %(limit)s.") % {"limit": yuan(MAX_AMOUNT)},
            code="amount_out_of_range",
            fields={"amount": [_("At most %(limit)s.") % {"limit": yuan(MAX_AMOUNT)}]},
        )
    quantized = value.quantize(CENT)
    if value != quantized:
        raise _amount_error(_("The amount has more than two decimals."))
    return quantized


def _account(value, field: str) -> Account:
    if isinstance(value, Account):
        if value.pk is None:
            raise UnknownAccount(fields={field: [_("The account is not saved.")]})
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        account = Account.objects.filter(pk=value).first()
        if account is not None:
            return account
    raise UnknownAccount(fields={field: [_("Unknown ledger account.")]})


def _open(account: Account, field: str) -> Account:
    """Refuse a closed account (as the caller knows it; the posting's SQL checks again)."""
    if not account.is_active:
        raise AccountInactive(account=account, field=field)
    return account


def _key(idempotency_key) -> str:
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        raise InvalidInput(
            _("Every request that moves money carries an idempotency key."),
            fields={"idempotency_key": [_("This field is required.")]},
        )
    if len(idempotency_key) > 100:
        raise InvalidInput(
            _("The idempotency key is too long."),
            fields={"idempotency_key": [_("At most 100 characters.")]},
        )
    return idempotency_key


def request_hash(*parts) -> str:
    """SHA-256 of the request's content: the same key must come with the same request."""
    text = json.dumps([str(p) if p is not None else None for p in parts], ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------- accounts


@dataclass(frozen=True)
class AccountScope:
    """What an account is scoped to, as data the domain gives the ledger.

    `region_path`: the materialized path of the region the account lies in (for an
    account of a federation, its township's path; of an organization, its community's);
    `federation_id` / `organization_id`: the ids of the federation and organization it
    belongs to. Any of them may be empty: an account with no scope is seen only by
    administrators (outside parties such as the treasury).
    """

    region_path: str = ""
    federation_id: int | None = None
    organization_id: int | None = None


NO_SCOPE = AccountScope()


def _scope(scope) -> AccountScope:
    if not isinstance(scope, AccountScope):
        raise InvalidInput(
            _("An account's scope is an AccountScope."), fields={"scope": [_("Invalid scope.")]}
        )
    for name in ("federation_id", "organization_id"):
        value = getattr(scope, name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value <= 0
        ):
            raise InvalidInput(
                _("The scope's %(name)s is not an id.") % {"name": name},
                fields={name: [_("A positive integer id.")]},
            )
    if not isinstance(scope.region_path, str):
        raise InvalidInput(
            _("The scope's region path is not text."), fields={"region_path": [_("Invalid.")]}
        )
    return scope


def open_account(
    *,
    actor,
    kind: str,
    name: str,
    code: str = "",
    owner_type: str = "",
    owner_id: int | None = None,
    scope: AccountScope = NO_SCOPE,
    reason: str = "",
) -> Account:
    """Open a ledger account with zero balances; idempotent per owner and kind (or code).

    An existing account is answered as it is (its name and scope are not changed here:
    `rescope_account` changes the scope).
    """
    _recorded_actor(actor)
    scope = _scope(scope)
    if kind not in AccountKind.values:
        raise InvalidInput(_("Unknown account kind."), fields={"kind": [_("Unknown kind.")]})
    with transaction.atomic():
        existing = None
        if owner_id is not None:
            existing = Account.objects.filter(
                owner_type=owner_type, owner_id=owner_id, kind=kind
            ).first()
        elif code:
            existing = Account.objects.filter(code=code).first()
            if existing is not None and existing.kind != kind:
                raise InvalidInput(
                    _("Account code %(code)s is taken by an account of another kind.")
                    % {"code": code},
                    fields={"code": [_("Already used.")]},
                )
        if existing is not None:
            return existing
        if not code:
            code = (
                f"{kind}:{owner_type}:{owner_id}"
                if owner_id is not None
                else f"{kind}:{uuid.uuid4().hex[:16]}"
            )
        account = Account(
            code=code,
            name=name,
            kind=kind,
            owner_type=owner_type,
            owner_id=owner_id,
            region_path=scope.region_path,
            federation_id=scope.federation_id,
            organization_id=scope.organization_id,
        )
        _validated(account)
        set_reason(account, reason or _("account opened")).save()
        db = connections[DEFAULT_DB_ALIAS]
        if db.vendor == "postgresql":
            _pg_write(db, [{"op": "open", "account": account.pk}])  # ledger/writer.py
        else:
            AccountBalance.objects.create(account=account, is_guarded=account.is_guarded)
    return account


def _validated(account: Account) -> Account:
    try:
        account.full_clean()
    except ValidationError as exc:
        raise InvalidInput(fields=exc.message_dict) from exc
    return account


def _locked(account) -> Account:
    account = _account(account, "account")
    return Account.objects.select_for_update().get(pk=account.pk)


def rename_account(*, actor, account, name: str, reason: str) -> Account:
    _recorded_actor(actor)
    with transaction.atomic():
        account = _locked(account)
        account.name = name
        _validated(account)
        set_reason(account, reason).save()
    return account


def rescope_account(*, actor, account, scope: AccountScope, reason: str) -> Account:
    """Change what an account is scoped to (its region moved, it changed federation)."""
    _recorded_actor(actor)
    scope = _scope(scope)
    with transaction.atomic():
        account = _locked(account)
        account.region_path = scope.region_path
        account.federation_id = scope.federation_id
        account.organization_id = scope.organization_id
        _validated(account)
        set_reason(account, reason).save()
    return account


def close_account(*, actor, account, reason: str) -> Account:
    """Close an account: no money moves from, to or out of it afterwards (accounts are never
    deleted). A guarded account must be empty, and no account may have reservations or
    receivables outstanding: move the money and resolve the pending transfers first.
    Closing twice answers the closed account."""
    _recorded_actor(actor)
    if not (reason or "").strip():
        raise InvalidInput(
            _("Closing an account needs a reason."), fields={"reason": [_("Required.")]}
        )
    with transaction.atomic():
        account = _locked(account)
        if not account.is_active:
            return account
        # The balance row is closed under its lock first (a posting waits for this
        # transaction, then sees it closed); the writer refuses it unless it is empty.
        db = connections[DEFAULT_DB_ALIAS]
        if db.vendor == "postgresql":
            try:  # a refusal leaves this transaction usable (_pg_write)
                _pg_write(db, [{"op": "close", "account": account.pk}])  # ledger/writer.py
            except DatabaseError as exc:
                if (_writer_error(exc) or ("",))[0] != "not_empty":
                    raise
                raise _not_empty(account) from None
        else:
            balance = AccountBalance.objects.select_for_update().get(account_id=account.pk)
            if balance.pending or balance.receivable or (account.is_guarded and balance.posted):
                raise _not_empty(account)
            AccountBalance.objects.filter(account_id=account.pk).update(is_active=False)
        account.is_active = False
        set_reason(account, reason).save()
    return account


def _not_empty(account: Account) -> AccountNotEmpty:
    balance = AccountBalance.objects.get(account_id=account.pk)
    return AccountNotEmpty(
        _(
            "Account %(account)s still holds ¥%(posted)s with ¥%(pending)s reserved and "
            "¥%(receivable)s receivable; it is closed only when empty."
        )
        % {
            "account": account.code,
            "posted": balance.posted,
            "pending": balance.pending,
            "receivable": balance.receivable,
        },
        fields={"account": [account.code]},
    )


# --------------------------------------------------------------------------- SQL


class _Leg:
    """One account's change: deltas of posted, pending (out) and receivable (in).

    `active`: the account must be open (every leg but those of a void, which only releases).
    `guard`: a guarded account's available money (posted − pending) goes down, so the
    statement checks it. `may_insert`: the source share may be created by this leg (all
    deltas allowed on zero). `flow`: the share's flow column a posted movement adds its
    amount to (models.flow_fields), None when nothing is posted. `fed_by`: a source or line
    feeding a commitment (kept on the commitment's share when the leg may create it).
    Worked out once: the posting reads them several times.
    """

    __slots__ = (
        "account", "account_id", "source_id", "posted", "pending", "receivable", "active",
        "guard", "may_insert", "flow", "fed_by", "shape",
    )  # fmt: skip

    def __init__(
        self, account, source_id, posted, pending, receivable, active=True, flow=None,
        fed_by=None,
    ):  # fmt: skip
        self.account = account
        self.account_id = account.pk
        self.source_id = source_id
        self.posted = posted
        self.pending = pending
        self.receivable = receivable
        self.active = active
        self.guard = account.is_guarded and (posted - pending) < 0
        self.may_insert = not self.guard and pending >= 0 and receivable >= 0
        self.flow = flow
        self.fed_by = fed_by if self.may_insert else None
        self.shape = (self.guard, self.may_insert, active, flow, self.fed_by is not None)


def _fed_by(from_account: Account, to_account: Account) -> int | None:
    """The id a commitment's share keeps of the source or line that feeds it."""
    if to_account.kind == AccountKind.COMMITMENT and from_account.kind in FEEDING_KINDS:
        return from_account.pk
    return None


def _posted_legs(transfer_kind, from_account, to_account, source_id, amount, pending) -> list:
    """The two legs of `amount` posted (`pending`: out of a reservation of that amount)."""
    out_flow, in_flow = flow_fields(transfer_kind, from_account.kind, to_account.kind)
    released = -amount if pending else ZERO
    return [
        _Leg(from_account, source_id, -amount, released, ZERO, flow=out_flow),
        _Leg(to_account, source_id, amount, ZERO, released, flow=in_flow,
             fed_by=_fed_by(from_account, to_account)),
    ]  # fmt: skip


class _Refused(Exception):
    """A guard did not pass: roll back, then explain."""

    def __init__(self, index: int, leg: _Leg | None, level: str):
        self.index = index  # of the step in its call
        self.leg = leg
        self.level = level


@dataclass(slots=True)
class _Step:
    """One posting: a transfer created or resolved, and its two legs.

    `op`: the operation ledger_write (ledger/writer.py) applies on PostgreSQL, which works the
    legs out again itself from the transfer and the accounts; `head` and `legs`: the same as
    SQL statements, run by this module on SQLite (the demo), and what a refusal is explained
    by on both.
    """

    op: dict
    head: tuple[str, list]
    legs: list[_Leg]
    source: Account
    amount: Decimal


# --------------------------------------------------------------------------- PostgreSQL

_WRITE = "SELECT ledger_write(%s::jsonb)"
_TRY_WRITE = "SELECT ledger_try_write(%s::jsonb)"


def _json(value):
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime.datetime):
        return value.isoformat()  # microseconds kept: the proof covers them
    raise TypeError(type(value).__name__)


def _pg_write(db, ops: list[dict]) -> list[int | None]:
    """One call of the writer, one statement: the ids it answers, one per operation.

    Outside any transaction the call is its own transaction. Inside a caller's it goes
    through ledger_try_write, which answers a refusal instead of raising it: nothing of the
    call is kept and the caller's transaction stays usable (to explain the refusal), as a
    savepoint would leave it, in one round trip instead of three. Both are prepared once per
    connection (core.compiled.prepared_cursor)."""
    payload = json.dumps(ops, default=_json, ensure_ascii=False, separators=(",", ":"))
    inside = db.in_atomic_block or not db.get_autocommit()
    with prepared_cursor(db) as cursor:
        cursor.execute(_TRY_WRITE if inside else _WRITE, [payload])
        answer = cursor.fetchone()[0]
    if not inside:
        return answer
    answer = json.loads(answer)  # Django has psycopg hand jsonb over as text
    if "error" in answer:  # raised as ledger_write raised it (_apply explains or translates)
        try:
            error = psycopg.errors.lookup(answer["sqlstate"])
        except KeyError:  # the writer's own refusals (LG001-LG003)
            error = psycopg.errors.RaiseException
        with db.wrap_database_errors:
            raise error(answer["error"])
    return answer["ids"]


_WRITER_ERROR = re.compile(r"ledger_(refused|invalid|not_empty):(\d+):(\w+)(?::(\w+))?")


def _writer_error(exc):
    """(kind, operation number from 1, detail, level) of ledger_write's refusal, or None."""
    found = _WRITER_ERROR.search(str(exc))
    return found.groups() if found else None


def _refused_step(exc, steps: list[_Step]) -> _Refused | None:
    """The step, leg and level ledger_write's refusal names (ledger_refused:op:account:level)."""
    found = _writer_error(exc)
    if found is None or found[0] != "refused":
        return None
    index = int(found[1]) - 1
    account_id, level = int(found[2]), found[3]
    if level == "source_closed":
        return _Refused(index, None, level)
    leg = next(leg for leg in steps[index].legs if leg.account_id == account_id)
    return _Refused(index, leg, level)


# --------------------------------------------------------------------------- SQLite

_BALANCE_SET = "posted = posted + %s, pending = pending + %s, receivable = receivable + %s"
_GUARD = " AND (NOT is_guarded OR posted + %s >= pending + %s)"


def _account_sql(shape) -> str:
    guard, _may_insert, active = shape[:3]
    sql = f"UPDATE ledger_accountbalance SET {_BALANCE_SET} WHERE account_id = %s"
    if active:
        sql += " AND is_active"
    if guard:
        sql += _GUARD
    return sql + " RETURNING account_id, is_guarded"


def _account_params(leg: _Leg) -> list:
    params = [leg.posted, leg.pending, leg.receivable, leg.account_id]
    if leg.guard:
        params += [leg.posted, leg.pending]
    return params


# A commitment's share keeps the lowest feeder (the same whatever order postings race in).
_FED_BY_LEAST = (
    "fed_by_id = CASE WHEN b.fed_by_id IS NULL OR excluded.fed_by_id < b.fed_by_id "
    "THEN excluded.fed_by_id ELSE b.fed_by_id END"
)


def _source_sql(shape) -> str:
    guard, may_insert, _active, flow, feeds = shape
    if not may_insert:
        # A guarded account spends only a share it holds, and a reservation is released
        # only where it was made: update, never insert (an inserted row with a negative
        # delta would break a CHECK before ON CONFLICT is even considered).
        return (
            f"UPDATE ledger_sourcebalance SET {_BALANCE_SET}"
            + (f", {flow} = {flow} + %s" if flow else "")
            + " WHERE account_id = %s AND source_account_id = %s"
            + (_GUARD if guard else "")
            + " RETURNING 1"
        )
    columns = (f", {flow}" if flow else "") + (", fed_by_id" if feeds else "")
    values = (", %s" if flow else "") + (", %s" if feeds else "")
    updates = (f", {flow} = b.{flow} + excluded.{flow}" if flow else "") + (
        f", {_FED_BY_LEAST}" if feeds else ""
    )
    return (
        "INSERT INTO ledger_sourcebalance AS b "
        f"(account_id, source_account_id, is_guarded, posted, pending, receivable{columns}) "
        f"SELECT account_id, %s, is_guarded, %s, %s, %s{values} "
        "FROM ledger_accountbalance WHERE account_id = %s "
        "ON CONFLICT (account_id, source_account_id) DO UPDATE SET "
        "posted = b.posted + excluded.posted, pending = b.pending + excluded.pending, "
        f"receivable = b.receivable + excluded.receivable{updates} RETURNING 1"
    )


def _source_params(leg: _Leg) -> list:
    flow = [abs(leg.posted)] if leg.flow else []
    if not leg.may_insert:
        params = [leg.posted, leg.pending, leg.receivable, *flow, leg.account_id, leg.source_id]
        return params + ([leg.posted, leg.pending] if leg.guard else [])
    params = [leg.source_id, leg.posted, leg.pending, leg.receivable, *flow]
    if leg.fed_by is not None:
        params.append(leg.fed_by)
    return params + [leg.account_id]


def _sqlite_step(index: int, step: _Step) -> int | None:
    """SQLite (the demo): the posting as separate statements, in ledger_write's order."""
    with connection.cursor() as cursor:
        cursor.execute(*step.head)
        row = cursor.fetchone()
        if row is None:
            return None
        first, second = sorted(step.legs, key=lambda leg: leg.account_id)
        for leg in (first, second):
            cursor.execute(_account_sql(leg.shape), _account_params(leg))
            if len(cursor.fetchall()) != 1:
                raise _Refused(index, leg, "account")
            cursor.execute(_source_sql(leg.shape), _source_params(leg))
            if len(cursor.fetchall()) != 1:
                raise _Refused(index, leg, "source")
        source_id = step.source.pk
        if first.active and source_id not in (first.account_id, second.account_id):
            cursor.execute(
                "SELECT 1 FROM ledger_accountbalance WHERE account_id = %s AND is_active",
                [source_id],
            )
            if cursor.fetchone() is None:
                raise _Refused(index, None, "source_closed")
    return row[0]


# --------------------------------------------------------------------------- both


def _constraint(exc) -> str:
    """The name of the constraint a database error broke (PostgreSQL), else its message."""
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) or str(exc)


def _explain(refused: _Refused, steps: list[_Step]):
    """After the rollback: the domain error for a guard that did not pass. The shortfall
    counts what the call's earlier steps took from the same account and share."""
    step = steps[refused.index]
    source, amount = step.source, step.amount
    if refused.level == "source_closed":
        return AccountInactive(account=source, field="source_account")
    leg = refused.leg
    balance = AccountBalance.objects.filter(account_id=leg.account.pk).first()
    if balance is None:
        return UnknownAccount(fields={"account": [str(leg.account.pk)]})
    if leg.active and not balance.is_active:
        field = "from_account" if leg.posted < 0 or leg.pending > 0 else "to_account"
        return AccountInactive(account=leg.account, field=field)
    share = SourceBalance.objects.filter(
        account_id=leg.account.pk, source_account_id=leg.source_id
    ).first()
    earlier = [other for s in steps[: refused.index] for other in s.legs]
    taken = sum((o.posted - o.pending for o in earlier if o.account_id == leg.account_id), ZERO)
    available = balance.available + taken
    taken_share = sum(
        (o.posted - o.pending for o in earlier
         if o.account_id == leg.account_id and o.source_id == leg.source_id),
        ZERO,
    )  # fmt: skip
    share_available = (share.available if share else Decimal("0.00")) + taken_share
    if refused.level == "account" and available < amount:
        shortfall, level = amount - available, "account"
    else:
        shortfall, level = amount - share_available, "source"
    return Overdraft(
        account=leg.account, source=source, shortfall=max(shortfall, CENT), level=level
    )


def _invalid(field: str) -> InvalidTransfer:
    """ledger_write refused what this module checks before (a backstop): name the field."""
    return InvalidTransfer(
        _("The ledger refused the transfer: %(field)s is not valid.") % {"field": field},
        fields={field: [_("Not valid for this transfer.")]},
    )


_INSERT_TRANSFER = (
    "INSERT INTO ledger_transfer (from_account_id, to_account_id, amount, source_account_id, "
    "kind, memo, state, two_phase, reverses_id, idempotency_key, request_hash, created_by_id, "
    "created_at, resolved_at, resolved_by_id, resolution_key, proof) VALUES "
    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL, NULL, %s) "
    "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
)


def _apply(steps: list[_Step]) -> list[int | None]:
    """Apply the steps in order, atomically: per step the new or resolved transfer's id, or
    None when it did nothing (the idempotency key is taken; the transfer is no longer
    pending). PostgreSQL: one call of ledger_write for all of them."""
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: each proxy hop costs a lookup
    try:
        if db.vendor == "postgresql":
            return _pg_write(db, [step.op for step in steps])
        with transaction.atomic():
            return [_sqlite_step(i, step) for i, step in enumerate(steps)]
    except _Refused as refused:
        raise _explain(refused, steps) from None
    except DatabaseError as exc:
        refused = _refused_step(exc, steps)
        if refused is not None:
            raise _explain(refused, steps) from None
        found = _writer_error(exc)
        if found is not None and found[0] == "invalid":
            raise _invalid(found[2]) from exc
        error = translate_db_error(exc)
        if error is None:
            raise
        raise error from exc


# --------------------------------------------------------------------------- transfers

# Transfer's concrete fields in order, to build the returned instance the way Django builds
# a row it read (positional, no per-field keyword handling).
_TRANSFER_FIELDS = [f.attname for f in Transfer._meta.concrete_fields]
_RELATED = {
    name: Transfer._meta.get_field(name)
    for name in ("from_account", "to_account", "source_account", "created_by", "reverses")
}


def _built(values: dict, related: dict) -> Transfer:
    transfer = Transfer.from_db("default", _TRANSFER_FIELDS, [values[f] for f in _TRANSFER_FIELDS])
    for name, obj in related.items():
        if obj is not None:
            _RELATED[name].set_cached_value(transfer, obj)
    return transfer


def _prepared(
    *,
    op: str,
    actor,
    from_account,
    to_account,
    amount,
    source_account,
    kind: str,
    memo: str,
    idempotency_key: str,
    two_phase: bool,
    reverses: Transfer | None = None,
) -> _New:
    """Check a new transfer and work out its row, proof and legs (nothing written yet)."""
    _recorded_actor(actor)
    key = _key(idempotency_key)
    amount = _money(amount)
    from_account = _account(from_account, "from_account")
    to_account = _account(to_account, "to_account")
    source = _account(source_account, "source_account")
    if from_account.pk == to_account.pk:
        raise InvalidTransfer(
            _("A transfer moves money between two different accounts."),
            fields={"to_account": [_("Same as the from account.")]},
        )
    if source.kind != AccountKind.FUNDING_SOURCE:
        raise InvalidTransfer(
            _("The source must be a funding source's ledger account."),
            fields={"source_account": [_("Not a funding source account.")]},
        )
    if kind not in _TRANSFER_KINDS:
        raise InvalidTransfer(_("Unknown transfer kind."), fields={"kind": [_("Unknown kind.")]})
    memo = memo or ""
    if len(memo) > 500:
        raise InvalidTransfer(_("The memo is too long."), fields={"memo": [_("At most 500.")]})
    _open(from_account, "from_account")
    _open(to_account, "to_account")
    _open(source, "source_account")
    from_id, to_id, source_id = from_account.pk, to_account.pk, source.pk
    reverses_id = reverses.pk if reverses else None
    digest = request_hash(op, from_id, to_id, amount, source_id, kind, memo, reverses_id)
    now = timezone.now()
    state = TransferState.PENDING if two_phase else TransferState.POSTED
    resolved_at = None if two_phase else now
    values = {
        "from_account_id": from_id,
        "to_account_id": to_id,
        "amount": amount,
        "source_account_id": source_id,
        "kind": kind,
        "memo": memo,
        "state": state,
        "two_phase": two_phase,
        "reverses_id": reverses_id,
        "idempotency_key": key,
        "request_hash": digest,
        "created_by_id": actor.pk,
        "created_at": now,
        "resolved_at": resolved_at,
        "resolved_by_id": None,
        "resolution_key": None,
        "resolution_proof": None,
    }
    values["proof"] = proof.created(values)  # written by this service (ledger/proof.py)
    op = {
        "op": "create", "from": from_id, "to": to_id, "amount": amount, "source": source_id,
        "kind": kind, "memo": memo, "two_phase": two_phase, "reverses": reverses_id,
        "key": key, "hash": digest, "by": actor.pk, "at": now, "proof": values["proof"],
    }  # fmt: skip
    head = (
        _INSERT_TRANSFER,
        [
            from_id, to_id, amount, source_id, kind, memo, state, two_phase, reverses_id, key,
            digest, actor.pk, now, resolved_at, values["proof"],
        ],
    )  # fmt: skip
    if two_phase:
        legs = [
            _Leg(from_account, source_id, ZERO, amount, ZERO),
            _Leg(to_account, source_id, ZERO, ZERO, amount,
                 fed_by=_fed_by(from_account, to_account)),
        ]  # fmt: skip
    else:
        legs = _posted_legs(kind, from_account, to_account, source_id, amount, pending=False)
    related = {
        "from_account": from_account,
        "to_account": to_account,
        "source_account": source,
        "created_by": actor,
        "reverses": reverses,
    }
    return _New(_Step(op, head, legs, source, amount), values, related)


@dataclass(slots=True)
class _New:
    step: _Step
    values: dict
    related: dict

    def result(self, transfer_id: int | None) -> Transfer:
        """The transfer written, or the first one's answer when the key was taken."""
        if transfer_id is None:
            return _replay(self.values["idempotency_key"], self.values["request_hash"])
        self.values["id"] = transfer_id
        return _built(self.values, self.related)


def _new_transfer(**kwargs) -> Transfer:
    new = _prepared(**kwargs)
    (transfer_id,) = _apply([new.step])
    return new.result(transfer_id)


def _replay(key: str, digest: str) -> Transfer:
    """The key was used before: the first result if the request is the same, else 409."""
    existing = Transfer.objects.filter(idempotency_key=key).first()
    if existing is None:  # pragma: no cover - the conflicting insert rolled back meanwhile
        raise IdempotencyConflict(_("A request with this key is in progress; retry."))
    if existing.request_hash != digest:
        raise IdempotencyConflict(fields={"idempotency_key": [key]})
    existing.replayed = True
    return existing


def post_transfer(
    *,
    actor,
    from_account,
    to_account,
    amount,
    source_account,
    kind: str = TransferKind.TRANSFER,
    memo: str = "",
    idempotency_key: str,
) -> Transfer:
    """Move `amount` now. Refuses an overdraft of the account or of the source's share."""
    return _new_transfer(
        op="post",
        actor=actor,
        from_account=from_account,
        to_account=to_account,
        amount=amount,
        source_account=source_account,
        kind=kind,
        memo=memo,
        idempotency_key=idempotency_key,
        two_phase=False,
    )


def reserve(
    *,
    actor,
    from_account,
    to_account,
    amount,
    source_account,
    kind: str = TransferKind.TRANSFER,
    memo: str = "",
    idempotency_key: str,
) -> Transfer:
    """Reserve `amount` (a pending transfer): available money drops, nothing moves yet."""
    return _new_transfer(
        op="reserve",
        actor=actor,
        from_account=from_account,
        to_account=to_account,
        amount=amount,
        source_account=source_account,
        kind=kind,
        memo=memo,
        idempotency_key=idempotency_key,
        two_phase=True,
    )


@dataclass(frozen=True)
class Posting:
    """One transfer of a batch (`post_transfers`): what post_transfer takes, or reserve's
    when `reserve` is true (a pending transfer)."""

    from_account: Account | int
    to_account: Account | int
    amount: Decimal | str
    source_account: Account | int
    idempotency_key: str
    kind: str = TransferKind.TRANSFER
    memo: str = ""
    reserve: bool = False


def post_transfers(*, actor, postings: Sequence[Posting]) -> list[Transfer]:
    """Several transfers at once, in order, all or none: each written as post_transfer (or
    reserve) would write it, in ONE round trip on PostgreSQL (one call of ledger_write, whose
    balance rows are locked in account-id order). A refusal of any one (an overdraft, a closed
    account: the error names its account) writes none of them. A key used before answers
    that transfer's first result (`replayed`), as a single call would."""
    prepared = [
        _prepared(
            op="reserve" if p.reserve else "post",
            actor=actor,
            from_account=p.from_account,
            to_account=p.to_account,
            amount=p.amount,
            source_account=p.source_account,
            kind=p.kind,
            memo=p.memo,
            idempotency_key=p.idempotency_key,
            two_phase=p.reserve,
        )
        for p in postings
    ]
    if not prepared:
        return []
    ids = _apply([new.step for new in prepared])
    return [new.result(transfer_id) for new, transfer_id in zip(prepared, ids, strict=True)]


def _transfer(value) -> Transfer:
    if isinstance(value, Transfer) and value.pk is not None:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        found = Transfer.objects.select_related(
            "from_account", "to_account", "source_account"
        ).filter(pk=value)
        if found := found.first():
            return found
    raise NotFound(_("Unknown transfer."), code="unknown_transfer")


def _resolve(*, actor, transfer, idempotency_key: str, target: str) -> Transfer:
    _recorded_actor(actor)
    key = _key(idempotency_key)
    transfer = _transfer(transfer)
    amount = transfer.amount
    source_id = transfer.source_account_id
    if target == TransferState.POSTED:
        # Money moves: every account named must still be open.
        for field in ("from_account", "to_account", "source_account"):
            _open(getattr(transfer, field), field)
        legs = _posted_legs(
            transfer.kind, transfer.from_account, transfer.to_account, source_id, amount,
            pending=True,
        )  # fmt: skip
    else:
        # A void only releases a reservation: allowed whatever became of the accounts.
        legs = [
            _Leg(transfer.from_account, source_id, ZERO, -amount, ZERO, active=False),
            _Leg(transfer.to_account, source_id, ZERO, ZERO, -amount, active=False),
        ]
    now = timezone.now()
    resolution_proof = proof.resolved(
        {"id": transfer.pk, "state": target, "resolved_at": now, "resolved_by_id": actor.pk,
         "resolution_key": key}
    )  # fmt: skip
    head = (
        "UPDATE ledger_transfer SET state = %s, resolved_at = %s, resolved_by_id = %s, "
        "resolution_key = %s, resolution_proof = %s WHERE id = %s AND state = 'pending' "
        "RETURNING id",
        [target, now, actor.pk, key, resolution_proof, transfer.pk],
    )
    op = {
        "op": "resolve", "id": transfer.pk, "state": target, "at": now, "by": actor.pk,
        "key": key, "proof": resolution_proof,
    }  # fmt: skip
    try:
        (done,) = _apply([_Step(op, head, legs, transfer.source_account, amount)])
    except IntegrityError as exc:
        if "resolution_key" in _constraint(exc):
            raise IdempotencyConflict(fields={"idempotency_key": [key]}) from exc
        raise
    if done is None:
        current = Transfer.objects.filter(pk=transfer.pk).first()
        if current is None:
            raise NotFound(_("Unknown transfer."), code="unknown_transfer")
        if current.resolution_key == key:
            if current.state == target:
                current.replayed = True
                return current
            raise IdempotencyConflict(fields={"idempotency_key": [key]})
        if current.state == TransferState.PENDING:  # pragma: no cover - defensive
            raise AlreadyResolved()
        raise AlreadyResolved(
            _("Transfer #%(id)s is already %(state)s.")
            % {"id": current.pk, "state": current.get_state_display()}
        )
    transfer.state = target
    transfer.resolved_at = now
    transfer.resolved_by = actor
    transfer.resolution_key = key
    transfer.resolution_proof = resolution_proof
    return transfer


def commit_pending(*, actor, transfer, idempotency_key: str) -> Transfer:
    """Post a pending transfer (once). Its reservation becomes the movement."""
    return _resolve(
        actor=actor, transfer=transfer, idempotency_key=idempotency_key, target="posted"
    )


def void_pending(*, actor, transfer, idempotency_key: str) -> Transfer:
    """Void a pending transfer (once): the reservation is released."""
    return _resolve(
        actor=actor, transfer=transfer, idempotency_key=idempotency_key, target="voided"
    )


def reverse_transfer(*, actor, transfer, idempotency_key: str, memo: str = "") -> Transfer:
    """Post the opposite of a posted transfer, naming it. Each transfer is reversed once."""
    _recorded_actor(actor)
    original = _transfer(transfer)
    current = Transfer.objects.filter(pk=original.pk).values("state", "reverses_id").first()
    if current is None:
        raise NotFound(_("Unknown transfer."), code="unknown_transfer")
    if current["state"] != TransferState.POSTED:
        raise AlreadyResolved(
            _("Only a posted transfer can be reversed; void a pending one instead."),
            code="not_posted",
        )
    if current["reverses_id"] is not None:
        raise InvalidTransfer(
            _("A reversal is not reversed; post a new transfer instead."),
            code="reversal_of_reversal",
        )
    try:
        return _new_transfer(
            op="reverse",
            actor=actor,
            from_account=original.to_account,
            to_account=original.from_account,
            amount=original.amount,
            source_account=original.source_account,
            kind=TransferKind.REVERSAL,
            memo=memo or f"Reversal of transfer #{original.pk}",
            idempotency_key=idempotency_key,
            two_phase=False,
            reverses=original,
        )
    except IntegrityError as exc:
        if "reverses" in _constraint(exc):
            raise AlreadyReversed() from exc
        raise


__all__ = [
    "AccountScope",
    "NO_SCOPE",
    "open_account",
    "rename_account",
    "rescope_account",
    "close_account",
    "post_transfer",
    "reserve",
    "Posting",
    "post_transfers",
    "commit_pending",
    "void_pending",
    "reverse_transfer",
    "request_hash",
]
