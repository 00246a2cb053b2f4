"""Verify the ledger: recompute every cached balance from the transfers, check every
transfer's proof that the ledger service wrote it (ledger/proof.py), check the chain.

Every share (`SourceBalance`) is recomputed whole: its balances, its posted flows by the
other side's account kind and its `fed_by` (what the budget execution report reads); a
flow that differs is reported like a balance that does (`ledger.SourceBalance account=…
source=…: flows differ …`).

The balances are the ledger's `Check` in every verification (registered from
LedgerConfig.ready; the nightly `audit.verify` runs it with everything else). The transfers'
links in the one hash chain (core/chain.py) are checked by core's chain check.
`verify_ledger()` (and `manage.py ledger_verify`) runs just these two, the chain's digests
recomputed for the transfers only, and records a core.VerificationRun; `first_bad` names
the first row found wrong (a transfer whose chain link does not match, or a cached balance
that differs from the transfers).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.utils.translation import gettext_lazy as _

from core import verification as core_verification

from . import proof
from .models import FEEDING_KINDS, FLOWS, Transfer

ZERO = Decimal("0.00")
MAX_PROBLEMS = 50
NAME = "ledger"


@dataclass
class VerificationResult:
    status: str
    first_bad: str | None
    head_id: int
    head_hash: str
    counts: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    run_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == core_verification.OK

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "status": self.status,
            "first_bad": self.first_bad,
            "head_id": self.head_id,
            "head_hash": self.head_hash,
            "counts": self.counts,
            "problems": self.problems,
            "run_id": self.run_id,
        }


def _d(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def shares_sql(where: str = "") -> str:
    """SQL of every share recomputed from the transfers alone: rows of (account_id,
    source_account_id, posted, pending, receivable, fed_by_id, *FLOWS). `where`: a
    condition on the transfers `t` (the benchmarks load rows and write their shares)."""
    where = f"WHERE {where}" if where else ""
    flows = ", ".join(
        f"SUM(CASE WHEN flow = '{name}' THEN amount ELSE 0 END) AS {name}" for name in FLOWS
    )
    kind_flow = (
        "CASE WHEN t.state <> 'posted' THEN '' WHEN t.kind = 'carry_forward' THEN '{d}_carried' "
        "ELSE '{d}_' || o.kind END"
    )
    feeding = ", ".join(f"'{kind}'" for kind in FEEDING_KINDS)
    return f"""
        SELECT account_id, source_account_id, SUM(posted) AS posted, SUM(pending) AS pending,
               SUM(receivable) AS receivable, MIN(fed_by) AS fed_by_id, {flows} FROM (
            SELECT t.from_account_id AS account_id, t.source_account_id, t.amount,
                   CASE WHEN t.state = 'posted' THEN -t.amount ELSE 0 END AS posted,
                   CASE WHEN t.state = 'pending' THEN t.amount ELSE 0 END AS pending,
                   0 AS receivable, {kind_flow.format(d="out")} AS flow, NULL AS fed_by
              FROM ledger_transfer t JOIN ledger_account o ON o.id = t.to_account_id {where}
            UNION ALL
            SELECT t.to_account_id, t.source_account_id, t.amount,
                   CASE WHEN t.state = 'posted' THEN t.amount ELSE 0 END,
                   0,
                   CASE WHEN t.state = 'pending' THEN t.amount ELSE 0 END,
                   {kind_flow.format(d="in")},
                   CASE WHEN a.kind = 'commitment' AND o.kind IN ({feeding})
                        THEN t.from_account_id END
              FROM ledger_transfer t JOIN ledger_account o ON o.id = t.from_account_id
              JOIN ledger_account a ON a.id = t.to_account_id {where}
        ) legs GROUP BY account_id, source_account_id
    """


@dataclass
class Share:
    """One share's figures: balances (posted, pending, receivable), flows, fed_by."""

    balances: list
    flows: tuple
    fed_by: int | None


def _share(row) -> Share:
    return Share([_d(v) for v in row[:3]], tuple(_d(v) for v in row[4:]), row[3])


def _recompute() -> dict[tuple[int, int], Share]:
    """(account, source) → its Share, from the transfers alone."""
    with connection.cursor() as cursor:
        cursor.execute(shares_sql())
        return {(row[0], row[1]): _share(row[2:]) for row in cursor.fetchall()}


