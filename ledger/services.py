"""Every write to the ledger: open accounts, post, reserve, commit, void, reverse.

How a posting stays correct and fast:

- One database transaction per call (a savepoint inside a caller's transaction).
- Each account touched is changed by ONE guarded SQL statement that updates its cached
  balance and its share of the funding source together (`UPDATE ... WHERE balance >=
  amount RETURNING`, then the source share in the same statement). The row lock of the
  account balance is taken by that statement; accounts are always changed in increasing
  id order, so two opposite transfers never deadlock. No SELECT ... FOR UPDATE first.
- The transfer row is inserted by the first of those statements (`INSERT ... ON CONFLICT
  (idempotency_key) DO NOTHING`), so a posting is two statements: the idempotency key
  is claimed before any balance moves, and a second request with the same key waits for
  the first, then answers its result.
- A guard that does not pass updates no row; the service then rolls back and raises
  `Overdraft` naming the account, the source and the shortfall. CHECK constraints on
  the balance tables refuse the same thing again if anything bypasses this code.

On PostgreSQL the pieces of one account's change are data-modifying CTEs of one
statement; on SQLite (the demo) they run as separate statements in the same order.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import psycopg
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from access.models import Role
from access.permissions import require_role
from core.audited import set_reason
from core.errors import InvalidInput, NotFound, NotPermitted
from core.money import MAX_AMOUNT, yuan

from .errors import (
    AlreadyResolved,
    AlreadyReversed,
    IdempotencyConflict,
    InvalidTransfer,
    Overdraft,
    UnknownAccount,
    translate_db_error,
)
from .models import (
    Account,
    AccountBalance,
    AccountKind,
    SourceBalance,
    Transfer,
    TransferKind,
    TransferState,
)

CENT = Decimal("0.01")
MOVER_ROLES = (Role.FINANCE_OFFICER, Role.FEDERATION_STAFF)
_TRANSFER_KINDS = frozenset(TransferKind.values)


# --------------------------------------------------------------------------- checks


def _require_mover(actor) -> None:
    """Money is moved by finance officers, federation staff, or a service identity (jobs)."""
    if (
        getattr(actor, "is_service", False)
        and getattr(actor, "is_active", False)
        and getattr(actor, "pk", None)
    ):
        return
    require_role(actor, *MOVER_ROLES)


def _money(amount) -> Decimal:
    fields = {"amount": [_("A positive amount in yuan with at most two decimals.")]}
    if isinstance(amount, bool):
        raise InvalidTransfer(_("The amount is not a number."), fields=fields)
    try:
        value = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidTransfer(_("The amount is not a number."), fields=fields) from None
    if not value.is_finite():
        raise InvalidTransfer(_("The amount is not a number."), fields=fields)
    if value <= 0:
        raise InvalidTransfer(_("The amount must be greater than zero."), fields=fields)
    if value > MAX_AMOUNT:
        raise InvalidTransfer(
            _("The amount is too large: at most %(limit)s.") % {"limit": yuan(MAX_AMOUNT)},
            code="amount_out_of_range",
            fields={"amount": [_("At most %(limit)s.") % {"limit": yuan(MAX_AMOUNT)}]},
        )
    if value != value.quantize(CENT):
        raise InvalidTransfer(_("The amount has more than two decimals."), fields=fields)
    return value.quantize(CENT)


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


def open_account(
    *,
    actor,
    kind: str,
    name: str,
    code: str = "",
    owner_type: str = "",
    owner_id: int | None = None,
    region=None,
    federation=None,
    organization=None,
    reason: str = "",
) -> Account:
    """Open a ledger account with zero balances; idempotent per owner and kind (or code)."""
    _require_mover(actor)
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
            region=region,
            federation=federation,
            organization=organization,
        )
        account.full_clean()
        set_reason(account, reason or _("account opened")).save()
        AccountBalance.objects.create(account=account, is_guarded=account.is_guarded)
    return account


def rename_account(*, actor, account: Account, name: str, reason: str) -> Account:
    _require_mover(actor)
    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        account.name = name
        account.full_clean()
        set_reason(account, reason).save()
    return account


# --------------------------------------------------------------------------- SQL


@dataclass(frozen=True)
class _Leg:
    """One account's change: deltas of posted, pending (out) and receivable (in)."""

    account: Account
    source_id: int
    posted: Decimal
    pending: Decimal
    receivable: Decimal

    @property
    def guard(self) -> bool:
        # Guard when a guarded account's available money (posted − pending) goes down.
        return self.account.is_guarded and (self.posted - self.pending) < 0

    @property
    def may_insert(self) -> bool:
        """Whether the source share may be created by this leg (all deltas allowed on 0)."""
        return not self.guard and self.pending >= 0 and self.receivable >= 0


