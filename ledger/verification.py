"""Verify the ledger: recompute every cached balance from the transfers, check the chain.

`verify_ledger()` is what `manage.py ledger_verify`, the nightly beat task and the audit
app's `audit_verify` call. It returns a `VerificationResult`; `first_bad` names the first
row found wrong (a transfer whose chain link does not match, or a cached balance that
differs from the transfers).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from core import verification as core_verification
from core.context import current_actor

from . import chain
from .chain import ChainHead, chain_head  # noqa: F401  (re-exported)
from .models import VerificationRun

ZERO = Decimal("0.00")
MAX_PROBLEMS = 50
CHUNK = 5000


@dataclass
class VerificationResult:
    ok: bool
    first_bad: str | None
    head_id: int
    head_hash: str
    counts: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    run_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "first_bad": self.first_bad,
            "head_id": self.head_id,
            "head_hash": self.head_hash,
            "counts": self.counts,
            "problems": self.problems,
            "run_id": self.run_id,
        }


def _d(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _check_chain(problems: list[str], counts: dict, expect_head: tuple[int, str] | None):
    running, expected_seq, last = chain.GENESIS, 1, None
    created = resolved = 0
    head_found = expect_head is None
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT s.seq, s.transfer_id, s.event, s.prev_hash, s.hash, "
                + ", ".join(f"t.{c.strip()}" for c in chain.TRANSFER_COLUMNS.split(","))
                + " FROM ledger_chainseal s LEFT JOIN ledger_transfer t ON t.id = s.transfer_id"
                " WHERE s.seq >= %s ORDER BY s.seq LIMIT %s",
                [expected_seq, CHUNK],
            )
            rows = cursor.fetchall()
            for seq, transfer_id, event, prev_hash, stored, *transfer in rows:
                name = f"ledger.Transfer id={transfer_id} (chain link {seq}, {event})"
                if seq != expected_seq:
                    problems.append(f"ledger.ChainSeal seq={expected_seq}: link missing")
                    expected_seq = seq
                if transfer[0] is None:
                    problems.append(f"{name}: transfer row missing")
                elif prev_hash != running:
                    problems.append(f"{name}: previous hash does not match the chain")
                else:
                    payload = (
                        chain.created_payload(transfer)
                        if event == "created"
                        else chain.resolved_payload(transfer)
                    )
                    if chain.link_hash(running, payload) != stored:
                        problems.append(f"{name}: contents do not match the hash chain")
                if expect_head and seq == expect_head[0]:
                    head_found = stored == expect_head[1]
                    if not head_found:
                        problems.append(
                            f"ledger.ChainSeal seq={seq}: differs from the exported head"
                        )
                created += event == "created"
                resolved += event == "resolved"
                running = stored
                last = seq
                expected_seq = seq + 1
            if len(rows) < CHUNK:
                break
    if expect_head and not head_found and expect_head[0] > (last or 0):
        problems.append(f"ledger.ChainSeal seq={expect_head[0]}: exported head is missing")
    counts["chain_links"] = created + resolved
    counts["sealed_created"] = created
    counts["sealed_resolved"] = resolved


def _recompute() -> dict[tuple[int, int], list[Decimal]]:
    """(account, source) → [posted, pending, receivable], from the transfers alone."""
    sql = """
        SELECT account_id, source_account_id, SUM(posted), SUM(pending), SUM(receivable) FROM (
            SELECT from_account_id AS account_id, source_account_id,
                   CASE WHEN state = 'posted' THEN -amount ELSE 0 END AS posted,
                   CASE WHEN state = 'pending' THEN amount ELSE 0 END AS pending,
                   0 AS receivable
              FROM ledger_transfer
            UNION ALL
            SELECT to_account_id, source_account_id,
                   CASE WHEN state = 'posted' THEN amount ELSE 0 END,
                   0,
                   CASE WHEN state = 'pending' THEN amount ELSE 0 END
              FROM ledger_transfer
        ) legs GROUP BY account_id, source_account_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {(a, s): [_d(p), _d(pe), _d(r)] for a, s, p, pe, r in cursor.fetchall()}


