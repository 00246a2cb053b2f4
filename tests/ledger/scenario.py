"""One sequence of ledger operations, and what it leaves behind.

On PostgreSQL every write goes through `ledger_write` (ledger/writer.py), which works the legs
out itself; on SQLite (the demo) the service runs its own statements. The same sequence must
leave the same balances, shares, flows and refusals on both: tests/ledger/test_writer.py and
tests/sqlite/test_ledger_writer.py assert `run()` equals `EXPECTED`.
"""

import uuid
from decimal import Decimal

from core.errors import DomainError
from ledger import services
from ledger.models import FLOWS, AccountBalance, SourceBalance, Transfer
from ledger.services import Posting

from .factories import account, key, system

ACCOUNTS = (
    ("treasury", "external"), ("src", "funding_source"), ("src2", "funding_source"),
    ("line", "budget_line"), ("line2", "budget_line"), ("commit", "commitment"),
    ("payee", "external"), ("custody", "custodial"), ("spare", "commitment"),
)  # fmt: skip


def run() -> dict:
    tag = uuid.uuid4().hex[:8]
    a = {name: account(kind, code=f"scn-{name}-{tag}") for name, kind in ACCOUNTS}
    names = {acc.pk: name for name, acc in a.items()}
    actor = system()
    refusals = []

    def post(f, t, amount, src="src", kind="transfer", **kw):
        return services.post_transfer(
            actor=actor, from_account=a[f], to_account=a[t], amount=amount,
            source_account=a[src], kind=kind, idempotency_key=kw.pop("k", None) or key(), **kw,
        )  # fmt: skip

    def reserve(f, t, amount, src="src", kind="allocation"):
        return services.reserve(
            actor=actor, from_account=a[f], to_account=a[t], amount=amount,
            source_account=a[src], kind=kind, idempotency_key=key(),
        )  # fmt: skip

    def refused(fn, *args, **kwargs):
        try:
            fn(*args, **kwargs)
        except DomainError as exc:
            refusals.append([exc.code, sorted(getattr(exc, "fields", None) or {})])
        else:
            refusals.append(["written"])

    post("treasury", "src", "1000.00", kind="funding")
    post("treasury", "src2", "300.00", src="src2", kind="funding")
    budget_key = key()
    post("src", "line", "600.00", kind="budget", k=budget_key)
    post("src2", "line2", "200.00", src="src2", kind="budget")
    p1 = reserve("line", "commit", "250.00")
    services.commit_pending(actor=actor, transfer=p1, idempotency_key=key())
    p2 = reserve("line", "commit", "100.00")
    services.void_pending(actor=actor, transfer=p2, idempotency_key=key())
    p3 = reserve("line2", "commit", "80.00", src="src2")
    services.commit_pending(actor=actor, transfer=p3, idempotency_key=key())
    batch = services.post_transfers(
        actor=actor,
        postings=[
            Posting(a["commit"], a["payee"], "50.00", a["src"], key(), kind="payment"),
            Posting(a["commit"], a["payee"], "70.00", a["src"], key(), kind="payment"),
            Posting(a["commit"], a["custody"], "30.00", a["src2"], key(), kind="payment",
                    reserve=True),
        ],
    )  # fmt: skip
    services.commit_pending(actor=actor, transfer=batch[2], idempotency_key=key())
    refused(  # all or none: the second overdraws the commitment's share of src
        services.post_transfers,
        actor=actor,
        postings=[
            Posting(a["commit"], a["payee"], "40.00", a["src"], key(), kind="payment"),
            Posting(a["commit"], a["payee"], "1000.00", a["src"], key(), kind="payment"),
        ],
    )
    services.reverse_transfer(actor=actor, transfer=batch[0], idempotency_key=key())
    post("line", "line2", "100.00", kind="carry_forward")
    replayed = post("src", "line", "600.00", kind="budget", k=budget_key)
    refusals.append(["replayed", replayed.replayed])
    refused(post, "src", "line", "1.00", kind="budget", k=budget_key)  # the key, another request
    refused(post, "line", "spare", "10000.00", kind="allocation")  # the account's overdraft
    refused(post, "line2", "spare", "150.00", kind="allocation")  # holds 220, 100 of src
    refused(services.close_account, actor=actor, account=a["line"], reason="not empty")
    services.close_account(actor=actor, account=a["spare"], reason="empty")
    refused(post, "line", "spare", "1.00", kind="allocation")  # closed
    refused(services.reverse_transfer, actor=actor, transfer=batch[0], idempotency_key=key())
    return snapshot(a, names, refusals)


def _money(value) -> str:
    return f"{Decimal(value):.2f}"