class _Refused(Exception):
    """A guard did not pass: roll back, then explain."""

    def __init__(self, leg: _Leg, level: str):
        self.leg = leg
        self.level = level


_BALANCE_SET = "posted = posted + %s, pending = pending + %s, receivable = receivable + %s"
_GUARD = " AND (NOT is_guarded OR posted + %s >= pending + %s)"


def _account_sql(leg: _Leg, *, after: str | None) -> tuple[str, list]:
    sql = f"UPDATE ledger_accountbalance SET {_BALANCE_SET} WHERE account_id = %s"
    params = [leg.posted, leg.pending, leg.receivable, leg.account.pk]
    if after:  # runs only once the CTE before it has done its part (and in that order)
        sql += f" AND EXISTS (SELECT 1 FROM {after})"
    if leg.guard:
        sql += _GUARD
        params += [leg.posted, leg.pending]
    return sql + " RETURNING account_id, is_guarded", params


def _source_sql(leg: _Leg, *, account_cte: str | None) -> tuple[str, list]:
    if not leg.may_insert:
        # A guarded account spends only a share it holds, and a reservation is released
        # only where it was made: update, never insert (an inserted row with a negative
        # delta would break a CHECK before ON CONFLICT is even considered).
        sql = (
            f"UPDATE ledger_sourcebalance SET {_BALANCE_SET} "
            "WHERE account_id = %s AND source_account_id = %s"
            + (f" AND EXISTS (SELECT 1 FROM {account_cte})" if account_cte else "")
            + (_GUARD if leg.guard else "")
            + " RETURNING 1"
        )
        params = [leg.posted, leg.pending, leg.receivable, leg.account.pk, leg.source_id]
        return sql, params + ([leg.posted, leg.pending] if leg.guard else [])
    rows = (
        f"FROM {account_cte}" if account_cte else "FROM ledger_accountbalance WHERE account_id = %s"
    )
    sql = (
        "INSERT INTO ledger_sourcebalance AS b "
        "(account_id, source_account_id, is_guarded, posted, pending, receivable) "
        f"SELECT account_id, %s, is_guarded, %s, %s, %s {rows} "
        "ON CONFLICT (account_id, source_account_id) DO UPDATE SET "
        "posted = b.posted + excluded.posted, pending = b.pending + excluded.pending, "
        "receivable = b.receivable + excluded.receivable RETURNING 1"
    )
    params = [leg.source_id, leg.posted, leg.pending, leg.receivable]
    if not account_cte:
        params.append(leg.account.pk)
    return sql, params


