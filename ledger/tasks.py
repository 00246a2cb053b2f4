"""Ledger jobs: seal the hash chain every few seconds, verify everything nightly."""

from celery import shared_task

from . import chain
from .verification import verify_ledger


@shared_task(name="ledger.seal_chain")
def seal_chain() -> int:
    """Append chain links for newly committed transfers (idempotent; one sealer at a time)."""
    return chain.seal(full=False)


@shared_task(name="ledger.verify_nightly")
def verify_nightly() -> dict:
    """Full verification; the result is recorded as a ledger.VerificationRun."""
    result = verify_ledger(seal=True, record=True)
    return {"ok": result.ok, "first_bad": result.first_bad, "run_id": result.run_id}