def snapshot(a: dict, names: dict, refusals: list) -> dict:
    ids = [acc.pk for acc in a.values()]
    balances = {
        names[b.account_id]: [_money(b.posted), _money(b.pending), _money(b.receivable),
                              b.is_guarded, b.is_active]
        for b in AccountBalance.objects.filter(account_id__in=ids)
    }  # fmt: skip
    shares = {}
    for s in SourceBalance.objects.filter(account_id__in=ids):
        flows = {f: _money(getattr(s, f)) for f in FLOWS if getattr(s, f)}
        shares[f"{names[s.account_id]}/{names[s.source_account_id]}"] = [
            _money(s.posted), _money(s.pending), _money(s.receivable), flows,
            names.get(s.fed_by_id),
        ]  # fmt: skip
    transfers = [
        [names[t.from_account_id], names[t.to_account_id], _money(t.amount), t.kind, t.state,
         t.reverses_id is not None, bool(t.proof), t.two_phase == (t.resolution_proof is not None)]
        for t in Transfer.objects.filter(from_account_id__in=ids).order_by("id")
    ]  # fmt: skip
    return {"balances": balances, "shares": shares, "transfers": transfers, "refusals": refusals}


# What the sequence leaves (balances: posted, pending, receivable, guarded, open; shares:
# the same and the non-zero flows and the feeder; transfers: from, to, amount, kind, state,
# a reversal, proven, resolution proven where resolved; refusals: code and fields named).
EXPECTED = {
    "balances": {
        "commit": ["230.00", "0.00", "0.00", True, True],
        "custody": ["30.00", "0.00", "0.00", True, True],
        "line": ["250.00", "0.00", "0.00", True, True],
        "line2": ["220.00", "0.00", "0.00", True, True],
        "payee": ["70.00", "0.00", "0.00", False, True],
        "spare": ["0.00", "0.00", "0.00", True, False],
        "src": ["400.00", "0.00", "0.00", True, True],
        "src2": ["100.00", "0.00", "0.00", True, True],
        "treasury": ["-1300.00", "0.00", "0.00", False, True],
    },
    "refusals": [
        ["overdraft", ["account", "shortfall", "source_account"]],
        ["replayed", True],
        ["idempotency_conflict", ["idempotency_key"]],
        ["overdraft", ["account", "shortfall", "source_account"]],
        ["overdraft", ["account", "shortfall", "source_account"]],
        ["account_not_empty", ["account"]],
        ["account_inactive", ["to_account"]],
        ["transfer_already_reversed", []],
    ],
    "shares": {
        "commit/src": [
            "180.00",
            "0.00",
            "0.00",
            {"in_budget_line": "250.00", "in_external": "50.00", "out_external": "120.00"},
            "line",
        ],
        "commit/src2": [
            "50.00",
            "0.00",
            "0.00",
            {"in_budget_line": "80.00", "out_custodial": "30.00"},
            "line2",
        ],
        "custody/src2": ["30.00", "0.00", "0.00", {"in_commitment": "30.00"}, None],
        "line/src": [
            "250.00",
            "0.00",
            "0.00",
            {"in_funding_source": "600.00", "out_carried": "100.00", "out_commitment": "250.00"},
            None,
        ],
        "line2/src": ["100.00", "0.00", "0.00", {"in_carried": "100.00"}, None],
        "line2/src2": [
            "120.00",
            "0.00",
            "0.00",
            {"in_funding_source": "200.00", "out_commitment": "80.00"},
            None,
        ],
        "payee/src": [
            "70.00",
            "0.00",
            "0.00",
            {"in_commitment": "120.00", "out_commitment": "50.00"},
            None,
        ],
        "src/src": [
            "400.00",
            "0.00",
            "0.00",
            {"in_external": "1000.00", "out_budget_line": "600.00"},
            None,
        ],
        "src2/src2": [
            "100.00",
            "0.00",
            "0.00",
            {"in_external": "300.00", "out_budget_line": "200.00"},
            None,
        ],
        "treasury/src": ["-1000.00", "0.00", "0.00", {"out_funding_source": "1000.00"}, None],
        "treasury/src2": ["-300.00", "0.00", "0.00", {"out_funding_source": "300.00"}, None],
    },
    "transfers": [
        ["treasury", "src", "1000.00", "funding", "posted", False, True, True],
        ["treasury", "src2", "300.00", "funding", "posted", False, True, True],
        ["src", "line", "600.00", "budget", "posted", False, True, True],
        ["src2", "line2", "200.00", "budget", "posted", False, True, True],
        ["line", "commit", "250.00", "allocation", "posted", False, True, True],
        ["line", "commit", "100.00", "allocation", "voided", False, True, True],
        ["line2", "commit", "80.00", "allocation", "posted", False, True, True],
        ["commit", "payee", "50.00", "payment", "posted", False, True, True],
        ["commit", "payee", "70.00", "payment", "posted", False, True, True],
        ["commit", "custody", "30.00", "payment", "posted", False, True, True],
        ["payee", "commit", "50.00", "reversal", "posted", True, True, True],
        ["line", "line2", "100.00", "carry_forward", "posted", False, True, True],
    ],
}
