"""Audit tasks (thin): seal history rows, nightly verification, exports."""

from celery import shared_task


@shared_task(name="audit.seal_history")
def seal_history() -> int:
    from .chain import seal_pending

    return seal_pending()


@shared_task(name="audit.verify")
def verify() -> dict:
    """Nightly: verify everything and keep the result (audit.VerificationRun)."""
    from .verification import run_verification

    run = run_verification(triggered_by="celery:audit.verify")
    return {"id": run.pk, "ok": run.ok, "head": f"{run.head_seal_id or 0}:{run.head_hash}"}
