"""Audit tasks (thin): the nightly verification of everything."""

from celery import shared_task

from .verification import run_verification


@shared_task(name="audit.verify")
def verify() -> dict:
    """Nightly: seal (a full pass), verify everything, keep the result (core.VerificationRun)."""
    run = run_verification(triggered_by="celery:audit.verify")
    return {
        "id": run.pk,
        "ok": run.ok,
        "status": run.status,
        "head": f"{run.head_seal_id or 0}:{run.head_hash}",
    }