def _pg_posting(head: tuple[str, list], first: _Leg, second: _Leg) -> int | None:
    """The whole posting as ONE statement (PostgreSQL): claim the key or change the
    transfer's state (t), then the lower account id (a1) and its source share (s1), then
    the higher (a2, s2). Each CTE waits for the one before it, so rows are locked in
    that order. If a guard stops a leg, ledger_guard() raises and the statement, hence
    everything it did, is undone; if t changed nothing (key already used), no leg runs.
    """
    ctes, params, prev = [f"t AS ({head[0]})"], list(head[1]), "t"
    for n, leg in ((1, first), (2, second)):
        a_sql, a_params = _account_sql(leg, after=prev)
        s_sql, s_params = _source_sql(leg, account_cte=f"a{n}")
        ctes += [f"a{n} AS ({a_sql})", f"s{n} AS ({s_sql})"]
        params += a_params + s_params
        prev = f"s{n}"
    sql = (
        f"WITH {', '.join(ctes)} SELECT h, ledger_guard("
        "h IS NULL OR (a1 = 1 AND s1 = 1 AND a2 = 1 AND s2 = 1), concat_ws(',', a1, s1, a2, s2)"
        ") FROM (SELECT (SELECT id FROM t) AS h, (SELECT count(*) FROM a1) AS a1, "
        "(SELECT count(*) FROM s1) AS s1, (SELECT count(*) FROM a2) AS a2, "
        "(SELECT count(*) FROM s2) AS s2) AS counts"
    )
    raw = connection.connection
    prepare = getattr(settings, "LEDGER_PREPARED_STATEMENTS", True)
    if prepare and raw.prepare_threshold is None:
        # Django turns psycopg's prepared statements off for its own (client-side bound)
        # cursors; they stay off for those. This server-bound cursor prepares the posting
        # statement once per connection instead of parsing and planning it every time.
        raw.prepare_threshold = 5
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        cursor.execute(sql, params, prepare=True if prepare else None)
        return cursor.fetchone()[0]


def _refused_leg(exc, first: _Leg, second: _Leg):
    """The leg and level named by ledger_guard()'s error ("ledger_refused:a1,s1,a2,s2")."""
    message = str(exc)
    marker = "ledger_refused:"
    if marker not in message:
        return None
    counts = message.split(marker, 1)[1].split()[0].split(",")[:4]
    for i, count in enumerate(counts):
        if count.strip() != "1":
            return _Refused(first if i < 2 else second, "account" if i % 2 == 0 else "source")
    return _Refused(first, "account")  # pragma: no cover


def _run_steps(head: tuple[str, list], leg: _Leg | None, first: bool) -> int | None:
    """SQLite (the demo): the same pieces as separate statements, in the same order."""
    with connection.cursor() as cursor:
        head_id = 0
        if first:
            cursor.execute(*head)
            row = cursor.fetchone()
            if row is None:
                return None
            head_id = row[0]
        cursor.execute(*_account_sql(leg, after=None))
        if len(cursor.fetchall()) != 1:
            raise _Refused(leg, "account")
        cursor.execute(*_source_sql(leg, account_cte=None))
        if len(cursor.fetchall()) != 1:
            raise _Refused(leg, "source")
    return head_id


def _explain(refused: _Refused, source: Account, amount: Decimal):
    """After the rollback: the domain error for a guard that did not pass."""
    leg = refused.leg
    balance = AccountBalance.objects.filter(account_id=leg.account.pk).first()
    if balance is None:
        return UnknownAccount(fields={"account": [str(leg.account.pk)]})
    share = SourceBalance.objects.filter(
        account_id=leg.account.pk, source_account_id=leg.source_id
    ).first()
    share_available = share.available if share else Decimal("0.00")
    if refused.level == "account" and balance.available < amount:
        shortfall, level = amount - balance.available, "account"
    else:
        shortfall, level = amount - share_available, "source"
    return Overdraft(
        account=leg.account, source=source, shortfall=max(shortfall, CENT), level=level
    )


_INSERT_TRANSFER = (
    "INSERT INTO ledger_transfer (from_account_id, to_account_id, amount, source_account_id, "
    "kind, memo, state, two_phase, reverses_id, idempotency_key, request_hash, created_by_id, "
    "created_at, resolved_at, resolved_by_id, resolution_key) VALUES "
    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, NULL, NULL) "
    "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id"
)


def _ordered(legs: list[_Leg]) -> list[_Leg]:
    return sorted(legs, key=lambda leg: leg.account.pk)