def _check_balances(problems: list[str], counts: dict):
    expected = _recompute()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT account_id, source_account_id, posted, pending, receivable, is_guarded "
            "FROM ledger_sourcebalance"
        )
        cached = {(a, s): ([_d(p), _d(pe), _d(r)], g) for a, s, p, pe, r, g in cursor.fetchall()}
        cursor.execute(
            "SELECT b.account_id, b.posted, b.pending, b.receivable, b.is_guarded, a.kind "
            "FROM ledger_accountbalance b JOIN ledger_account a ON a.id = b.account_id"
        )
        accounts = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute("SELECT COUNT(*) FROM ledger_account")
        n_accounts = cursor.fetchone()[0]
    zero = [ZERO, ZERO, ZERO]
    per_account: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    for key in sorted(set(expected) | set(cached)):
        want = expected.get(key, zero)
        have, _guarded = cached.get(key, (zero, None))
        if want != have:
            problems.append(
                f"ledger.SourceBalance account={key[0]} source={key[1]}: cached "
                f"{'/'.join(map(str, have))}, recomputed {'/'.join(map(str, want))} "
                "(posted/reserved/receivable)"
            )
        totals = per_account[key[0]]
        for i in range(3):
            totals[i] += want[i]
    for account_id, (posted, pending, receivable, guarded, kind) in sorted(accounts.items()):
        want = per_account.get(account_id, zero)
        have = [_d(posted), _d(pending), _d(receivable)]
        if want != have:
            problems.append(
                f"ledger.AccountBalance account={account_id}: cached {'/'.join(map(str, have))}, "
                f"recomputed {'/'.join(map(str, want))} (posted/reserved/receivable)"
            )
        if bool(guarded) != (kind != "external"):
            problems.append(f"ledger.AccountBalance account={account_id}: guard flag wrong")
        if kind != "external" and want[0] - want[1] < 0:
            problems.append(f"ledger.AccountBalance account={account_id}: guarded below zero")
    for account_id in sorted(set(per_account) - set(accounts)):
        problems.append(f"ledger.AccountBalance account={account_id}: missing")
    if n_accounts != len(accounts):
        problems.append("ledger.AccountBalance: some accounts have no balance row")
    total = sum((v[0] for v in expected.values()), ZERO)
    if total != ZERO:
        problems.append(f"ledger.Transfer: posted balances sum to {total}, not zero")
    counts["accounts"] = n_accounts
    counts["source_balances"] = len(cached)


def verify_ledger(
    *, seal: bool = True, record: bool = True, expect_head: tuple[int, str] | None = None
) -> VerificationResult:
    """Seal what is unsealed (a full pass), then check the chain and every balance."""
    started = timezone.now()
    counts: dict = {}
    problems: list[str] = []
    if seal:
        counts["newly_sealed"] = chain.seal(full=True)
    _check_chain(problems, counts, expect_head)
    _check_balances(problems, counts)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE state = 'pending') FROM ledger_transfer"
            if connection.vendor == "postgresql"
            else "SELECT COUNT(*), SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) "
            "FROM ledger_transfer"
        )
        n_transfers, n_pending = cursor.fetchone()
    counts["transfers"] = n_transfers
    counts["pending"] = n_pending or 0
    counts["unsealed"] = max(n_transfers - counts.get("sealed_created", 0), 0)
    head = chain.chain_head()
    result = VerificationResult(
        ok=not problems,
        first_bad=problems[0] if problems else None,
        head_id=head.id,
        head_hash=head.hash,
        counts=counts,
        problems=problems[:MAX_PROBLEMS],
    )
    if record:
        result.run_id = _record(result, started)
    return result


def _record(result: VerificationResult, started) -> int:
    actor = current_actor()
    run = VerificationRun.objects.create(
        started_at=started,
        finished_at=timezone.now(),
        ok=result.ok,
        first_bad=result.first_bad or "",
        problems=result.problems,
        head_id=result.head_id,
        head_hash=result.head_hash,
        counts=result.counts,
        run_by=(actor.label or actor.username or "") if actor else "",
    )
    return run.pk


def check_result(expect_head: str | None = None) -> dict:
    """The ledger's part of audit's verification (registered as a core.verification Check)."""
    expect = None
    if expect_head:
        head_id, _sep, head_hash = expect_head.partition(":")
        expect = (int(head_id), head_hash.strip())
    outcome = verify_ledger(expect_head=expect)
    return {
        "available": True,
        "ok": outcome.ok,
        "first_bad": outcome.first_bad,
        "head_id": outcome.head_id,
        "head_hash": outcome.head_hash,
        "problems": outcome.problems[:100],
    }


def head_text() -> str:
    head = chain_head()
    return f"{head.id}:{head.hash}"


CHECK = core_verification.Check(name="ledger", run=check_result, head=head_text)
