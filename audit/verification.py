"""One integrity verification: history hash chain, completeness backstop and the ledger."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass

from django.db import transaction
from django.utils import timezone

from . import backstop, chain
from .models import VerificationRun


def verify_ledger_result(expect_head: str | None = None) -> dict:
    """The ledger's own verification (ledger.verification.verify_ledger), when installed."""
    try:
        from ledger.verification import verify_ledger
    except ImportError:
        return {"available": False, "ok": True}
    if expect_head:
        head_id, _sep, head_hash = expect_head.partition(":")
        outcome = verify_ledger(expect_head=(int(head_id), head_hash.strip()))
    else:
        outcome = verify_ledger()
    data = {
        "available": True,
        "ok": bool(getattr(outcome, "ok", False)),
        "first_bad": _plain(getattr(outcome, "first_bad", None)),
        "head_id": _plain(getattr(outcome, "head_id", None)),
        "head_hash": _plain(getattr(outcome, "head_hash", None)),
        "problems": _plain(getattr(outcome, "problems", []))[:100],
    }
    return data


def _plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if is_dataclass(value):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def ledger_head() -> str | None:
    """The ledger's chain head as "id:hash", when the ledger is installed."""
    try:
        from ledger.chain import chain_head
    except ImportError:
        return None
    head = chain_head()
    return f"{head.id}:{head.hash}"


def run_verification(
    *,
    triggered_by: str,
    expect_head: str | None = None,
    expect_ledger_head: str | None = None,
    store: bool = True,
    ledger: bool = True,
) -> VerificationRun:
    started = timezone.now()
    sealed = chain.seal_pending()
    chain_result = chain.verify_chain(expect=expect_head)
    unmatched = backstop.unmatched_changes()
    if ledger:
        ledger_result = verify_ledger_result(expect_ledger_head)
    else:
        ledger_result = {"available": False, "ok": True}
    ok = chain_result.ok and unmatched["count"] == 0 and ledger_result["ok"]
    head = chain_result.head
    run = VerificationRun(
        started_at=started,
        finished_at=timezone.now(),
        ok=ok,
        triggered_by=triggered_by[:150],
        head_seal_id=head.seal_id if head else None,
        head_hash=head.hash if head else "",
        rows_checked=chain_result.rows_checked,
        result={
            "sealed_now": sealed,
            "history_chain": chain_result.as_dict(),
            "backstop": unmatched,
            "ledger": ledger_result,
        },
    )
    if store:
        with transaction.atomic():
            run.save()
    return run


def last_run() -> VerificationRun | None:
    return VerificationRun.objects.order_by("-id").first()