def _apply(head, legs: list[_Leg], source: Account, amount: Decimal) -> int | None:
    """Apply head + legs in account-id order, atomically; None if head did nothing.

    On PostgreSQL the posting is one statement: outside any transaction it is its own
    transaction (one round trip); inside a caller's transaction it runs in a savepoint,
    so a refusal leaves the caller's transaction usable.
    """
    first, second = _ordered(legs)
    try:
        if connection.vendor == "postgresql":
            if connection.in_atomic_block or not connection.get_autocommit():
                with transaction.atomic():
                    return _pg_posting(head, first, second)
            return _pg_posting(head, first, second)
        with transaction.atomic():
            head_id = _run_steps(head, first, True)
            if head_id is not None:
                _run_steps(head, second, False)
            return head_id
    except _Refused as refused:
        raise _explain(refused, source, amount) from None
    except DatabaseError as exc:
        refused = _refused_leg(exc, first, second)
        if refused is not None:
            raise _explain(refused, source, amount) from None
        error = translate_db_error(exc)
        if error is None:
            raise
        raise error from exc


# --------------------------------------------------------------------------- transfers


def _new_transfer(
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
) -> Transfer:
    _require_mover(actor)
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
    digest = request_hash(
        op, from_account.pk, to_account.pk, amount, source.pk, kind, memo,
        reverses.pk if reverses else None,
    )  # fmt: skip
    now = timezone.now()
    state = TransferState.PENDING if two_phase else TransferState.POSTED
    head = (
        _INSERT_TRANSFER,
        [
            from_account.pk, to_account.pk, amount, source.pk, kind, memo, state, two_phase,
            reverses.pk if reverses else None, key, digest, actor.pk, now,
            None if two_phase else now,
        ],
    )  # fmt: skip
    if two_phase:
        legs = [
            _Leg(from_account, source.pk, Decimal(0), amount, Decimal(0)),
            _Leg(to_account, source.pk, Decimal(0), Decimal(0), amount),
        ]
    else:
        legs = [
            _Leg(from_account, source.pk, -amount, Decimal(0), Decimal(0)),
            _Leg(to_account, source.pk, amount, Decimal(0), Decimal(0)),
        ]
    transfer_id = _apply(head, legs, source, amount)
    if transfer_id is None:
        return _replay(key, digest)
    transfer = Transfer(
        id=transfer_id,
        from_account=from_account,
        to_account=to_account,
        amount=amount,
        source_account=source,
        kind=kind,
        memo=memo,
        state=state,
        two_phase=two_phase,
        reverses=reverses,
        idempotency_key=key,
        request_hash=digest,
        created_by=actor,
        created_at=now,
        resolved_at=None if two_phase else now,
    )
    transfer._state.adding = False
    transfer._state.db = "default"
    return transfer


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


def _transfer(value) -> Transfer:
    if isinstance(value, Transfer) and value.pk is not None:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        found = Transfer.objects.select_related("from_account", "to_account").filter(pk=value)
        if found := found.first():
            return found
    raise NotFound(_("Unknown transfer."), code="unknown_transfer")


def _resolve(*, actor, transfer, idempotency_key: str, target: str) -> Transfer:
    _require_mover(actor)
    key = _key(idempotency_key)
    transfer = _transfer(transfer)
    amount = transfer.amount
    if target == TransferState.POSTED:
        legs = [
            _Leg(transfer.from_account, transfer.source_account_id, -amount, -amount, Decimal(0)),
            _Leg(transfer.to_account, transfer.source_account_id, amount, Decimal(0), -amount),
        ]
    else:
        legs = [
            _Leg(
                transfer.from_account, transfer.source_account_id, Decimal(0), -amount, Decimal(0)
            ),
            _Leg(transfer.to_account, transfer.source_account_id, Decimal(0), Decimal(0), -amount),
        ]
    now = timezone.now()
    head = (
        "UPDATE ledger_transfer SET state = %s, resolved_at = %s, resolved_by_id = %s, "
        "resolution_key = %s WHERE id = %s AND state = 'pending' RETURNING id",
        [target, now, actor.pk, key, transfer.pk],
    )
    try:
        done = _apply(head, legs, transfer.source_account, amount)
    except IntegrityError as exc:
        if "resolution_key" in str(exc):
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
    _require_mover(actor)
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
        if "reverses" in str(exc):
            raise AlreadyReversed() from exc
        raise


__all__ = [
    "open_account",
    "rename_account",
    "post_transfer",
    "reserve",
    "commit_pending",
    "void_pending",
    "reverse_transfer",
    "request_hash",
    "NotPermitted",
]
