"""One integrity verification: history hash chain, completeness backstop and the ledger."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass

from django.db import transaction
from django.utils import timezone

from core import verification as core_verification

from . import backstop, chain
from .models import VerificationRun


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
    """The ledger's chain head as "id:hash", when a ledger check is registered."""
    for check in core_verification.checks():
        if check.name == "ledger" and check.head is not None:
            return check.head()
    return None


def registered_results(expect_heads: dict[str, str | None]) -> dict[str, dict]:
    """Run every check other apps registered (core.verification)."""
    results = {}
    for check in core_verification.checks():
        results[check.name] = _plain(check.run(expect_heads.get(check.name)))
    return results


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
    others = registered_results({"ledger": expect_ledger_head}) if ledger else {}
    ok = chain_result.ok and unmatched["count"] == 0 and all(r["ok"] for r in others.values())
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
            **others,
        },
    )
    if store:
        with transaction.atomic():
            run.save()
    return run


def last_run() -> VerificationRun | None:
    return VerificationRun.objects.order_by("-id").first()