_ZERO_SHARE = Share([ZERO, ZERO, ZERO], (ZERO,) * len(FLOWS), None)


def _flow_problem(key, have: Share, want: Share) -> str | None:
    """The flows and fed_by of a share that differ from their recomputation, named."""
    wrong = [
        f"{name} {got}≠{expected}"
        for name, got, expected in zip(FLOWS, have.flows, want.flows, strict=True)
        if got != expected
    ]
    if have.fed_by != want.fed_by:
        wrong.append(f"fed_by {have.fed_by}≠{want.fed_by}")
    if not wrong:
        return None
    return (
        f"ledger.SourceBalance account={key[0]} source={key[1]}: flows differ from the "
        f"transfers (cached≠recomputed): {', '.join(wrong)}"
    )


def _check_balances(problems: list[str], counts: dict):
    expected = _recompute()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT account_id, source_account_id, posted, pending, receivable, fed_by_id, "
            f"{', '.join(FLOWS)} FROM ledger_sourcebalance"
        )
        cached = {(row[0], row[1]): _share(row[2:]) for row in cursor.fetchall()}
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
        want_share = expected.get(key, _ZERO_SHARE)
        have_share = cached.get(key, _ZERO_SHARE)
        want, have = want_share.balances, have_share.balances
        if want != have:
            problems.append(
                f"ledger.SourceBalance account={key[0]} source={key[1]}: cached "
                f"{'/'.join(map(str, have))}, recomputed {'/'.join(map(str, want))} "
                "(posted/reserved/receivable)"
            )
        flow_problem = _flow_problem(key, have_share, want_share)
        if flow_problem:
            problems.append(flow_problem)
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
    total = sum((v.balances[0] for v in expected.values()), ZERO)
    if total != ZERO:
        problems.append(f"ledger.Transfer: posted balances sum to {total}, not zero")
    counts["accounts"] = n_accounts
    counts["source_balances"] = len(cached)


def check_balances() -> dict:
    """The ledger's Check: every cached balance recomputed from the transfers."""
    problems: list[str] = []
    counts: dict = {}
    _check_balances(problems, counts)
    # every transfer written by the ledger service (its proof, ledger/proof.py)
    counts["proofs_checked"], unproven = proof.unproven(limit=MAX_PROBLEMS)
    problems += unproven
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) "
            "FROM ledger_transfer"
        )
        n_transfers, n_pending = cursor.fetchone()
    counts["transfers"] = n_transfers
    counts["pending"] = n_pending or 0
    return {
        "status": core_verification.FAILED if problems else core_verification.OK,
        "first_bad": problems[0] if problems else None,
        "problems": problems[:MAX_PROBLEMS],
        "counts": counts,
    }


CHECK = core_verification.Check(name=NAME, label=_("Ledger balances"), run=check_balances)


def verify_ledger(
    *, seal: bool = True, record: bool = True, expect_head: str | None = None
) -> VerificationResult:
    """Seal what is unsealed (a full pass), then check the chain's transfer links and every
    balance. `expect_head` ("seq:hash" kept outside the database) must still be in the chain."""
    run = core_verification.run(
        names=[core_verification.CHAIN, NAME],
        chain_models=[Transfer],
        expect_head=expect_head,
        seal=seal,
        store=record,
    )
    chain_part, balances = run.result[core_verification.CHAIN], run.result[NAME]
    problems = [p["text"] for p in chain_part["problems"]] + balances["problems"]
    counts = dict(balances.get("counts", {}))
    links = chain_part.get("counts", {})
    counts["sealed_created"] = links.get("ledger_transfer.created", 0)
    counts["sealed_resolved"] = links.get("ledger_transfer.resolved", 0)
    counts["newly_sealed"] = chain_part.get("sealed_now", 0)
    counts["unsealed"] = (
        max(counts.get("transfers", 0) - counts["sealed_created"], 0)
        if chain_part["status"] != core_verification.NOT_CHECKED
        else None
    )
    return VerificationResult(
        status=run.status,
        first_bad=problems[0] if problems else None,
        head_id=run.head_seal_id or 0,
        head_hash=run.head_hash,
        counts=counts,
        problems=problems[:MAX_PROBLEMS],
        run_id=run.pk,
    )


def register() -> None:
    core_verification.register(CHECK)
